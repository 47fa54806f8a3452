"""Which parts of a widget Qt paints: the rectangles of its paint events, while watched."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QWidget


class PaintWatch(QObject):
    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.painted: list[QRect] = []
        self._widget = widget
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QPaintEvent):
            self.painted.append(event.rect())
        return False

    def stop(self) -> None:
        self._widget.removeEventFilter(self)
