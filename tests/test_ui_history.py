"""A scene's History as a writer meets it: every edit is a version, the chosen one is compared word by word with the
current text, its image beside the current one, and Restore brings it back as a new version."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from desktop.models import StoryStatus
from desktop.ui.common import theme
from desktop.ui.story.history_dialog import HistoryDialog, VersionRole
from desktop.ui.story.scene_card import SceneCard
from desktop.ui.story.word_diff import Change
from desktop.ui.window.main_window import MainWindow
from tests.support.ui_fixtures import WriterApp, unnamed_controls, write_story

Run = Callable[..., Any]
FIRST_EDIT = "The lamp burned low over the harbour and nobody came."
SECOND_EDIT = "The lamp burned bright over the harbour and everybody came."


def a_written_story(app: WriterApp, qtbot: Any, scenes: int = 2) -> MainWindow:
    window = app.window
    write_story(window, qtbot, "The Keeper", "A lighthouse keeper finds a brass key in a fish.", scenes)
    view = window.story_view
    qtbot.waitUntil(
        lambda: view.story is not None and view.story.status is StoryStatus.complete and len(view.cards) == scenes,
        timeout=30_000,
    )
    qtbot.waitUntil(lambda: all(card.scene and card.has_image for card in view.cards.values()), timeout=20_000)
    return window


def edit(qtbot: Any, card: SceneCard, text: str) -> None:
    """Press Edit, type the new text over the old one, press Save; wait until it is stored."""
    qtbot.mouseClick(card.edit_button, Qt.MouseButton.LeftButton)
    editor = card.editor
    assert editor is not None
    editor.text_edit.selectAll()
    qtbot.keyClicks(editor.text_edit, text)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not card.is_editing and card.busy_text == "" and card.text == text, timeout=10_000)


def history_of(window: MainWindow, qtbot: Any, card: SceneCard) -> HistoryDialog:
    """Ctrl+H with the card's focus."""
    assert card.scene is not None
    card.focus_scene()
    qtbot.waitUntil(lambda: card.isAncestorOf(window.focusWidget()) or window.focusWidget() is card)
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    dialog = window.history_dialogs.get(card.scene.id)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.loads >= 1 and dialog.isVisible(), timeout=10_000)
    assert not dialog.isModal() and not unnamed_controls(dialog)
    return dialog


def lines(dialog: HistoryDialog) -> list[str]:
    model = dialog.model
    return [model.index(row).data() for row in range(model.rowCount())]


def choose(dialog: HistoryDialog, number: int) -> None:
    model = dialog.model
    row = next(row for row in range(model.rowCount()) if model.index(row).data(VersionRole).number == number)
    dialog.list_view.setCurrentIndex(model.index(row))


