"""The writer's workbench at the window: insert a blank or a written scene, move one with Alt+Down or by dragging its
card, delete one and bring it back with Ctrl+Z, undo and redo edits, a regeneration and a rename (also after a
restart), continue the story; and Ctrl+Z in a text field still undoes the typing there."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from desktop.db.repositories import SceneOrderRepository
from desktop.models import StoryStatus, UploadStatus
from desktop.ui.common.widgets import plain
from desktop.ui.story.continue_dialog import ContinueDialog
from desktop.ui.story.scene_card import SceneCard
from desktop.ui.story.scene_commands import SceneCommand
from desktop.ui.story.story_view import StoryView
from tests.support.ui_fixtures import WriterApp, all_thumbnails_shown, card_menu, written_story

Run = Callable[..., Any]
PROMPT = "Mira, a lighthouse keeper, finds a brass key in a fish."


def written(app: WriterApp, qtbot: Any, title: str, scenes: int = 3) -> StoryView:
    return written_story(app, qtbot, title, PROMPT, scenes)


def scene_ids(view: StoryView) -> list[uuid.UUID]:
    return [card.scene.id for _, card in sorted(view.cards.items()) if card.scene is not None]


def numbers(view: StoryView) -> list[str]:
    return [card.number_text for _, card in sorted(view.cards.items())]


def at_card(card: SceneCard, qtbot: Any) -> QWidget:
    """The writer clicks into the card (not into a text field): its first action has the focus."""
    window = card.window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    card.focus_scene()
    focused = QApplication.focusWidget()
    assert focused is not None and card.isAncestorOf(focused)
    return focused


def press(widget: QWidget, qtbot: Any, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    qtbot.keyClick(widget, key, modifiers)


def reopened(open_app: Callable[..., WriterApp], qtbot: Any, scenes: int) -> tuple[WriterApp, StoryView]:
    """Quit and start the app again: the story that was open opens again."""
    again = open_app()
    again.window.activateWindow()
    view = again.window.story_view
    qtbot.waitUntil(lambda: view.story is not None and len(view.cards) == scenes, timeout=15_000)
    return again, view


def test_a_blank_scene_after_scene_1_opens_for_typing_and_keeps_the_words(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    actions = window.actions_
    assert not any(a.isEnabled() for a in (actions.insert_blank_after, actions.delete_scene, actions.continue_story))
    assert not actions.undo.isEnabled() and plain(actions.undo.text()) == "Undo"  # no story open
    view = written(writer_app, qtbot, "The Blank Page")
    before = scene_ids(view)
    at_card(view.cards[0], qtbot)
    assert window.actions_.insert_blank_after.isEnabled()
    window.actions_.insert_blank_after.trigger()
    qtbot.waitUntil(lambda: len(view.cards) == 4 and view.cards[1].is_editing, timeout=10_000)
    card = view.cards[1]
    editor = card.editor
    assert editor is not None and card.scene is not None and card.scene.text == ""
    qtbot.waitUntil(editor.text_edit.hasFocus)  # the writer types at once
    qtbot.keyClicks(editor.text_edit, "Mira rows out before dawn.")
    press(editor.text_edit, qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: card.scene is not None and card.scene.text == "Mira rows out before dawn.", timeout=10_000)
    assert not card.is_editing
    assert scene_ids(view) == [before[0], card.scene.id, *before[1:]]
    assert numbers(view) == ["SCENE 1", "SCENE 2", "SCENE 3", "SCENE 4"]
    assert view.story is not None and view.story.scene_count == 4
    qtbot.waitUntil(lambda: plain(window.actions_.undo.text()) == "Undo change to a scene", timeout=5000)


def test_a_written_scene_shows_it_is_being_written_then_is_written_and_painted(
    writer_app: WriterApp, qtbot: Any
) -> None:
    window, service = writer_app.window, writer_app.session.stories
    view = written(writer_app, qtbot, "The Second Key")
    before = scene_ids(view)
    seen_busy: list[str] = []
    # Connected after the story page: it runs once the page has made the new card.
    service.scenes_arranged.connect(lambda *_: seen_busy.append(view.cards[2].busy_text))
    focused = at_card(view.cards[1], qtbot)
    press(focused, qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: len(view.cards) == 4, timeout=10_000)
    card = view.cards[2]
    assert seen_busy[:1] == ["Writing…"]
    assert not window.actions_.move_scene_up.isEnabled()  # nothing is arranged while it is written
    qtbot.waitUntil(lambda: card.busy_text == "" and card.has_image, timeout=20_000)
    qtbot.waitUntil(lambda: all_thumbnails_shown(window, 4), timeout=15_000)
    assert card.scene is not None and len(card.scene.text) > 40 and card.scene.id not in before
    assert scene_ids(view) == [*before[:2], card.scene.id, before[2]]
    assert card.hasFocus()
    qtbot.waitUntil(lambda: plain(window.actions_.undo.text()) == "Undo insert scene", timeout=5000)


def next_card_by_tab(view: StoryView, card: SceneCard) -> SceneCard | None:
    """The card Tab reaches after the controls of `card`."""
    widget = card.edit_button.nextInFocusChain()
    for _ in range(1000):
        for other in view.cards.values():
            if other is not card and other.isAncestorOf(widget):
                return other
        widget = widget.nextInFocusChain()
    return None


def drop(view: StoryView, card: SceneCard, below: SceneCard) -> None:
    """Drag `card` by its grip and drop it just below `below`, through the column's real drag events."""
    column = below.parentWidget()
    assert column is not None
    data = card.drag_data()
    point = QPointF(below.geometry().center().x(), below.geometry().bottom() + 4)
    buttons, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    move = Qt.DropAction.MoveAction
    QApplication.sendEvent(column, QDragEnterEvent(point.toPoint(), move, data, buttons, none))
    QApplication.sendEvent(column, QDragMoveEvent(point.toPoint(), move, data, buttons, none))
    assert column.findChild(QWidget, "dropIndicator").isVisible()  # a line shows where it would land
    QApplication.sendEvent(column, QDropEvent(point, move, data, buttons, none))
    assert not column.findChild(QWidget, "dropIndicator").isVisible()


