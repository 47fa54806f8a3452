"""A writer's edits are never thrown away by accident: leaving the editor with unsaved changes, regenerating a scene
edited by hand and quitting while a story is written all ask first, and the answer is what happens."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop.models import Scene, StoryStatus
from desktop.ui.common.widgets import plain
from desktop.ui.story.scene_card import SceneCard
from desktop.ui.story.scene_editor import SceneEditor
from desktop.ui.window.main_window import MainWindow
from tests.support.ui_fixtures import WriterApp, write_story

Run = Callable[..., Any]
NEW_TEXT = "The frost came early that year, and the grafts held."


def open_questions(window: QWidget) -> list[QMessageBox]:
    return [box for box in window.findChildren(QMessageBox) if shiboken6.isValid(box) and box.isVisible()]


def question(qtbot: Any, window: QWidget) -> QMessageBox:
    """The one question on screen, as the writer sees it (the window's modal box)."""
    qtbot.waitUntil(lambda: len(open_questions(window)) == 1, timeout=5_000)
    box = open_questions(window)[0]
    assert QApplication.activeModalWidget() is box  # it holds the window until it is answered
    return box


def labels(box: QMessageBox) -> set[str]:
    return {plain(button.text()) for button in box.buttons()}


def asked(qtbot: Any, window: QWidget, label: str) -> str:
    """Answer the question on screen with `label`; return what it said."""
    box = question(qtbot, window)
    said = f"{box.text()}\n{box.informativeText()}"
    assert label in labels(box)
    button = next(button for button in box.buttons() if plain(button.text()) == label)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not open_questions(window), timeout=5_000)
    return said


def stored(app: WriterApp, run: Run, scene_id: uuid.UUID) -> Scene:
    scene = run(app.session.scene_rows.get(scene_id))
    assert scene is not None
    return scene


def a_written_story(app: WriterApp, qtbot: Any, title: str = "Winter Orchard", scenes: int = 2) -> MainWindow:
    window = app.window
    write_story(window, qtbot, title, "An old gardener teaches a girl to graft apple trees.", scenes)
    view = window.story_view
    qtbot.waitUntil(
        lambda: view.story is not None and view.story.title == title and view.story.status is StoryStatus.complete,
        timeout=30_000,
    )
    qtbot.waitUntil(lambda: len(view.cards) == scenes and all(c.scene for c in view.cards.values()), timeout=10_000)
    return window


def type_into(qtbot: Any, card: SceneCard, text: str, *, replace: bool = False) -> SceneEditor:
    """Press Edit on the card and type `text` (over the whole text with `replace`)."""
    qtbot.mouseClick(card.edit_button, Qt.MouseButton.LeftButton)
    editor = card.editor
    assert editor is not None and card.is_editing
    if replace:
        editor.text_edit.selectAll()
    qtbot.keyClicks(editor.text_edit, text)
    return editor


def test_esc_with_unsaved_changes_asks_and_each_answer_does_what_it_says(
    writer_app: WriterApp, run: Run, qtbot: Any
) -> None:
    window = a_written_story(writer_app, qtbot)
    card = writer_app.window.story_view.cards[1]
    assert card.scene is not None
    scene_id, original = card.scene.id, card.text

    editor = type_into(qtbot, card, "")
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Escape)  # nothing typed: it just closes
    assert not open_questions(window) and not card.is_editing

    type_into(qtbot, card, " The gulls were silent.")
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Escape)
    said = asked(qtbot, window, "Keep editing")
    assert f"Scene 2 “{card.title}”" in said
    assert card.is_editing and "The gulls were silent." in editor.text_edit.toPlainText()
    qtbot.waitUntil(editor.text_edit.hasFocus)  # back where the writer was typing

    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Escape)
    assert labels(question(qtbot, window)) == {"Save", "Discard", "Keep editing"}
    asked(qtbot, window, "Discard")
    assert not card.is_editing and card.text == original
    assert stored(writer_app, run, scene_id).text == original

    type_into(qtbot, card, NEW_TEXT, replace=True)
    qtbot.mouseClick(editor.discard_button, Qt.MouseButton.LeftButton)  # closing the editor asks too
    asked(qtbot, window, "Save")
    qtbot.waitUntil(lambda: card.busy_text == "" and not card.is_editing, timeout=10_000)
    assert card.text == NEW_TEXT
    scene = stored(writer_app, run, scene_id)
    assert scene.text == NEW_TEXT and scene.edited_at is not None


