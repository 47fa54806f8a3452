"""Buttons that draw themselves: a scene card's actions and its thumbnail.

A card in a long story is made, styled and painted while the story is written, on the GUI thread. Tool buttons
styled through the style sheet were most of that work; these paint a rounded hover, a focus ring and an icon tinted
to the palette, and cost a fraction of it. Each is still a real button: focusable, accessible by its label.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QEnterEvent, QKeyEvent, QPainter, QPaintEvent, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QAbstractButton, QSizePolicy, QWidget

from desktop.ui.common import theme
from desktop.ui.common.pictures import kept
from desktop.ui.common.resources import svg_image
from desktop.ui.common.widgets import clear_image, plain
from desktop.ui.story.card_pixmaps import placeholder_pixmap

ICON = 16
PADDING_X, PADDING_Y, ICON_GAP = 8, 4, 6
RADIUS = 6


def _enter_clicks(button: QAbstractButton, event: QKeyEvent) -> bool:
    """Enter presses a focused button as Space does (a plain QAbstractButton knows only Space)."""
    if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers() and button.isEnabled():
        if not event.isAutoRepeat():
            button.click()
        return True
    return False


class FlatButton(QAbstractButton):
    """An icon and a label, flat until hovered or focused."""

    def __init__(self, text: str, icon_name: str, *, tooltip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon_name = icon_name
        self.setText(text)
        self.setAccessibleName(plain(text))
        self.setToolTip(tooltip or plain(text))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        width = PADDING_X * 2 + ICON + ICON_GAP + metrics.horizontalAdvance(plain(self.text()))
        return QSize(width, max(ICON, metrics.height()) + PADDING_Y * 2)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not _enter_clicks(self, event):
            super().keyPressEvent(event)

    def enterEvent(self, event: QEnterEvent) -> None:
        self.update()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self.update()
        super().leaveEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        enabled = self.isEnabled()
        hovered = enabled and (self.underMouse() or self.isDown())
        painter = QPainter(self)
        if self.hasFocus() or hovered:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(theme.accent(palette) if self.hasFocus() else theme.card_border(palette), 1))
            painter.setBrush(theme.hover_fill(palette) if hovered else Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), RADIUS, RADIUS)
        painter.drawPixmap(0, 0, self._face(palette, enabled))
        painter.end()

    def _face(self, palette: QPalette, enabled: bool) -> QPixmap:
        """The icon and the label, drawn once per look: a card's buttons repaint each time the card grows."""
        color = palette.color(QPalette.ColorRole.WindowText) if enabled else theme.disabled_text(palette)
        ratio = self.devicePixelRatioF()
        key = ("face", self.text(), self.icon_name, color.rgba(), self.width(), self.height(), self.font().key(), ratio)
        return kept(key, lambda: self._draw_face(color, ratio))

    def _draw_face(self, color: QColor, ratio: float) -> QPixmap:
        image = clear_image(self.size(), ratio)
        painter = QPainter(image)
        painter.drawImage(QPointF(PADDING_X, (self.height() - ICON) / 2), svg_image(self.icon_name, ICON, color, ratio))
        painter.setFont(self.font())
        painter.setPen(color)
        text_left = PADDING_X + ICON + ICON_GAP
        painter.drawText(
            QRectF(text_left, 0, self.width() - text_left - PADDING_X + 1, self.height()),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            plain(self.text()),
        )
        painter.end()
        return QPixmap.fromImage(image)


class ImageButton(QAbstractButton):
    """A picture that opens when clicked; focusable (with a ring) only while `clickable`. Until it has one, a
    placeholder says why, drawn from the picture cache at each paint so it follows the theme."""

    def __init__(self, size: QSize, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap = QPixmap()
        self._placeholder: tuple[str, str, theme.Tone] | None = None  # text, icon, tone
        self.setText(accessible_name)
        self.setAccessibleName(accessible_name)
        self.setFixedSize(size)
        self.set_clickable(False)

    @property
    def pixmap(self) -> QPixmap:
        if self._placeholder is not None:
            return placeholder_pixmap(self.size(), *self._placeholder, self.devicePixelRatioF())
        return self._pixmap

    def set_pixmap(self, pixmap: QPixmap) -> None:
        self._pixmap, self._placeholder = pixmap, None
        self.update()

    def set_placeholder(self, text: str, icon_name: str, tone: theme.Tone) -> None:
        self._pixmap, self._placeholder = QPixmap(), (text, icon_name, tone)
        self.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not _enter_clicks(self, event):
            super().keyPressEvent(event)

    def set_clickable(self, clickable: bool) -> None:
        self.setEnabled(clickable)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus if clickable else Qt.FocusPolicy.NoFocus)
        if clickable:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.unsetCursor()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pixmap = self.pixmap
        if not pixmap.isNull():
            painter.drawPixmap(0, 0, pixmap)
        if self.hasFocus():
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(theme.accent(self.palette()), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 8, 8)
        painter.end()
