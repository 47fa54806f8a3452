"""Deleting and the Trash as a writer meets them: Delete sends a story to the trash without asking, the Trash window
brings stories and scenes back, and Empty trash asks, then removes them for good with their image files."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.models import Story, StoryStatus
from desktop.ui.common.widgets import plain
from desktop.ui.library.trash_dialog import TrashDialog
from desktop.ui.window.main_window import MainWindow
from tests.support.ui_fixtures import WriterApp, unnamed_controls, write_story

Run = Callable[..., Any]


def a_written_story(app: WriterApp, qtbot: Any, title: str, scenes: int = 2) -> Story:
    window = app.window
    write_story(window, qtbot, title, "A lighthouse keeper finds a brass key in a fish.", scenes)
    view = window.story_view
    qtbot.waitUntil(
        lambda: (
            view.story is not None
            and view.story.title == title
            and view.story.status is StoryStatus.complete
            and len(view.cards) == scenes
            and all(card.has_image for card in view.cards.values())
        ),
        timeout=30_000,
    )
    assert view.story is not None
    return view.story


def press_delete_in_library(window: MainWindow, qtbot: Any, story_id: uuid.UUID) -> None:
    window.library_panel.select_story(story_id)
    window.library_view.setFocus()
    qtbot.keyClick(window.library_view, Qt.Key.Key_Delete)


def trash_window(window: MainWindow, qtbot: Any) -> TrashDialog:
    qtbot.mouseClick(window.library_panel.trash_button, Qt.MouseButton.LeftButton)
    dialog = window.trash_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.loads >= 1 and dialog.isVisible(), timeout=10_000)
    assert not dialog.isModal() and not unnamed_controls(dialog)
    return dialog


def rows(dialog: TrashDialog) -> list[str]:
    return [dialog.list.item(row).text() for row in range(dialog.list.count())]


def restore(dialog: TrashDialog, qtbot: Any, item_id: uuid.UUID) -> None:
    dialog.list.clearSelection()
    item = dialog.item_of(item_id)
    assert item is not None
    item.setSelected(True)
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)


def open_questions(parent: QWidget) -> list[QMessageBox]:
    return [box for box in parent.findChildren(QMessageBox) if shiboken6.isValid(box) and box.isVisible()]


def test_delete_in_the_library_sends_the_open_story_to_the_trash_and_restore_brings_it_back(
    writer_app: WriterApp, qtbot: Any, run: Run
) -> None:
    window = writer_app.window
    story = a_written_story(writer_app, qtbot, "The Keeper")
    assert window.library.row_of(story.id) is not None

    press_delete_in_library(window, qtbot, story.id)
    qtbot.waitUntil(lambda: window.library.row_of(story.id) is None, timeout=10_000)
    assert not open_questions(window)  # it is recoverable: nothing is asked
    assert window.statusBar().currentMessage() == "“The Keeper” moved to the trash — View → Trash… restores it"
    assert window.pages.currentWidget() is window.empty_page  # the open story went with it
    assert window.windowTitle() == "Storyforge"

    dialog = trash_window(window, qtbot)
    assert "30 days" in dialog.kept_line.text()
    assert rows(dialog) == ["Stories", "The Keeper — 2 scenes — deleted just now"]
    restore(dialog, qtbot, story.id)
    qtbot.waitUntil(lambda: window.library.row_of(story.id) is not None, timeout=10_000)
    qtbot.waitUntil(lambda: dialog.empty_label.isVisible(), timeout=10_000)
    summary = window.library.summary(story.id)
    qtbot.waitUntil(lambda: (window.library.summary(story.id) or summary).scenes_written == 2, timeout=10_000)

    # The Story menu's command and the library's context menu do the same.
    window.open_story(story.id)
    qtbot.waitUntil(lambda: window.story_view.story is not None and window.pages.currentWidget() is window.story_view)
    window.actions_.delete_story.trigger()
    qtbot.waitUntil(lambda: window.library.row_of(story.id) is None, timeout=10_000)
    qtbot.waitUntil(lambda: len(rows(dialog)) == 2, timeout=10_000)
    restore(dialog, qtbot, story.id)
    qtbot.waitUntil(lambda: window.library.row_of(story.id) is not None, timeout=10_000)
    window._story_menu(story.id, QPoint(0, 0))
    menu = window.story_menu
    assert menu is not None and menu.delete_action.isEnabled()
    menu.delete_action.trigger()
    menu.hide()
    qtbot.waitUntil(lambda: window.library.row_of(story.id) is None, timeout=10_000)


def test_a_scene_deleted_comes_back_from_the_trash_in_its_place(writer_app: WriterApp, qtbot: Any, run: Run) -> None:
    window = writer_app.window
    story = a_written_story(writer_app, qtbot, "Harbour Lights", scenes=3)
    view = window.story_view
    second = view.cards[1].scene
    assert second is not None
    dialog = trash_window(window, qtbot)
    assert dialog.empty_label.isVisible() and not dialog.empty_button.isEnabled()

    run(writer_app.session.trash.delete_scene(second.id))
    qtbot.waitUntil(lambda: dialog.item_of(second.id) is not None, timeout=10_000)
    assert rows(dialog) == ["Scenes", f"Scene 2 “{second.title}” of Harbour Lights — deleted just now"]
    restore(dialog, qtbot, second.id)
    qtbot.waitUntil(lambda: dialog.empty_label.isVisible(), timeout=10_000)
    opened = run(writer_app.session.stories.open(story.id))
    assert [scene.id for scene in opened.scenes][1] == second.id


def test_empty_trash_asks_then_removes_the_story_and_its_image_files_for_good(
    writer_app: WriterApp, qtbot: Any, run: Run
) -> None:
    window = writer_app.window
    story = a_written_story(writer_app, qtbot, "The Keeper", scenes=2)
    images = [card.scene.image_path for card in window.story_view.cards.values() if card.scene is not None]
    assert len(images) == 2 and all(os.path.exists(path) for path in images)
    press_delete_in_library(window, qtbot, story.id)
    qtbot.waitUntil(lambda: window.library.row_of(story.id) is None, timeout=10_000)
    dialog = trash_window(window, qtbot)
    assert dialog.empty_button.isEnabled()

    qtbot.mouseClick(dialog.empty_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(open_questions(dialog)) == 1, timeout=5_000)
    box = open_questions(dialog)[0]
    assert box.text() == "Remove 1 story for good?"
    assert "from this computer and from storage" in box.informativeText()
    cancel = next(b for b in box.buttons() if plain(b.text()) == "Cancel")
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not open_questions(dialog), timeout=5_000)
    assert run(writer_app.session.stories.summary(story.id)) is None and dialog.item_of(story.id) is not None
    assert all(os.path.exists(path) for path in images)  # nothing happened

    qtbot.mouseClick(dialog.empty_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(open_questions(dialog)) == 1, timeout=5_000)
    box = open_questions(dialog)[0]
    empty = next(b for b in box.buttons() if plain(b.text()) == "Empty trash")
    qtbot.mouseClick(empty, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status_line.text() == "1 story removed for good.", timeout=10_000)
    qtbot.waitUntil(lambda: dialog.empty_label.isVisible(), timeout=10_000)
    assert run(writer_app.session.story_rows.get(story.id)) is None  # gone for good, not only hidden
    assert run(writer_app.session.trash.contents()).empty
    assert not any(os.path.exists(path) for path in images)


def test_a_story_being_written_cannot_be_deleted(open_app: Callable[..., WriterApp], qtbot: Any) -> None:
    app = open_app(offline_delay=0.5)
    window = app.window
    write_story(window, qtbot, "Slow Tide", "A ferry crosses a strait at night.", 6)
    view = window.story_view
    qtbot.waitUntil(lambda: view.story is not None and view.story.status.is_running, timeout=20_000)
    assert view.story is not None
    story_id = view.story.id
    press_delete_in_library(window, qtbot, story_id)
    qtbot.waitUntil(lambda: "still being written" in window.statusBar().currentMessage(), timeout=10_000)
    assert window.library.row_of(story_id) is not None
    window.story_view.cancel_generation()
    qtbot.waitUntil(lambda: view.story is not None and not view.story.status.is_running, timeout=20_000)
