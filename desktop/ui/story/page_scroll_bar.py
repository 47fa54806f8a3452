"""The reading page's scroll bar: a thin rounded handle on the page's colour, painted by itself."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QScrollBar, QStyle, QStyleOptionSlider, QWidget

from desktop.ui.common import theme

HANDLE_MARGIN_X, HANDLE_MARGIN_Y = 3, 2  # as the style sheet's `QScrollArea#storyScroll QScrollBar::handle` has
HANDLE_RADIUS = 4


class PageScrollBar(QScrollBar):
    """Opaque, and painted by itself.

    Its range changes each time a scene streaming in grows the page. Clear, as the style sheet draws it, each
    repaint first painted the five containers beneath it, up to the main window. The style sheet still gives its
    width and where the handle is, so dragging and clicking behave as before.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() in (QEvent.Type.Polish, QEvent.Type.StyleChange):
            self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # the style sheet's clear background unsets it
        return handled

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = theme.palette()  # its own is the style sheet's, with a clear background
        painter = QPainter(self)
        painter.fillRect(event.rect(), theme.page_color(palette))
        if self.maximum() > self.minimum():
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            handle = self.style().subControlRect(
                QStyle.ComplexControl.CC_ScrollBar, option, QStyle.SubControl.SC_ScrollBarSlider, self
            )
            hovered = self.isSliderDown() or (
                option.activeSubControls & QStyle.SubControl.SC_ScrollBarSlider
                and option.state & QStyle.StateFlag.State_MouseOver
            )
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.scroll_handle(palette, hovered=bool(hovered)))
            shown = QRectF(handle).adjusted(HANDLE_MARGIN_X, HANDLE_MARGIN_Y, -HANDLE_MARGIN_X, -HANDLE_MARGIN_Y)
            painter.drawRoundedRect(shown, HANDLE_RADIUS, HANDLE_RADIUS)
        painter.end()
