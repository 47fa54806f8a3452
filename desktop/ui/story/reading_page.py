"""The reading page: the story's column of cards, centred on the page's colour, as tall as the cards need."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.ui.common import theme

SIDE_SHARE = 1 / 102  # the room left of and right of a column narrower than its widest, as a share of the page


class ReadingPage(QWidget):
    """Paints the page where it is exposed, and is opaque to Qt; centres its column without a layout.

    Filled by the style sheet, the scroll area's viewport beneath it would be painted too, the whole visible page
    each time a card grows. Centred by a box layout with stretches, the column would be asked for its height at two
    widths each time a card grows, the page's and its own, and every card's text laid out at both.
    """

    def __init__(self, column: QWidget, max_column_width: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._column = column
        self._max_column_width = max_column_width
        column.setParent(self)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def column_width(self, width: int) -> int:
        return min(self._max_column_width, width - 2 * round(width * SIDE_SHARE))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._column.heightForWidth(self.column_width(width))

    def sizeHint(self) -> QSize:
        return self._column.sizeHint()

    def minimumSizeHint(self) -> QSize:
        return self._column.minimumSizeHint()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # the column's height changed: ask the scroll area for room
            self.updateGeometry()
            self._place_column()
            return True
        return super().event(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_column()

    def _place_column(self) -> None:
        width = self.column_width(self.width())
        height = max(self.height(), self._column.heightForWidth(width))
        self._column.setGeometry((self.width() - width) // 2, 0, width, height)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(event.rect(), theme.page_color(self.palette()))
        painter.end()
