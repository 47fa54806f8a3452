"""Help → About, as a writer asking for help reads it: the version and where Storyforge keeps things."""

from __future__ import annotations

from typing import Any

from desktop import __version__
from desktop.config import log_dir
from desktop.ui.window.about_dialog import AboutDialog
from tests.support.ui_fixtures import WriterApp


def test_about_shows_the_version_database_storage_and_folders(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    window.actions_.about.trigger()
    dialog = window.findChild(AboutDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)

    fields = {name: label.text() for name, label in dialog.fields.items()}
    settings = writer_app.runtime.settings
    assert fields["Version"] == __version__
    assert fields["Database"].startswith("PostgreSQL at ")  # the test session's server, given by URL
    assert fields["Storage"] == f"The local storage folder {settings.storage_folder}"
    assert fields["Data folder"] == str(settings.data_dir)
    assert fields["Log folder"] == str(log_dir())
    # Its title fits in a title bar: the dialog is wider than its title and the heading.
    assert dialog.width() > dialog.fontMetrics().horizontalAdvance("About Storyforge") * 3
    dialog.reject()
    qtbot.waitUntil(lambda: window.findChild(AboutDialog) is None)  # closed dialogs are not kept