def test_edits_are_versions_compared_word_by_word_and_restore_brings_one_back(
    writer_app: WriterApp, qtbot: Any, run: Run
) -> None:
    window = a_written_story(writer_app, qtbot)
    card = window.story_view.cards[1]
    assert card.scene is not None
    scene_id, written = card.scene.id, card.text
    edit(qtbot, card, FIRST_EDIT)
    edit(qtbot, card, SECOND_EDIT)

    dialog = history_of(window, qtbot, card)
    assert dialog.scene_id == scene_id
    shown = lines(dialog)
    assert "Scene 2" in dialog.windowTitle()
    # Newest first: the two edits, the picture the offline generator painted, the text it wrote.
    assert [line.split(" — ")[1].split(",")[0] for line in shown] == [
        "edited",
        "edited",
        "painted by the offline generator",
        "written by the offline generator",
    ]
    assert shown[0].startswith("Version 4") and shown[0].endswith("— current")
    assert "just now" in shown[0] and not any(line.endswith("current") for line in shown[1:])

    # Opened on the version before the current one: the first edit against the second.
    assert dialog.list_view.currentIndex().row() == 1
    assert dialog.restore_button.isEnabled()
    html = dialog.text_view.toHtml()
    assert "line-through" in html and "underline" in html
    struck = [p.text for p in _pieces(dialog) if p.change is Change.deleted]
    added = [p.text for p in _pieces(dialog) if p.change is Change.added]
    assert struck == ["bright", "everybody"] and added == ["low", "nobody"]
    assert "2 words only in this version, 2 words only in the current version." in dialog.compared_label.text()

    # In a dark theme the marks take the dark theme's colours, which read on its background.
    before = QApplication.palette()
    light = theme.tone_colors(theme.Tone.success).text.name()
    try:
        QApplication.setPalette(QPalette(QColor("#202124")))
        theme.apply(QApplication.instance())
        dark = theme.tone_colors(theme.Tone.success).text.name()
        qtbot.waitUntil(lambda: dark in dialog.text_view.toHtml(), timeout=5_000)
        assert dark != light and light not in dialog.text_view.toHtml()
    finally:
        QApplication.setPalette(before)
        theme.apply(QApplication.instance())

    choose(dialog, 4)  # the current one: nothing to restore
    assert not dialog.restore_button.isEnabled()
    assert "is the current version" in dialog.compared_label.text()

    choose(dialog, 1)
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 5, timeout=10_000)
    qtbot.waitUntil(lambda: card.text == written, timeout=10_000)
    top = lines(dialog)[0]
    assert top.startswith("Version 5 — restored from version 1") and top.endswith("— current")
    assert dialog.list_view.currentIndex().row() == 0  # the restored version, now the current one
    stored = run(writer_app.session.scene_rows.get(scene_id))
    assert stored is not None and stored.text == written

    # An edit made elsewhere reaches the open History too.
    edit(qtbot, card, FIRST_EDIT)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 6, timeout=10_000)
    dialog.close()
    qtbot.waitUntil(lambda: scene_id not in window.history_dialogs, timeout=5_000)


def _pieces(dialog: HistoryDialog) -> list[Any]:
    from desktop.ui.story.word_diff import word_diff

    index = dialog.list_view.currentIndex()
    version = index.data(VersionRole)
    current = dialog.model.index(0).data(VersionRole)
    return word_diff(current.text, version.text).pieces


def test_a_repainted_scene_shows_its_old_image_beside_the_new_one(writer_app: WriterApp, qtbot: Any, run: Run) -> None:
    window = a_written_story(writer_app, qtbot, scenes=1)
    card = window.story_view.cards[0]
    assert card.scene is not None
    old_image = card.scene.image_path
    qtbot.mouseClick(card.repaint_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: card.scene is not None and card.scene.image_path not in ("", old_image) and card.busy_text == "",
        timeout=20_000,
    )
    new_image = card.scene.image_path

    window.open_history(card.scene.id)  # as the StoryView's own history button asks for it
    dialog = window.history_dialogs[card.scene.id]
    qtbot.waitUntil(lambda: dialog.loads >= 1, timeout=10_000)
    assert lines(dialog)[0].split(" — ")[1].startswith("painted by the offline generator")
    choose(dialog, 2)  # the first picture
    qtbot.waitUntil(
        lambda: (
            not dialog.this_picture.picture.pixmap().isNull() and not dialog.current_picture.picture.pixmap().isNull()
        ),
        timeout=10_000,
    )
    assert (dialog.this_picture.path, dialog.current_picture.path) == (old_image, new_image)

    choose(dialog, 1)  # the written text had no picture yet
    qtbot.waitUntil(lambda: dialog.this_picture.note == "No image", timeout=5_000)

    os.unlink(old_image)
    window.thumbnails.cache = type(window.thumbnails.cache)()  # nothing remembered of the file
    choose(dialog, 2)
    qtbot.waitUntil(
        lambda: "missing" in dialog.this_picture.note and not dialog.current_picture.picture.pixmap().isNull(),
        timeout=5_000,
    )