def test_regenerate_text_on_a_scene_edited_by_hand_asks_before_replacing_it(
    writer_app: WriterApp, run: Run, qtbot: Any
) -> None:
    window = a_written_story(writer_app, qtbot)
    view = window.story_view
    untouched, card = view.cards[1], view.cards[0]
    assert untouched.scene is not None and card.scene is not None
    untouched_text = untouched.text
    editor = type_into(qtbot, untouched, "")
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # saved, but not changed
    qtbot.waitUntil(lambda: untouched.busy_text == "" and not untouched.is_editing, timeout=10_000)
    assert stored(writer_app, run, untouched.scene.id).edited_at is None
    qtbot.mouseClick(untouched.rewrite_button, Qt.MouseButton.LeftButton)  # never changed by hand: no question
    assert not open_questions(window)
    qtbot.waitUntil(lambda: untouched.busy_text == "" and untouched.text != untouched_text, timeout=15_000)

    editor = type_into(qtbot, card, NEW_TEXT, replace=True)
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Save
    # Saved, and the save done (it is also recorded for Undo after the scene is shown): the card is free again.
    qtbot.waitUntil(
        lambda: card.scene is not None and card.scene.edited_at is not None and card.busy_text == "", timeout=10_000
    )

    qtbot.mouseClick(card.rewrite_button, Qt.MouseButton.LeftButton)
    box = question(qtbot, window)
    assert box.text() == f"Scene 1 “{card.title}” was edited by hand. Regenerate its text and replace your edits?"
    assert labels(box) == {"Replace", "Keep my text"}
    asked(qtbot, window, "Keep my text")
    assert card.busy_text == "" and card.text == NEW_TEXT
    assert stored(writer_app, run, card.scene.id).text == NEW_TEXT

    qtbot.mouseClick(card.rewrite_button, Qt.MouseButton.LeftButton)
    asked(qtbot, window, "Replace")
    qtbot.waitUntil(lambda: card.busy_text == "" and card.text != NEW_TEXT, timeout=15_000)
    scene = stored(writer_app, run, card.scene.id)
    assert scene.text == card.text != NEW_TEXT
    assert scene.edited_at is None  # generated again: the next Regenerate text does not ask
    rewritten = card.text
    qtbot.mouseClick(card.rewrite_button, Qt.MouseButton.LeftButton)
    assert not open_questions(window)
    qtbot.waitUntil(lambda: card.busy_text == "" and card.text != rewritten, timeout=15_000)


def test_opening_another_story_or_a_new_one_asks_about_unsaved_changes(
    writer_app: WriterApp, run: Run, qtbot: Any
) -> None:
    window = a_written_story(writer_app, qtbot, "Salt Road", scenes=1)
    window = a_written_story(writer_app, qtbot, "Glass Harbour", scenes=1)
    view, library = window.story_view, window.library
    qtbot.waitUntil(lambda: library.rowCount() == 2, timeout=10_000)
    harbour = view.story
    assert harbour is not None
    card = view.cards[0]
    assert card.scene is not None
    scene_id, original = card.scene.id, card.text

    editor = type_into(qtbot, card, " A bell rang.")
    window.library_view.setCurrentIndex(library.index(1))  # the other story: Salt Road
    asked(qtbot, window, "Keep editing")
    assert view.story_id == harbour.id and card.is_editing
    selected = window.selected_story()
    assert selected is not None and selected.id == harbour.id  # the library points at the story kept open
    qtbot.waitUntil(editor.text_edit.hasFocus)

    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # New story
    asked(qtbot, window, "Discard")
    assert window.pages.currentWidget() is window.composer
    assert card.text == original and not card.is_editing
    qtbot.keyClick(window.composer.title_edit, Qt.Key.Key_Escape)  # back to the story
    assert window.pages.currentWidget() is view

    type_into(qtbot, card, NEW_TEXT, replace=True)
    window.library_view.setCurrentIndex(library.index(1))
    asked(qtbot, window, "Save")
    qtbot.waitUntil(lambda: view.story is not None and view.story.title == "Salt Road", timeout=10_000)
    assert stored(writer_app, run, scene_id).text == NEW_TEXT
    assert not open_questions(window)

    window.library_view.setCurrentIndex(library.index(0))  # nothing unsaved: no question
    qtbot.waitUntil(lambda: view.story is not None and view.story.title == "Glass Harbour", timeout=10_000)
    assert not open_questions(window)
    qtbot.waitUntil(lambda: 0 in view.cards and view.cards[0].text == NEW_TEXT, timeout=10_000)


def test_quitting_asks_about_unsaved_changes_and_saves_them_first(writer_app: WriterApp, run: Run, qtbot: Any) -> None:
    window = a_written_story(writer_app, qtbot, scenes=1)
    quits: list[bool] = []
    window.close_requested.connect(lambda: quits.append(True))
    card = window.story_view.cards[0]
    assert card.scene is not None

    type_into(qtbot, card, NEW_TEXT, replace=True)
    window.close()
    asked(qtbot, window, "Keep editing")
    assert not quits and card.is_editing

    window.close()
    asked(qtbot, window, "Save")
    qtbot.waitUntil(lambda: bool(quits), timeout=10_000)  # only once the text is stored
    assert stored(writer_app, run, card.scene.id).text == NEW_TEXT


