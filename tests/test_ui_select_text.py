"""Reading: a scene's text is selected with the mouse and copied, as in any reader."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication

from desktop.models import Scene
from desktop.ui.story.scene_card import SceneCard

TEXT = (
    "The light came slowly over the harbour.\n\nBy nightfall Suri had packed a bag, unpacked it, and packed it again."
)


def a_card(qtbot: Any) -> SceneCard:
    card = SceneCard(0)
    qtbot.addWidget(card)
    card.resize(900, card.heightForWidth(900))
    card.set_scene(Scene.create(uuid.uuid4(), 0, "A Quiet Day", TEXT))
    card.resize(900, card.heightForWidth(900))
    card.show()
    qtbot.waitExposed(card)
    return card


def test_dragging_over_the_text_selects_it_and_ctrl_c_copies_exactly_that(qtbot: Any) -> None:
    card = a_card(qtbot)
    area = card.text_area()
    before = card.grab().toImage()
    start = QPoint(int(area.left()) + 1, int(area.top()) + 4)
    end = QPoint(int(area.right()) - 1, int(area.bottom()) - 2)  # past the end of the last line

    qtbot.mousePress(card, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(card, end)
    qtbot.mouseRelease(card, Qt.MouseButton.LeftButton, pos=end)

    assert card.selected_text == TEXT
    assert card.grab().toImage() != before  # the selection is shown highlighted
    qtbot.keySequence(card, "Ctrl+C")
    assert QGuiApplication.clipboard().text() == TEXT


def test_a_drag_over_the_first_line_copies_the_first_words_only(qtbot: Any) -> None:
    card = a_card(qtbot)
    area = card.text_area()
    first_line = int(area.top()) + 6
    qtbot.mousePress(card, Qt.MouseButton.LeftButton, pos=QPoint(int(area.left()) + 1, first_line))
    qtbot.mouseRelease(card, Qt.MouseButton.LeftButton, pos=QPoint(int(area.left()) + 120, first_line))
    selected = card.selected_text
    assert selected and TEXT.startswith(selected) and "\n" not in selected


def test_a_click_selects_nothing_and_ctrl_a_selects_the_whole_text(qtbot: Any) -> None:
    card = a_card(qtbot)
    area = card.text_area()
    middle = QPoint(int(area.center().x()), int(area.top()) + 4)
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton, pos=middle)
    assert card.selected_text == ""
    qtbot.keySequence(card, "Ctrl+A")
    assert card.selected_text == TEXT
    card.set_scene(Scene.create(uuid.uuid4(), 0, "A Quiet Day", "Another text altogether."))
    assert card.selected_text == ""  # the words it covered are gone
