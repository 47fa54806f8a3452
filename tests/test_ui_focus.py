"""The focus stays where the writer is: after Save or Regenerate it is back on the scene, never in the library's
search box; every action of a card is reached with Tab and pressed with Enter or Space; Esc closes the editor and
the viewer, and the focus goes back to their scene."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop.models import StoryStatus
from desktop.ui.story.scene_card import SceneCard
from tests.support.ui_fixtures import WriterApp, all_thumbnails_shown, write_story


def written(writer_app: WriterApp, qtbot: Any, scenes: int = 2) -> dict[int, SceneCard]:
    window = writer_app.window
    view = window.story_view
    write_story(window, qtbot, "Winter Orchard", "An old gardener teaches a girl to graft apple trees.", scenes)
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)
    qtbot.waitUntil(lambda: all_thumbnails_shown(window, scenes), timeout=15_000)
    return view.cards


def in_card(card: SceneCard) -> bool:
    focused = QApplication.focusWidget()
    return focused is not None and (focused is card or card.isAncestorOf(focused))


def press(qtbot: Any, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClick(focused, key, modifier)


def test_after_save_and_regenerate_the_focus_is_back_on_the_scene(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    window.resize(1024, 700)
    last = written(writer_app, qtbot)[1]  # the last card: a focus that moved on went round to the search box
    last.edit_button.setFocus()
    press(qtbot, Qt.Key.Key_Return)  # Edit
    assert last.is_editing and last.editor is not None and last.editor.text_edit.hasFocus()
    last.editor.text_edit.selectAll()
    qtbot.keyClicks(last.editor.text_edit, "The frost came early that year, and the grafts held.")
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Save
    qtbot.waitUntil(lambda: last.busy_text == "" and last.text.startswith("The frost"), timeout=10_000)
    assert in_card(last) and not window.search_box.hasFocus()
    qtbot.waitUntil(last.edit_button.hasFocus)
    qtbot.waitUntil(lambda: last.edit_button.visibleRegion().boundingRect().size() == last.edit_button.size())

    last.rewrite_button.setFocus()
    old_text = last.text
    press(qtbot, Qt.Key.Key_Space)  # Regenerate text (the scene was edited: the card asks first)
    qtbot.waitUntil(lambda: isinstance(last.question, QMessageBox) and last.question.isVisible())
    assert isinstance(last.question, QMessageBox)
    replace = next(button for button in last.question.buttons() if button.text() == "Replace")
    replace.setFocus()
    qtbot.keyClick(replace, Qt.Key.Key_Space)
    window.activateWindow()  # as a window manager does once the question closes (offscreen, nothing does)
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.waitUntil(lambda: last.busy_text != "" or last.text != old_text, timeout=5_000)
    assert in_card(last) and not window.search_box.hasFocus()
    qtbot.waitUntil(lambda: last.busy_text == "" and last.text != old_text, timeout=15_000)
    qtbot.waitUntil(last.rewrite_button.hasFocus)


def test_every_action_of_a_card_is_reached_with_tab_and_pressed_with_enter(writer_app: WriterApp, qtbot: Any) -> None:
    card = written(writer_app, qtbot)[0]
    card.thumbnail.setFocus()
    reached: list[QWidget] = [card.thumbnail]
    for _ in range(3):
        press(qtbot, Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        assert focused is not None
        reached.append(focused)
    assert reached == [card.thumbnail, card.edit_button, card.rewrite_button, card.repaint_button]

    card.edit_button.setFocus()
    press(qtbot, Qt.Key.Key_Enter)
    assert card.is_editing and card.editor is not None
    press(qtbot, Qt.Key.Key_Escape)  # nothing typed: the editor closes without asking
    assert not card.is_editing
    assert card.edit_button.hasFocus()


def test_the_viewer_closes_with_esc_and_the_focus_goes_back_to_its_scene(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    card = written(writer_app, qtbot)[1]
    card.thumbnail.setFocus()
    press(qtbot, Qt.Key.Key_Return)  # open the image
    viewer = window.viewer
    assert viewer is not None
    qtbot.waitUntil(viewer.isVisible)
    viewer.activateWindow()
    qtbot.waitUntil(viewer.isActiveWindow)
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert not viewer.isVisible()
    qtbot.waitUntil(card.thumbnail.hasFocus)
    assert not window.search_box.hasFocus()


def test_coming_back_to_a_scene_brings_it_into_view_with_the_focus(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    window.resize(1024, 700)
    cards = written(writer_app, qtbot, scenes=4)
    view = window.story_view
    view.scroll_area.verticalScrollBar().setValue(0)
    view.focus_scene(3)  # as the window does when the viewer closes on scene 4
    assert cards[3].thumbnail.hasFocus()
    qtbot.waitUntil(lambda: not cards[3].thumbnail.visibleRegion().isEmpty())