def test_quitting_with_nothing_unsaved_and_nothing_running_does_not_ask(writer_app: WriterApp, qtbot: Any) -> None:
    window = a_written_story(writer_app, qtbot, scenes=1)
    with qtbot.waitSignal(window.close_requested, timeout=2_000):
        window.close()
    assert not open_questions(window)


def test_quitting_while_a_story_is_written_asks_and_the_story_can_be_resumed(
    open_app: Callable[..., WriterApp], qtbot: Any
) -> None:
    app = open_app(offline_delay=0.15)
    window, service = app.window, app.session.stories
    assert service is not None
    quits: list[bool] = []
    window.close_requested.connect(lambda: quits.append(True))
    write_story(window, qtbot, "The Salt Road", "Two sisters cross the desert to Qarra.", 6)
    view = window.story_view
    qtbot.waitUntil(lambda: any(card.scene is not None for card in view.cards.values()), timeout=30_000)
    story = view.story
    assert story is not None

    window.close()
    said = asked(qtbot, window, "Keep writing")
    assert said.startswith("A story is being written (“The Salt Road”). Quit anyway?")
    assert "You can resume it later from the library" in said
    assert not quits and service.is_running(story.id)
    qtbot.waitUntil(lambda: sum(card.scene is not None for card in view.cards.values()) >= 2, timeout=30_000)

    window.close()
    assert labels(question(qtbot, window)) == {"Quit", "Keep writing"}
    asked(qtbot, window, "Quit")
    assert quits == [True]

    again = open_app(offline_delay=0.0)  # quitting stopped the run; the next start offers to resume it
    library = again.window.library
    qtbot.waitUntil(lambda: library.rowCount() == 1, timeout=10_000)
    again.window.library_view.setCurrentIndex(library.index(0))
    reopened = again.window.story_view
    qtbot.waitUntil(lambda: reopened.story is not None, timeout=10_000)
    assert reopened.story is not None and reopened.story.status is StoryStatus.interrupted
    assert reopened.header.resume_button.isVisible()


def test_unsaved_changes_survive_the_story_being_read_again(writer_app: WriterApp, run: Run, qtbot: Any) -> None:
    window = a_written_story(writer_app, qtbot, scenes=1)
    view = window.story_view
    card = view.cards[0]
    assert card.scene is not None
    scene_id = card.scene.id
    type_into(qtbot, card, NEW_TEXT, replace=True)

    view.reload()  # what the window does when it may have missed changes made elsewhere
    qtbot.waitUntil(lambda: 0 in view.cards and view.cards[0] is not card and view.cards[0].is_editing, timeout=10_000)
    again = view.cards[0]
    assert again.editor is not None and again.editor.text_edit.toPlainText() == NEW_TEXT
    qtbot.keyClick(again.editor.text_edit, Qt.Key.Key_Escape)
    asked(qtbot, window, "Save")
    qtbot.waitUntil(lambda: again.busy_text == "" and not again.is_editing, timeout=10_000)
    assert stored(writer_app, run, scene_id).text == NEW_TEXT


def test_one_answer_serves_the_editor_and_a_quit_asked_for_meanwhile(writer_app: WriterApp, qtbot: Any) -> None:
    window = a_written_story(writer_app, qtbot, scenes=1)
    quits: list[bool] = []
    window.close_requested.connect(lambda: quits.append(True))
    card = window.story_view.cards[0]
    original = card.text
    editor = type_into(qtbot, card, " A bell rang.")
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Escape)
    question(qtbot, window)
    window.close()  # the system asks the app to quit while the question is open: no second question
    assert len(open_questions(window)) == 1
    asked(qtbot, window, "Discard")
    assert not card.is_editing and card.text == original
    assert quits == [True]


def test_a_question_about_a_card_made_again_meanwhile_loses_nothing(writer_app: WriterApp, qtbot: Any) -> None:
    window = a_written_story(writer_app, qtbot, scenes=1)
    view = window.story_view
    card = view.cards[0]
    editor = type_into(qtbot, card, NEW_TEXT, replace=True)
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Escape)
    question(qtbot, window)
    view.reload()  # changes made elsewhere: the story's cards are made again while the question is open
    qtbot.waitUntil(lambda: 0 in view.cards and view.cards[0] is not card and view.cards[0].is_editing, timeout=10_000)
    asked(qtbot, window, "Discard")  # about a card that is gone: the new card keeps the words, still unsaved
    again = view.cards[0]
    assert again.editor is not None and again.editor.text_edit.toPlainText() == NEW_TEXT
    window.close()  # and the window can still be closed: it asks about the edit again
    asked(qtbot, window, "Keep editing")
    assert again.is_editing
