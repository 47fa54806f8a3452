"""File → Export… as a writer uses it: choose a format and a place, press Export, see the file named with its size,
open it; a place that cannot be written is one line, and another place works."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl

from desktop.export import ExportFormat
from desktop.models import StoryStatus
from desktop.ui.export.export_dialog import ExportDialog, remembered_folder
from desktop.ui.window.main_window import MainWindow
from tests.support.ui_fixtures import WriterApp, all_thumbnails_shown, unnamed_controls, write_story


def written_story(window: MainWindow, qtbot: Any, title: str, scenes: int) -> None:
    write_story(window, qtbot, title, "A ferryman carries a letter across a frozen river.", scenes)
    view = window.story_view
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)
    qtbot.waitUntil(lambda: all_thumbnails_shown(window, scenes), timeout=15_000)


def open_export(window: MainWindow, qtbot: Any) -> ExportDialog:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.findChild(ExportDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def export_to(dialog: ExportDialog, qtbot: Any, format: ExportFormat, path: Path) -> None:
    dialog.format_box.setCurrentIndex(dialog.format_box.findData(format))
    dialog.path_edit.setText(str(path))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert not dialog.path_edit.isEnabled()  # the controls wait while it writes
    qtbot.waitUntil(lambda: not dialog.exporting, timeout=30_000)


def test_export_a_written_story_to_epub_then_markdown(writer_app: WriterApp, qtbot: Any, tmp_path: Path) -> None:
    window = writer_app.window
    assert not window.actions_.export.isEnabled()  # no story open yet
    written_story(window, qtbot, "The Frozen Ferry", 3)
    assert window.actions_.export.isEnabled()

    dialog = open_export(window, qtbot)
    assert unnamed_controls(dialog) == []
    assert [dialog.format_box.itemText(i) for i in range(dialog.format_box.count())] == [
        format.label for format in ExportFormat
    ]
    assert Path(dialog.path_edit.text()).name == "The Frozen Ferry.epub"  # the remembered EPUB, named by title
    epub = tmp_path / "books" / "The Frozen Ferry.epub"
    shown: list[str] = []
    dialog.progress_bar.valueChanged.connect(lambda _: shown.append(dialog.progress_bar.text()))
    export_to(dialog, qtbot, ExportFormat.epub, epub)
    assert shown[-1] == "Scene 3 of 3"
    assert epub.is_file()
    with zipfile.ZipFile(epub) as book:
        assert book.read("mimetype") == b"application/epub+zip"
    line = dialog.status_line.text()
    assert line.startswith(f"Exported to {epub} (") and line.endswith(("KB)", "MB)", "kB)"))
    assert dialog.open_button.isVisible() and dialog.show_folder_button.isVisible()
    assert not dialog.warnings_label.isVisible()  # every scene had its image
    opened: list[QUrl] = []
    dialog.open_url = opened.append
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.show_folder_button, Qt.MouseButton.LeftButton)
    assert [url.toLocalFile() for url in opened] == [str(epub), str(epub.parent)]

    # A scene whose image file has gone is exported with a placeholder, and the dialog says which.
    scene = next(card.scene for index, card in window.story_view.cards.items() if index == 1)
    assert scene is not None and scene.image_path
    Path(scene.image_path).unlink()
    dialog.format_box.setCurrentIndex(dialog.format_box.findData(ExportFormat.markdown))
    assert dialog.path_edit.text() == str(tmp_path / "books" / "The Frozen Ferry.md")  # the extension follows
    markdown = tmp_path / "books" / "The Frozen Ferry.md"
    export_to(dialog, qtbot, ExportFormat.markdown, markdown)
    assert markdown.is_file() and "The Frozen Ferry" in markdown.read_text(encoding="utf-8")
    assert dialog.status_line.text().startswith(f"Exported to {markdown} (")
    assert dialog.warnings_label.isVisible()
    warnings = dialog.warnings_label.text().splitlines()
    assert warnings[0] == "1 scene is shown without its current image:"
    assert warnings[1].startswith("• Scene 2: its image file is missing")
    dialog.reject()
    qtbot.waitUntil(lambda: window.findChild(ExportDialog) is None)

    # Opened again: the last format and folder are remembered.
    dialog = open_export(window, qtbot)
    assert dialog.format == ExportFormat.markdown
    assert dialog.path_edit.text() == str(markdown)
    dialog.reject()


def test_a_place_that_cannot_be_written_is_one_line_and_another_place_works(
    writer_app: WriterApp, qtbot: Any, tmp_path: Path
) -> None:
    window = writer_app.window
    written_story(window, qtbot, "Salt and Iron", 2)
    dialog = open_export(window, qtbot)
    blocker = tmp_path / "a file, not a folder"
    blocker.write_text("kept", encoding="utf-8")
    export_to(dialog, qtbot, ExportFormat.html, blocker / "Salt and Iron.html")

    line = dialog.status_line.text()
    assert line.startswith(f"Could not export to {blocker / 'Salt and Iron.html'}. ")
    assert "\n" not in line and "Errno" not in line
    assert not dialog.open_button.isVisible()
    assert blocker.read_text(encoding="utf-8") == "kept"  # nothing lost
    assert dialog.path_edit.isEnabled() and dialog.format_box.isEnabled() and dialog.export_button.isEnabled()
    assert dialog.isVisible()

    # Browse… opens in the usual folder (the failed one is not there), and the chosen name gets the format's extension.
    qtbot.mouseClick(dialog.browse_button, Qt.MouseButton.LeftButton)
    chooser = dialog.file_dialog
    assert chooser is not None
    qtbot.waitUntil(chooser.isVisible)
    assert Path(chooser.directory().absolutePath()) == remembered_folder()
    assert chooser.defaultSuffix() == "html"
    chooser.selectFile(str(tmp_path / "Salt and Iron"))
    chooser.accept()
    place = tmp_path / "Salt and Iron.html"
    assert dialog.path_edit.text() == str(place)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.exporting, timeout=30_000)
    assert place.is_file()
    assert dialog.status_line.text().startswith(f"Exported to {place} (")
    dialog.reject()


def test_cancel_stops_the_export_and_leaves_the_earlier_file_as_it_was(
    writer_app: WriterApp, qtbot: Any, tmp_path: Path
) -> None:
    window = writer_app.window
    written_story(window, qtbot, "The Frozen Ferry", 3)
    dialog = open_export(window, qtbot)
    exports = tmp_path / "exports"
    exports.mkdir()
    earlier = exports / "ferry.pdf"
    earlier.write_bytes(b"the writer's earlier export")
    dialog.format_box.setCurrentIndex(dialog.format_box.findData(ExportFormat.pdf))
    dialog.path_edit.setText(str(earlier))

    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.cancel_button.isVisible() and not dialog.close_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc while it writes stops it, as Cancel does
    qtbot.waitUntil(lambda: not dialog.exporting, timeout=30_000)

    assert dialog.status_line.text().startswith("Export cancelled")
    assert earlier.read_bytes() == b"the writer's earlier export"
    assert sorted(path.name for path in exports.iterdir()) == ["ferry.pdf"]  # no temporary file left
    assert dialog.isVisible() and dialog.close_button.isEnabled() and not dialog.cancel_button.isVisible()