def test_moved_with_alt_down_and_by_a_drag_the_order_and_the_uploads_survive_a_restart(
    open_app: Callable[..., WriterApp], qtbot: Any, run: Run
) -> None:
    app = open_app()
    window = app.window
    view = written(app, qtbot, "The Moving Tide", scenes=4)
    qtbot.waitUntil(lambda: "4 images uploaded" in view.header.progress_label.text(), timeout=15_000)
    story_id = view.story.id if view.story is not None else None
    assert story_id is not None
    paths = {u.scene_id: u.object_path for u in run(app.session.uploads.uploads(story_id=story_id))}
    first, second, third, fourth = scene_ids(view)

    moved = view.cards[0]
    stale = moved.scene
    focused = at_card(moved, qtbot)
    assert not window.actions_.move_scene_up.isEnabled()  # the first scene goes no higher
    press(focused, qtbot, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: scene_ids(view) == [second, first, third, fourth], timeout=10_000)
    assert view.cards[1] is moved and moved.number_text == "SCENE 2"
    qtbot.waitUntil(lambda: view.holds_focus(moved))  # the focus stays on the moved card
    assert window.actions_.move_scene_up.isEnabled()
    qtbot.waitUntil(lambda: plain(window.actions_.undo.text()) == "Undo move scene", timeout=5000)
    assert next_card_by_tab(view, view.cards[0]) is view.cards[1]  # Tab follows the order shown
    assert stale is not None
    view.on_scene_saved(stale)  # read before the move, heard after it: it lands on its own card, in its new place
    assert scene_ids(view) == [second, first, third, fourth] and view.cards[0].scene is not None
    assert moved.scene is not None and moved.scene.index == 1

    grip, text = view.cards[0].grip_area(), view.cards[0].text_area()
    assert not grip.intersects(text)  # a press on the text selects it; the number row and title drag
    drop(view, view.cards[0], below=view.cards[3])  # the second scene, now first, goes last
    qtbot.waitUntil(lambda: scene_ids(view) == [first, third, fourth, second], timeout=10_000)
    assert numbers(view) == ["SCENE 1", "SCENE 2", "SCENE 3", "SCENE 4"]
    assert [card.badge_text for _, card in sorted(view.cards.items())] == ["Uploaded"] * 4

    again, view = reopened(open_app, qtbot, 4)
    assert scene_ids(view) == [first, third, fourth, second]
    uploads = run(again.session.uploads.uploads(story_id=story_id))
    assert {u.scene_id: u.object_path for u in uploads} == paths  # nothing was sent again under another name
    assert all(u.status is UploadStatus.uploaded for u in uploads)
    assert {u.scene_id: u.scene_index for u in uploads} == {first: 0, third: 1, fourth: 2, second: 3}
    qtbot.waitUntil(lambda: all_thumbnails_shown(again.window, 4), timeout=15_000)
    assert [card.badge_text for _, card in sorted(view.cards.items())] == ["Uploaded"] * 4


