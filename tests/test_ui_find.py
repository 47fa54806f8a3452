"""Find in the open story: every match of the words, in reading order, one highlighted at a time."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from desktop.models import StoryStatus
from tests.support.ui_fixtures import WriterApp, write_story


def test_find_steps_through_every_match_in_reading_order(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    write_story(window, qtbot, "The Glass Orchard", "Corin, a glassblower's apprentice, grows glass trees.", 4)
    view = window.story_view
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)
    texts = {index: card.shown_text for index, card in view.cards.items()}
    word = "Corin"
    expected = [
        (index, start)
        for index in sorted(texts)
        for start in range(len(texts[index]))
        if texts[index][start : start + len(word)].casefold() == word.casefold()
    ]
    assert len(expected) >= 2  # the offline writer names its hero in more than one scene

    view.start_find()
    assert view.find_bar.isVisible() and view.find_bar.edit.hasFocus()
    qtbot.keyClicks(view.find_bar.edit, word.lower())  # any case

    def highlighted() -> list[tuple[int, str]]:
        return [(index, card.selected_text) for index, card in sorted(view.cards.items()) if card.selected_text]

    assert highlighted() == [(expected[0][0], word)]
    assert view.find_bar.count.text() == f"1 of {len(expected)}"
    qtbot.keyClick(view.find_bar.edit, Qt.Key.Key_Return)
    assert view.find_bar.count.text() == f"2 of {len(expected)}"
    assert highlighted() == [(expected[1][0], word)]
    qtbot.keyClick(view.find_bar.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert view.find_bar.count.text() == f"1 of {len(expected)}"

    qtbot.keyClicks(view.find_bar.edit, "zzqx")
    assert view.find_bar.count.text() == "No match" and highlighted() == []

    view.find_bar.edit.clear()
    qtbot.keyClicks(view.find_bar.edit, word)
    qtbot.keyClick(view.find_bar.edit, Qt.Key.Key_Escape)
    assert not view.find_bar.isVisible()
    first = view.cards[expected[0][0]]
    qtbot.waitUntil(first.hasFocus)  # back at the scene of the match, which stays selected to copy
    assert first.selected_text == word


def test_ctrl_f_finds_in_the_story_on_screen_and_copy_story_is_in_the_story_menu(
    writer_app: WriterApp, qtbot: Any
) -> None:
    window = writer_app.window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search_box.hasFocus()  # no story on screen: the library's search
    write_story(window, qtbot, "The Salt Road", "A courier crosses the desert with a letter.", 2)
    view = window.story_view
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)

    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.find_bar.isVisible() and view.find_bar.edit.hasFocus()

    assert window.actions_.copy_story.isEnabled()
    window.actions_.copy_story.trigger()
    assert QGuiApplication.clipboard().text().startswith("The Salt Road\n\n")


def test_a_story_found_by_a_word_in_its_scenes_opens_with_that_word_highlighted(
    writer_app: WriterApp, qtbot: Any
) -> None:
    window = writer_app.window
    write_story(window, qtbot, "The Salt Road", "A courier crosses the desert with a letter.", 3)
    view = window.story_view
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)
    written = {index: card.shown_text for index, card in view.cards.items()}
    asked = "The Salt Road. A courier crosses the desert with a letter.".casefold()
    # A word of the scenes that is not in the title or the prompt: only the scenes' texts can find it.
    word = next(
        w.casefold()
        for text in written.values()
        for w in re.findall(r"[A-Za-z]{6,}", text)
        if w.casefold() not in asked
    )
    written = {index: text.casefold() for index, text in written.items()}
    first_scene = min(index for index, text in written.items() if word in text)
    # Come back to it through the library's search, as from another story.
    panel = window.library_panel
    qtbot.keyClicks(panel.search_box, word)
    qtbot.waitUntil(lambda: panel.model.search == word and panel.model.rowCount() == 1)
    view.find_bar.hide()
    panel.view.clearSelection()
    panel.view.setCurrentIndex(panel.model.index(0))  # the writer chooses the row the search found

    card = view.cards[first_scene]
    qtbot.waitUntil(lambda: view.find_bar.isVisible() and card.selected_text.casefold() == word, timeout=10_000)
    assert view.find_bar.count.text().startswith("1 of ")
    assert card.selected_text.casefold() == word
