"""The window itself: shortcuts in the menus, every control named and reachable, errors shown without blocking,
the layout remembered, the palette followed, and its resources found from a checkout or a bundle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QApplication,
)

from desktop.ui.common import resources, theme
from desktop.ui.common.widgets import plain
from tests.support.ui_fixtures import WriterApp, unnamed_controls

SHORTCUTS = {
    "New story…": "Ctrl+N",
    "Generate": "Ctrl+Return",
    "Cancel generation": "Esc",
    "Retry all failed uploads": "Ctrl+R",
    "Settings…": "Ctrl+,",
    "Quit": "Ctrl+Q",
}


def test_menus_show_the_shortcuts(writer_app: WriterApp) -> None:
    shown = {
        plain(action.text()): action.shortcut().toString()
        for menu in writer_app.window.actions_.menus
        for action in menu.actions()
        if not action.isSeparator()
    }
    for label, keys in SHORTCUTS.items():
        assert shown[label] == keys


def test_every_control_has_its_visible_label_as_accessible_name(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    window.show_uploads()
    window.new_story()
    assert unnamed_controls(window) == []
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    for tab in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(tab)
        assert unnamed_controls(dialog) == []
    dialog.reject()


def test_tab_walks_the_new_story_form_in_order(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())
    window.actions_.new_story.trigger()
    form = window.composer
    qtbot.waitUntil(lambda: form.title_edit.hasFocus())
    seen = []
    for _ in range(6):
        seen.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert seen[:5] == [form.title_edit, form.prompt_edit, form.scenes_spin, form.style_edit, form.characters_edit]


def test_an_error_from_any_coroutine_is_a_notice_with_details_and_copy(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window

    async def failing() -> None:
        raise RuntimeError("The image server refused the prompt — try other words.")

    writer_app.runtime.tasks.start(failing(), "Painting the scene")
    qtbot.waitUntil(lambda: window.notices.isVisible())
    assert window.notices.text.text() == (
        "Painting the scene failed: The image server refused the prompt — try other words."
    )
    assert not window.notices.details.isVisible()
    qtbot.mouseClick(window.notices.details_button, Qt.MouseButton.LeftButton)
    assert window.notices.details.isVisible()
    assert "RuntimeError" in window.notices.details.toPlainText()
    qtbot.mouseClick(window.notices.copy_button, Qt.MouseButton.LeftButton)
    assert "refused the prompt" in QGuiApplication.clipboard().text()
    qtbot.mouseClick(window.notices.dismiss_button, Qt.MouseButton.LeftButton)
    assert not window.notices.isVisible()
    assert len(window.notices.notices) == 1  # hidden, not lost


def test_a_secret_never_reaches_the_notice(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    window.show_error("Testing", RuntimeError("failed for postgresql://writer:hunter22@db.example.com/x"))
    assert "hunter22" not in window.notices.text.text() + window.notices.all_details()


def test_layout_is_remembered_between_runs(open_app: Any, qtbot: Any, tmp_path: Path) -> None:
    first = open_app()
    first.window.resize(760, 560)  # the offscreen screen is 800×600; restoring keeps a window on it
    first.window.splitter.setSizes([300, 460])
    first.window.show_uploads()
    sizes = first.window.splitter.sizes()
    first.close()
    stored = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Storyforge", "Storyforge")
    assert Path(stored.fileName()).is_relative_to(tmp_path)  # never the writer's own settings
    second = open_app()
    assert second.window.size().width() == 760
    assert second.window.splitter.sizes()[0] == sizes[0]
    assert second.window.uploads_panel.isVisible()


def test_the_look_follows_a_dark_palette(qapp: QApplication) -> None:
    light = theme.stylesheet(QPalette(QColor("#f4f4f4")))
    dark_palette = QPalette(QColor("#2b2b2b"))
    dark_palette.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark_palette.setColor(QPalette.ColorRole.WindowText, QColor("#eeeeee"))
    dark = theme.stylesheet(dark_palette)
    assert theme.is_dark(dark_palette) and not theme.is_dark(QPalette(QColor("#f4f4f4")))
    assert light != dark
    assert theme.tone_colors(theme.Tone.danger, dark_palette).background.lightnessF() < 0.5


def test_resources_are_found_in_the_checkout_and_in_a_bundle(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (resources.resources_dir() / "icons" / "storyforge.svg").is_file()
    assert not resources.app_icon().isNull()
    assert not resources.icon("generate").isNull()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resources_dir() == tmp_path / "resources"


def test_every_icon_draws(qapp: QApplication) -> None:
    for svg in (resources.resources_dir() / "icons").glob("*.svg"):
        image = resources.svg_image(svg.stem, 24, QColor("#202020"))
        assert any(image.pixelColor(x, y).alpha() for x in range(24) for y in range(24)), svg.name


def test_the_window_shows_at_once_and_says_when_the_database_cannot_be_reached(
    run: Any, qtbot: Any, tmp_path: Path
) -> None:
    import uuid

    from desktop.config import Settings
    from desktop.secrets import SecretStore
    from desktop.services.runtime import Runtime
    from desktop.ui.window.main_window import MainWindow

    settings = Settings(
        database_url="postgresql://writer:hunter22@127.0.0.1:1/stories",
        data_dir=tmp_path / "data",
        user_id=uuid.uuid4(),
    )
    runtime = Runtime(settings, SecretStore())
    window = MainWindow(runtime)
    window.show()
    assert window.library_panel.notice.text() == "Loading the library…"  # before the database answers
    try:
        assert not run(runtime.start_database())
        assert "Cannot reach the database at 127.0.0.1:1" in window.library_panel.notice.text()
        assert window.notices.isVisible() and "Starting the database failed" in window.notices.text.text()
        assert window.database_label.text() == "Database: unavailable"
        assert "hunter22" not in window.notices.all_details()
    finally:
        window.shutdown()
        run(runtime.shutdown())
        window.deleteLater()


def test_the_window_restyles_when_the_system_turns_dark(writer_app: WriterApp, qapp: QApplication) -> None:
    light = qapp.palette()
    before = qapp.styleSheet()
    dark = QPalette(QColor("#202124"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#17181a"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e8eaed"))
    qapp.setPalette(dark)
    try:
        QApplication.processEvents()
        assert theme.is_dark()
        assert qapp.styleSheet() != before and qapp.styleSheet() == theme.stylesheet(dark)
    finally:
        qapp.setPalette(light)
        QApplication.processEvents()
    assert qapp.styleSheet() == before


def test_the_window_does_not_wait_for_the_keyring_and_settings_opened_early_show_the_stored_key(
    run: Any, qtbot: Any, tmp_path: Path
) -> None:
    import uuid

    import keyring.backend

    from desktop.config import Settings
    from desktop.secrets import SecretStore
    from desktop.services.runtime import Runtime
    from desktop.ui.window.main_window import MainWindow

    class StoredKey(keyring.backend.KeyringBackend):
        priority = 1  # type: ignore[assignment]
        reads = 0

        def get_password(self, service: str, username: str) -> str | None:
            StoredKey.reads += 1
            return "sk-stored-key" if username == "openai_api_key" else None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise AssertionError("opening the settings stores nothing")

        def delete_password(self, service: str, username: str) -> None:
            raise AssertionError("opening the settings erases nothing")

    settings = Settings(data_dir=tmp_path / "data", user_id=uuid.uuid4())
    runtime = Runtime(settings, SecretStore(StoredKey()), keyring_pending=True)
    window = MainWindow(runtime)
    window.show()
    assert StoredKey.reads == 0 and not runtime.secrets_read
    try:
        window.actions_.settings.trigger()  # before the keyring was read: the form waits for the keys
        qtbot.waitUntil(lambda: window.settings_dialog is not None and window.settings_dialog.isVisible())
        assert window.settings_dialog is not None
        assert window.settings_dialog.openai_key.text() == "sk-stored-key"
        assert runtime.settings.openai_api_key.get_secret_value() == "sk-stored-key"
        window.settings_dialog.reject()
    finally:
        window.shutdown()
        run(runtime.shutdown())
        window.deleteLater()
