"""Small building blocks: buttons and fields whose accessible name is their visible label, and status badges."""

from __future__ import annotations

import weakref

import shiboken6
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from desktop.ui.common import theme
from desktop.ui.common.pictures import kept
from desktop.ui.common.resources import icon, svg_image

BADGE_ICON = 12


def plain(text: str) -> str:
    """A label as a screen reader should say it: no mnemonic ampersands, no trailing colon."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(":").strip()


_tinted: weakref.WeakKeyDictionary[QAbstractButton | QAction, str] = weakref.WeakKeyDictionary()


def set_icon(widget: QAbstractButton | QAction, icon_name: str) -> None:
    """Set a palette-tinted icon, and remember it so a switch between light and dark re-tints it."""
    widget.setIcon(icon(icon_name))
    _tinted[widget] = icon_name


def retint_all() -> None:
    for widget, icon_name in list(_tinted.items()):
        if shiboken6.isValid(widget):  # its Qt side may be gone while Python still holds the wrapper
            widget.setIcon(icon(icon_name))
        else:
            _tinted.pop(widget, None)


def button(text: str, icon_name: str | None = None, *, primary: bool = False, tooltip: str = "") -> QPushButton:
    made = QPushButton(text)
    if icon_name:
        set_icon(made, icon_name)
    if primary:
        made.setObjectName("primary")
        made.setDefault(False)
    made.setAccessibleName(plain(text))
    if tooltip:
        made.setToolTip(tooltip)
    return made


def tool_button(text: str, icon_name: str, *, tooltip: str = "", text_beside: bool = True) -> QToolButton:
    """A flat action; with `text_beside` False only the icon shows and the tooltip carries the label."""
    made = QToolButton()
    made.setObjectName("cardAction")
    made.setText(text)
    set_icon(made, icon_name)
    made.setIconSize(QSize(16, 16))
    made.setToolButtonStyle(
        Qt.ToolButtonStyle.ToolButtonTextBesideIcon if text_beside else Qt.ToolButtonStyle.ToolButtonIconOnly
    )
    made.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    made.setAccessibleName(plain(text))
    made.setToolTip(tooltip or plain(text))
    made.setAutoRaise(True)
    return made


def field_label(text: str, field: QWidget) -> QLabel:
    """A label for `field`: its buddy (so Alt+mnemonic works) and the source of the field's accessible name."""
    label = QLabel(text)
    label.setBuddy(field)
    field.setAccessibleName(plain(text))
    return label


def small_font() -> QFont:
    """The font of hints and secondary lines: a label's, a little smaller."""
    return theme.scaled_font(0.92, base=QApplication.font("QLabel"))  # type: ignore[call-overload]  # stubs lack str


def small_label(text: str = "", object_name: str = "hint") -> QLabel:
    label = QLabel(text)
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setFont(small_font())
    return label


def badge_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setPointSizeF(max(7.0, base.pointSizeF() * 0.82))
    font.setWeight(QFont.Weight.DemiBold)
    return font


