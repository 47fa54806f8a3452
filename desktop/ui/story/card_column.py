"""The story's scene cards, stacked top to bottom, each as tall as its content at the column's width; a card dragged
over the column shows a line where it would land."""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QEvent, QMargins, QRect, QSize, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QWidget

from desktop.ui.common import theme

DROP_LINE = 3  # the drop indicator's thickness
SCROLL_EDGE = 40  # a drag this near the top or bottom of the story's view scrolls it
SCROLL_STEP = 24


class _DropLine(QWidget):
    """Where a dragged card would land: a line in the accent colour, in the gap between two cards."""

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.accent(self.palette()))
        painter.end()


class CardColumn(QWidget):
    """A vertical stack that moves only the cards below one that grew.

    In a box layout, a card growing by a line (as a scene streams in) squeezes every other card by a pixel or two
    until the page itself has grown, then gives them their height back: each card is resized, laid out and painted
    twice. Here a card's new height moves the cards below it and asks the page for room.

    The page's layout and the scroll area ask the column for its height many times over each time a card grows: at
    its own width the answer is the height it last stacked its cards to.
    """

    # What was dropped (the dragged data in `drop_format`), and the gap it fell in: 0 above the first card, 1 below it…
    dropped = Signal(bytes, int)

    def __init__(self, margins: QMargins, spacing: int, parent: QWidget | None = None, drop_format: str = "") -> None:
        super().__init__(parent)
        self._drop_format = drop_format
        self.drop_line = _DropLine(self)
        self.drop_line.setObjectName("dropIndicator")
        self.drop_line.hide()
        self.setAcceptDrops(bool(drop_format))
        self._margins = margins
        self._spacing = spacing
        self._cards: list[QWidget] = []
        self._height = 0
        self._widths = (0, 0)  # the widest card's preferred width, the narrowest it may be
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def insert(self, position: int, card: QWidget) -> None:
        card.setParent(self)
        self._cards.insert(position, card)
        card.show()
        self._cards_changed()

    def remove(self, card: QWidget) -> None:
        if card in self._cards:
            self._cards.remove(card)
            card.hide()
            card.deleteLater()
            self._cards_changed()

    def set_order(self, cards: list[QWidget]) -> None:
        """These cards, in this order: cards already here keep their state, new ones join, those left out go."""
        for card in self._cards:
            if card not in cards:
                card.hide()
                card.deleteLater()
        for card in cards:
            if card.parentWidget() is not self:
                card.setParent(self)
            if card.isHidden():
                card.show()
        moved = self._cards != cards
        self._cards = list(cards)
        self._cards_changed()
        if moved:
            self._tab_in_order()

    def _tab_in_order(self) -> None:
        """Tab goes through the cards in the order shown: a card made or moved since sits elsewhere in the window's
        focus chain (a widget joins it where it is made), so each card's controls are chained after the last's."""
        inside: dict[QWidget, list[QWidget]] = {card: [] for card in self._cards}
        widget: QWidget | None = self.nextInFocusChain()
        while widget is not None and widget is not self:
            card: QWidget | None = widget
            while card is not None and card.parentWidget() is not self:
                card = card.parentWidget()
            if card is not None and card is not widget and card in inside:
                inside[card].append(widget)
            widget = widget.nextInFocusChain()
        in_order = [control for card in self._cards for control in inside[card]]
        for before, after in pairwise(in_order):
            QWidget.setTabOrder(before, after)

    @property
    def cards(self) -> list[QWidget]:
        return list(self._cards)

    def clear(self) -> None:
        cards, self._cards = self._cards, []
        for card in cards:
            card.hide()
            card.deleteLater()
        self._cards_changed()

    def _cards_changed(self) -> None:
        self._widths = (
            max((card.sizeHint().width() for card in self._cards), default=0),
            max((card.minimumSizeHint().width() for card in self._cards), default=0),
        )
        self._restack()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        if width == self.width():
            return self._height
        inner = width - self._margins.left() - self._margins.right()
        heights = [card.heightForWidth(inner) for card in self._cards if not card.isHidden()]
        gaps = self._spacing * max(0, len(heights) - 1)
        return self._margins.top() + sum(heights) + gaps + self._margins.bottom()

    def sizeHint(self) -> QSize:
        width = self._widths[0] + self._margins.left() + self._margins.right()
        return QSize(width, self.heightForWidth(self.width() if self._cards else width))

    def minimumSizeHint(self) -> QSize:
        return QSize(self._widths[1] + self._margins.left() + self._margins.right(), 0)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # a card's height changed (posted by its updateGeometry)
            self._restack()
            return True
        return super().event(event)

    def showEvent(self, event: QShowEvent) -> None:
        # Hidden (the new-story form in front), the column hears nothing of cards that grew meanwhile.
        super().showEvent(event)
        self._restack()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._restack()

    def _restack(self) -> None:
        left = self._margins.left()
        inner = self.width() - left - self._margins.right()
        y = self._margins.top()
        placed = False
        for card in self._cards:
            if card.isHidden():
                continue
            height = card.heightForWidth(inner)
            place = QRect(left, y, inner, height)
            if card.geometry() != place:
                card.setGeometry(place)
            y += height + self._spacing
            placed = True
        height = y - (self._spacing if placed else 0) + self._margins.bottom()
        if height != self._height:
            self._height = height
            self.updateGeometry()

    # --- a card dragged over the column ---

    def gap_at(self, y: int) -> int:
        """The gap nearest `y`: above the first card whose middle is below it."""
        shown = [card for card in self._cards if not card.isHidden()]
        return next((i for i, card in enumerate(shown) if y < card.geometry().center().y()), len(shown))

    def _show_drop_line(self, gap: int) -> None:
        shown = [card for card in self._cards if not card.isHidden()]
        if not shown:
            return
        if gap < len(shown):
            y = shown[gap].geometry().top() - (self._spacing + DROP_LINE) // 2
        else:
            y = shown[-1].geometry().bottom() + (self._spacing - DROP_LINE) // 2
        left = self._margins.left()
        self.drop_line.setGeometry(left, max(0, y), self.width() - left - self._margins.right(), DROP_LINE)
        self.drop_line.raise_()
        self.drop_line.show()

    def _scroll_near_edge(self, y: int) -> None:
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is None:
            return
        top = self.mapTo(area.viewport(), self.rect().topLeft()).y() + y
        bar = area.verticalScrollBar()
        if top < SCROLL_EDGE:
            bar.setValue(bar.value() - SCROLL_STEP)
        elif top > area.viewport().height() - SCROLL_EDGE:
            bar.setValue(bar.value() + SCROLL_STEP)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._drop_format and event.mimeData().hasFormat(self._drop_format):
            event.acceptProposedAction()
            self._show_drop_line(self.gap_at(event.position().toPoint().y()))
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if not (self._drop_format and event.mimeData().hasFormat(self._drop_format)):
            event.ignore()
            return
        event.acceptProposedAction()
        y = event.position().toPoint().y()
        self._scroll_near_edge(y)
        self._show_drop_line(self.gap_at(y))

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_line.hide()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_line.hide()
        if not (self._drop_format and event.mimeData().hasFormat(self._drop_format)):
            event.ignore()
            return
        event.acceptProposedAction()
        data = bytes(event.mimeData().data(self._drop_format).data())
        self.dropped.emit(data, self.gap_at(event.position().toPoint().y()))