def test_a_deleted_scene_goes_to_the_trash_and_ctrl_z_brings_it_back(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    view = written(writer_app, qtbot, "The Lost Chapter")
    before = scene_ids(view)
    at_card(view.cards[1], qtbot)
    window.actions_.delete_scene.trigger()
    qtbot.waitUntil(lambda: scene_ids(view) == [before[0], before[2]], timeout=10_000)
    line = "Scene 2 moved to the trash — Ctrl+Z brings it back"
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == line, timeout=5000)
    assert view.holds_focus(view.cards[1])  # the scene now in its place
    assert numbers(view) == ["SCENE 1", "SCENE 2"]
    assert view.story is not None
    story_id = view.story.id

    def library_counts() -> tuple[int, int] | None:
        row = window.library.summary(story_id)
        return (row.scenes_written, row.scene_count) if row is not None else None

    qtbot.waitUntil(lambda: library_counts() == (2, 2), timeout=5000)  # the library's row counts as the page does
    qtbot.waitUntil(lambda: plain(window.actions_.undo.text()) == "Undo delete scene", timeout=5000)
    press(QApplication.focusWidget() or window, qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: scene_ids(view) == before, timeout=10_000)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Undid delete scene.", timeout=5000)
    qtbot.waitUntil(lambda: all_thumbnails_shown(window, 3), timeout=10_000)
    qtbot.waitUntil(lambda: plain(window.actions_.redo.text()) == "Redo delete scene", timeout=5000)
    qtbot.waitUntil(lambda: library_counts() == (3, 3), timeout=5000)


def answer_replace(card: SceneCard, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: isinstance(card.question, QMessageBox) and card.question.isVisible())
    box = card.question
    assert isinstance(box, QMessageBox)
    replace = next(button for button in box.buttons() if plain(button.text()) == "Replace")
    replace.click()


def test_undo_an_edit_and_a_regeneration_then_redo_after_a_restart(
    open_app: Callable[..., WriterApp], qtbot: Any
) -> None:
    app = open_app()
    window = app.window
    view = written(app, qtbot, "The Rewritten Shore", scenes=2)
    card = view.cards[0]
    assert card.scene is not None
    original = card.scene.text
    card.edit_button.click()
    editor = card.editor
    assert editor is not None
    qtbot.waitUntil(editor.text_edit.hasFocus)
    editor.text_edit.selectAll()
    qtbot.keyClicks(editor.text_edit, "My own words for the shore.")
    press(editor.text_edit, qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: card.scene is not None and card.scene.text == "My own words for the shore.")
    qtbot.waitUntil(lambda: card.busy_text == "" and card.rewrite_button.isEnabled(), timeout=10_000)
    card.rewrite_button.click()
    answer_replace(card, qtbot)
    qtbot.waitUntil(
        lambda: card.scene is not None and card.scene.text not in (original, "My own words for the shore."),
        timeout=15_000,
    )
    qtbot.waitUntil(lambda: card.busy_text == "" and window.actions_.undo.isEnabled(), timeout=10_000)

    focused = at_card(card, qtbot)
    press(focused, qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: card.scene is not None and card.scene.text == "My own words for the shore.")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Undid change to a scene.", timeout=5000)
    press(QApplication.focusWidget() or window, qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: card.scene is not None and card.scene.text == original, timeout=10_000)
    qtbot.waitUntil(lambda: not window.actions_.undo.isEnabled(), timeout=5000)
    assert plain(window.actions_.undo.text()) == "Undo"

    again, view = reopened(open_app, qtbot, 2)
    actions = again.window.actions_
    qtbot.waitUntil(lambda: plain(actions.redo.text()) == "Redo change to a scene" and actions.redo.isEnabled())
    assert view.cards[0].text == original
    focused = at_card(view.cards[0], qtbot)
    press(focused, qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: view.cards[0].text == "My own words for the shore.", timeout=10_000)
    qtbot.waitUntil(lambda: plain(actions.undo.text()) == "Undo change to a scene")


