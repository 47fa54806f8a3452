"""A scene card while its scene is written: outlined in the accent colour as the text streams in, plain once saved."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtGui import QColor

from desktop.models import Scene
from desktop.ui import theme
from desktop.ui.scene_card import SceneCard


def left_edge_colour(card: SceneCard) -> QColor:
    return card.grab().toImage().pixelColor(0, card.height() // 2)


def test_a_card_is_outlined_while_its_text_streams_in(qapp: Any, qtbot: Any) -> None:
    card = SceneCard(0)
    qtbot.addWidget(card)
    card.resize(700, 260)
    plain = left_edge_colour(card)

    card.set_streaming_text("The light came slowly over the harbour.")
    qtbot.waitUntil(lambda: card.is_live, timeout=2000)
    assert left_edge_colour(card) == theme.accent() != plain

    card.set_scene(Scene.create(uuid.uuid4(), 0, "Word from the North", "The light came slowly over the harbour."))
    assert not card.is_live
    assert left_edge_colour(card) == plain