def clear_image(size: QSize, ratio: float) -> QImage:
    """A transparent image of `size` logical pixels at device pixel ratio `ratio`, to draw a kept picture on."""
    image = QImage(size * ratio, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(Qt.GlobalColor.transparent)
    return image


def font_metrics(font: QFont) -> QFontMetrics:
    return QFontMetrics(font)


def badge_size(text: str, font: QFont, with_icon: bool) -> QSize:
    metrics = font_metrics(font)
    height = metrics.height() + 6
    width = metrics.horizontalAdvance(text) + 16 + (BADGE_ICON + 4 if with_icon else 0)
    return QSize(width, height)


def paint_badge(
    painter: QPainter, top_left: QPointF, text: str, tone: theme.Tone, font: QFont, icon_name: str | None = None
) -> QRectF:
    """Draw a rounded status pill; returns the rectangle it took.

    Each look is drawn once and copied after (the picture cache keeps it): library rows and scene cards repaint
    their badges often, and drawing one costs more than the rest of a library row together.
    """
    device = painter.device()
    pixmap = badge_pixmap(text, tone, font, icon_name, device.devicePixelRatioF() if device is not None else 1.0)
    painter.drawPixmap(top_left, pixmap)
    return QRectF(top_left, pixmap.deviceIndependentSize())


def badge_pixmap(text: str, tone: theme.Tone, font: QFont, icon_name: str | None, ratio: float) -> QPixmap:
    """A status pill as `paint_badge` draws it."""
    colors = theme.tone_colors(tone)
    key = (
        "badge",
        text,
        font.key(),
        icon_name,
        colors.background.rgba(),
        colors.text.rgba(),
        colors.border.rgba(),
        ratio,
    )
    return kept(
        key, lambda: _draw_badge(badge_size(text, font, icon_name is not None), text, colors, font, icon_name, ratio)
    )


def _draw_badge(
    size: QSize, text: str, colors: theme.ToneColors, font: QFont, icon_name: str | None, ratio: float
) -> QPixmap:
    image = clear_image(size, ratio)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(colors.border)
    painter.setBrush(colors.background)
    rect = QRectF(0, 0, size.width(), size.height())
    radius = rect.height() / 2
    painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
    x = 8.0
    if icon_name is not None:
        painter.drawImage(
            QPointF(x, rect.center().y() - BADGE_ICON / 2), svg_image(icon_name, BADGE_ICON, colors.text, ratio)
        )
        x += BADGE_ICON + 4
    painter.setFont(font)
    painter.setPen(colors.text)
    painter.drawText(QRectF(x, 0, rect.right() - x - 6, rect.height()), Qt.AlignmentFlag.AlignVCenter, text)
    painter.end()
    return QPixmap.fromImage(image)


class Badge(QWidget):
    """A status pill as a widget (scene cards, the story header)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._tone = theme.Tone.neutral
        self._icon: str | None = None
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_state(self, text: str, tone: theme.Tone, icon_name: str | None = None) -> None:
        if (text, tone, icon_name) == (self._text, self._tone, self._icon):
            return
        self._text, self._tone, self._icon = text, tone, icon_name
        self.setAccessibleName(text)
        self.updateGeometry()
        self.update()

    @property
    def text(self) -> str:
        return self._text

    @property
    def tone(self) -> theme.Tone:
        return self._tone

    def sizeHint(self) -> QSize:
        if not self._text:
            return QSize(0, 0)
        return badge_size(self._text, badge_font(self.font()), self._icon is not None) + QSize(1, 1)

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._text:
            return
        painter = QPainter(self)
        paint_badge(painter, QPointF(0, 0), self._text, self._tone, badge_font(self.font()), self._icon)
        painter.end()


class ProgressLine(QWidget):
    """A thin progress bar without the platform bar's animation.

    Fusion animates a running QProgressBar at about 60 frames a second, and each frame repaints the bar and the
    window behind it for as long as a story is written. Like `StatusLine`, it stands on the reading page and paints
    the page's colour behind itself.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value = 0
        self._maximum = 1
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def set_progress(self, value: int, maximum: int) -> None:
        maximum = max(maximum, 1)
        value = min(max(value, 0), maximum)
        if (value, maximum) == (self._value, self._maximum):
            return
        self._value, self._maximum = value, maximum
        self.setAccessibleDescription(f"{value} of {maximum}")
        self.update()

    def value(self) -> int:
        return self._value

    def maximum(self) -> int:
        return self._maximum

    def sizeHint(self) -> QSize:
        return QSize(160, 6)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(event.rect(), theme.page_color(self.palette()))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        track = QRectF(self.rect())
        radius = track.height() / 2
        groove = QColor(self.palette().color(QPalette.ColorRole.WindowText))
        groove.setAlphaF(0.12)
        painter.setBrush(groove)
        painter.drawRoundedRect(track, radius, radius)
        if self._value:
            filled = QRectF(track.left(), track.top(), track.width() * self._value / self._maximum, track.height())
            painter.setBrush(theme.accent(self.palette()))
            painter.drawRoundedRect(filled, radius, radius)
        painter.end()


class StatusLine(QWidget):
    """One line of changing text on the reading page (a story's progress, what it is doing), elided to its width.

    A QLabel asks every layout up to the window to run again when its text changes (in the story header, several
    times per scene); this line's size does not depend on its text, so a change only repaints it.
    It paints the page's colour behind its text, so Qt need not paint the widgets beneath it first.
    """

    def __init__(self, accessible_name: str, *, muted: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._muted = muted
        self.setAccessibleName(accessible_name)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        if text == self._text:
            return
        self._text = text
        self.setAccessibleDescription(text)
        self._offer_full_text()
        self.update()

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(metrics.averageCharWidth() * 40, metrics.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.fontMetrics().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._offer_full_text()

    def _shown(self) -> str:
        return self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, self.width())

    def _offer_full_text(self) -> None:
        self.setToolTip(self._text if self._shown() != self._text else "")

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        painter = QPainter(self)
        painter.fillRect(event.rect(), theme.page_color(palette))
        painter.setPen(theme.muted_text(palette) if self._muted else palette.color(QPalette.ColorRole.WindowText))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self._shown())
        painter.end()


def icon_pixmap(icon_name: str, size: int, color: QColor | None = None) -> QPixmap:
    return icon(icon_name, color).pixmap(QSize(size, size))