def test_undo_a_rename_restores_the_title(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    view = written(writer_app, qtbot, "The Key in the Fish", scenes=1)
    press(window, qtbot, Qt.Key.Key_F2, Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(lambda: window.rename_dialog is not None and window.rename_dialog.isVisible())
    dialog = window.rename_dialog
    assert dialog is not None
    dialog.title_edit.selectAll()
    qtbot.keyClicks(dialog.title_edit, "The Brass Key")
    press(dialog.title_edit, qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(lambda: view.header.title.text() == "The Brass Key")
    qtbot.waitUntil(lambda: plain(window.actions_.undo.text()) == "Undo rename" and window.actions_.undo.isEnabled())
    assert not window.actions_.delete_scene.isEnabled()  # the only scene stays: the story is deleted instead
    window.actions_.undo.trigger()
    qtbot.waitUntil(lambda: view.header.title.text() == "The Key in the Fish", timeout=10_000)
    assert window.windowTitle() == "The Key in the Fish — Storyforge"
    qtbot.waitUntil(lambda: plain(window.actions_.redo.text()) == "Redo rename")


def test_continue_the_story_by_two_scenes(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    view = written(writer_app, qtbot, "The Long Voyage", scenes=2)
    assert window.actions_.continue_story.isEnabled()
    window.actions_.continue_story.trigger()
    qtbot.waitUntil(lambda: window.continue_dialog is not None and window.continue_dialog.isVisible())
    dialog = window.continue_dialog
    assert dialog is not None and dialog.count_spin.value() == 3 and dialog.count_spin.maximum() == 10
    assert not dialog.isModal() or dialog.windowModality() is not Qt.WindowModality.ApplicationModal
    dialog.count_spin.setValue(2)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: window.continue_dialog is None)
    qtbot.waitUntil(lambda: view.story is not None and view.story.scene_count == 4, timeout=10_000)
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)
    qtbot.waitUntil(lambda: all_thumbnails_shown(window, 4), timeout=15_000)
    assert numbers(view) == ["SCENE 1", "SCENE 2", "SCENE 3", "SCENE 4"]
    assert all(card.scene is not None and len(card.scene.text) > 40 for card in view.cards.values())


def test_ctrl_z_in_a_text_field_undoes_the_typing_there_not_the_story(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    view = written(writer_app, qtbot, "The Quiet Harbour", scenes=2)
    before = scene_ids(view)
    focused = at_card(view.cards[0], qtbot)
    press(focused, qtbot, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: scene_ids(view) == before[::-1], timeout=10_000)
    qtbot.waitUntil(lambda: window.actions_.undo.isEnabled(), timeout=5000)

    card = view.cards[0]
    card.edit_button.click()
    editor = card.editor
    assert editor is not None
    qtbot.waitUntil(editor.text_edit.hasFocus)
    shown = editor.text_edit.toPlainText()
    editor.text_edit.moveCursor(editor.text_edit.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor.text_edit, " More")
    assert editor.text_edit.toPlainText() == shown + " More"
    press(editor.text_edit, qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.text_edit.toPlainText() == shown  # the typing is undone…
    assert scene_ids(view) == before[::-1]  # …and the story's move stays
    assert plain(window.actions_.undo.text()) == "Undo move scene"

    search = window.search_box
    search.setFocus()
    qtbot.waitUntil(search.hasFocus)
    qtbot.keyClicks(search, "harbour")
    press(search, qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert search.text() == ""
    assert scene_ids(view) == before[::-1]


def test_a_cards_context_menu_offers_the_scene_commands(writer_app: WriterApp, qtbot: Any) -> None:
    view = written(writer_app, qtbot, "The Open Menu", scenes=2)
    card = view.cards[0]
    assert card.scene is not None
    first, second = scene_ids(view)
    menu, offered = card_menu(card, qtbot)
    for command in SceneCommand:
        if command is SceneCommand.repaint_new_seed:
            assert "Regenerate image" in offered  # the card's own, which is the same
        else:
            assert command.value in offered
    assert not offered["Move scene up"].isEnabled() and offered["Move scene down"].isEnabled()
    with qtbot.waitSignal(view.history_requested, timeout=1000) as asked:
        offered["Scene history…"].trigger()
    assert asked.args == [first]
    history = writer_app.window.history_dialogs.get(first)  # the window opened that scene's History
    assert history is not None
    qtbot.waitUntil(history.isVisible)
    history.close()
    offered["Move scene down"].trigger()
    menu.close()
    qtbot.waitUntil(lambda: scene_ids(view) == [second, first], timeout=10_000)


def test_scenes_moved_or_deleted_elsewhere_take_their_places_here(writer_app: WriterApp, qtbot: Any, run: Run) -> None:
    """Another window or device arranges the story: the change feed brings its scenes one by one (LiveChanges calls
    `show_changes_from_elsewhere`), and the page reads the order again rather than put a scene on another's card."""
    view = written(writer_app, qtbot, "The Far Shore")
    session = writer_app.session
    assert view.story is not None
    ids, story_id = scene_ids(view), view.story.id
    elsewhere = SceneOrderRepository(session.pool)
    run(elsewhere.move(story_id, ids[::-1]))
    run(session.stories.show_changes_from_elsewhere(set(), set(ids)))
    qtbot.waitUntil(lambda: scene_ids(view) == ids[::-1], timeout=10_000)
    assert numbers(view) == ["SCENE 1", "SCENE 2", "SCENE 3"]
    run(elsewhere.delete(ids[0]))  # the last one now: no other scene moves
    run(session.stories.show_changes_from_elsewhere(set(), {ids[0]}))
    qtbot.waitUntil(lambda: scene_ids(view) == [ids[2], ids[1]], timeout=10_000)


def test_continue_offers_no_more_scenes_than_the_story_can_take(qtbot: Any) -> None:
    dialog = ContinueDialog(48)
    qtbot.addWidget(dialog)
    assert (dialog.count_spin.value(), dialog.count_spin.maximum()) == (2, 2)  # 50 scenes at most
    assert "can take 2 more" in " ".join(label.text() for label in dialog.findChildren(QLabel))
