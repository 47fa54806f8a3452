"""The story's scene cards, stacked top to bottom, each as tall as its content at the column's width."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMargins, QRect, QSize
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class CardColumn(QWidget):
    """A vertical stack that moves only the cards below one that grew.

    In a box layout, a card growing by a line (as a scene streams in) squeezes every other card by a pixel or two
    until the page itself has grown, then gives them their height back: each card is resized, laid out and painted
    twice. Here a card's new height moves the cards below it and asks the page for room.

    The page's layout and the scroll area ask the column for its height many times over each time a card grows: at
    its own width the answer is the height it last stacked its cards to.
    """

    def __init__(self, margins: QMargins, spacing: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
