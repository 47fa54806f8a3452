"""A scene card as a writer sees it: outlined while its text streams in, growing line by line without shaking the
cards above it, its text copyable, the upload's failure under the badge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QEvent, QMargins, QPoint
from PySide6.QtGui import QColor, QContextMenuEvent, QGuiApplication, QHelpEvent
from PySide6.QtWidgets import QApplication, QMenu, QToolTip, QWidget

from desktop.models import Scene, Upload, UploadStatus
from desktop.ui.common import theme
from desktop.ui.story.card_column import CardColumn
from desktop.ui.story.scene_card import SceneCard
from desktop.ui.story.text_block import TextBlock
from tests.support.storage_fixtures import upload_of

LINE = "The light came slowly over the harbour, and the boats lay still on the grey water below the lamp. "


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


def story_column(qtbot: Any, written: list[str], writing: int = 0) -> tuple[CardColumn, list[SceneCard]]:
    """A story's column of cards (12 px apart): the scenes `written`, then `writing` more still being written."""
    column = CardColumn(QMargins(10, 10, 10, 10), spacing=12)
    qtbot.addWidget(column)
    column.resize(900, 1200)
    cards = [SceneCard(index) for index in range(len(written) + writing)]
    for index, card in enumerate(cards):
        column.insert(index, card)
    for card, text in zip(cards, written, strict=False):
        card.set_scene(Scene.create(uuid.uuid4(), card.index, "A quiet day", text))
    column.show()
    return column, cards


def on_screen_as_drawn_afresh(widget: QWidget) -> bool:
    """What the screen shows of `widget` is what drawing it from scratch gives: nothing stale stayed behind."""
    shown = widget.screen().grabWindow(widget.winId()).toImage()
    afresh = widget.grab().toImage()
    return shown.convertToFormat(afresh.format()) == afresh


def test_a_growing_scene_moves_the_cards_below_it_and_leaves_those_above_alone(qapp: Any, qtbot: Any) -> None:
    column, cards = story_column(qtbot, [LINE * 3, LINE * 3], writing=1)
    qtbot.waitExposed(column)
    qtbot.waitUntil(lambda: cards[2].y() > cards[1].geometry().bottom())
    above = cards[0].geometry()
    below_top, streaming_height = cards[2].y(), cards[1].height()

    cards[1].set_streaming_text(LINE * 12)  # the middle scene is written again, much longer
    qtbot.waitUntil(lambda: cards[2].y() > below_top)
    assert cards[1].height() > streaming_height
    assert cards[1].height() == cards[1].heightForWidth(cards[1].width())  # room for all of its text
    assert cards[2].y() == cards[1].geometry().bottom() + 1 + 12
    assert cards[0].geometry() == above
    assert column.heightForWidth(column.width()) == cards[2].geometry().bottom() + 1 + 10
    qtbot.waitUntil(lambda: on_screen_as_drawn_afresh(column), timeout=2000)


def test_text_keeps_its_paragraphs_and_line_breaks_and_wraps_to_the_width(qapp: Any) -> None:
    block = TextBlock(theme.serif_font(12), line_height=1.45, paragraph_gap=9)
    block.set_text("First line")
    one_line = block.height(600)
    block.set_text("First line\nSecond line")
    assert block.height(600) > one_line  # a line break starts a new line
    block.set_text("First paragraph.\n\n\nSecond paragraph.")
    assert one_line * 2 + 9 - 1 <= block.height(600) <= one_line * 2 + 9 + 1  # blank lines make one gap
    block.set_text(LINE * 6)
    assert block.height(200) > block.height(600)


def test_the_text_can_be_copied_from_the_cards_menu(qapp: Any, qtbot: Any) -> None:
    card = SceneCard(0)
    qtbot.addWidget(card)
    card.set_scene(Scene.create(uuid.uuid4(), 0, "Word from the North", LINE))
    card.resize(800, card.heightForWidth(800))
    card.show()
    inside = QPoint(400, 60)
    QApplication.sendEvent(card, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, inside, card.mapToGlobal(inside)))
    menu = card.findChild(QMenu)
    assert menu is not None
    labels = [action.text() for action in menu.actions()]
    assert labels[:2] == ["Copy text", "Edit"]
    menu.actions()[0].trigger()
    assert QGuiApplication.clipboard().text() == LINE
    menu.close()


def test_the_badge_tells_why_an_upload_failed(qapp: Any, qtbot: Any) -> None:
    card = SceneCard(0)
    qtbot.addWidget(card)
    scene = Scene.create(uuid.uuid4(), 0, "Word from the North", LINE)
    card.set_scene(scene)
    now = datetime.now(UTC)
    failed = Upload(
        id=uuid.uuid4(),
        story_id=scene.story_id,
        scene_id=scene.id,
        scene_index=0,
        local_path="scene-1.png",
        object_path="stories/scene-1.png",
        content_type="image/png",
        backend="supabase",
        status=UploadStatus.failed,
        attempts=1,
        error_message="The image is larger than the bucket allows — raise the bucket's size limit.",
        created_at=now,
        updated_at=now,
    )
    card.set_upload(failed)
    card.resize(800, card.heightForWidth(800))
    card.show()
    qtbot.waitExposed(card)
    assert card.badge_text == "Failed"
    assert "larger than the bucket allows" in card.error_text
    assert card.retry_button.isVisible()
    badge = card.badge_rect.center().toPoint()
    QApplication.sendEvent(card, QHelpEvent(QEvent.Type.ToolTip, badge, card.mapToGlobal(badge)))
    qtbot.waitUntil(QToolTip.isVisible)
    assert QToolTip.text() == failed.error_message
    QToolTip.hideText()


def test_a_scene_that_grew_while_the_page_was_hidden_has_its_room_when_shown(qapp: Any, qtbot: Any) -> None:
    column, cards = story_column(qtbot, [LINE, LINE])
    qtbot.waitExposed(column)
    column.hide()  # the writer opened the new-story form meanwhile

    cards[0].set_scene(Scene.create(uuid.uuid4(), 0, "A quiet day", LINE * 12))
    column.show()
    assert cards[0].height() == cards[0].heightForWidth(cards[0].width())
    assert cards[1].y() == cards[0].geometry().bottom() + 1 + 12


def test_the_screen_shows_each_change_as_a_card_drawn_afresh_would(qapp: Any, qtbot: Any) -> None:
    """Whatever a card repaints after a change (a badge, the border, new lines), nothing stale may stay behind."""
    column, cards = story_column(qtbot, [LINE], writing=1)
    qtbot.waitExposed(column)
    card = cards[1]

    scene = Scene.create(uuid.uuid4(), 1, "Word from the North", LINE * 6)
    changes = [
        lambda: card.set_streaming_text(LINE),
        lambda: card.set_streaming_text(LINE * 4),
        lambda: card.set_scene(scene),
        lambda: card.set_upload(upload_of(scene, UploadStatus.uploading)),
        lambda: card.set_upload_progress(40, 100),
        lambda: card.set_upload(upload_of(scene, UploadStatus.uploaded)),
        lambda: card.set_busy("Saving…"),
        lambda: card.set_busy(""),
        lambda: card.set_upload(upload_of(scene, UploadStatus.failed, "The bucket is full.")),
    ]
    for change in changes:
        change()
        qtbot.waitUntil(lambda: on_screen_as_drawn_afresh(column), timeout=2000)
    assert card.badge_text == "Failed" and "The bucket is full." in card.error_text
