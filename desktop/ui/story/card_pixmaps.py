"""The pictures a scene card draws with: its image well's placeholders, the thumbnail's rounded corners, its frame."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen, QPixmap

from desktop.ui.common import theme
from desktop.ui.common.pictures import kept
from desktop.ui.common.resources import svg_image
from desktop.ui.common.widgets import clear_image

CARD_RADIUS = 10


def placeholder_pixmap(size: QSize, text: str, icon_name: str, tone: theme.Tone, ratio: float) -> QPixmap:
    """A calm stand-in while an image is painted (or when there is none); one shared pixmap per kind."""
    colors = theme.tone_colors(tone)
    key = (
        "placeholder",
        size.toTuple(),
        text,
        icon_name,
        colors.background.rgba(),
        colors.text.rgba(),
        colors.border.rgba(),
        QGuiApplication.font().key(),
        ratio,
    )
    return kept(key, lambda: _draw_placeholder(size, text, icon_name, colors, ratio))


def _draw_placeholder(size: QSize, text: str, icon_name: str, colors: theme.ToneColors, ratio: float) -> QPixmap:
    image = clear_image(size, ratio)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    rect = QRectF(0.5, 0.5, size.width() - 1, size.height() - 1)
    painter.setPen(colors.border)
    painter.setBrush(colors.background)
    painter.drawRoundedRect(rect, 8, 8)
    glyph = svg_image(icon_name, 28, colors.text, ratio)
    painter.drawImage(QPointF(rect.center().x() - 14, rect.center().y() - 26), glyph)
    painter.setPen(colors.text)
    painter.drawText(
        QRectF(rect.left() + 10, rect.center().y() + 8, rect.width() - 20, 40),
        Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
        text,
    )
    painter.end()
    return QPixmap.fromImage(image)


def rounded_pixmap(image: QImage, size: QSize, ratio: float) -> QPixmap:
    """The thumbnail centred in the card's image well, with rounded corners."""
    canvas = clear_image(size, ratio)
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    shown = QSize(image.width(), image.height()) / max(image.devicePixelRatio(), 1.0)
    fitted = shown.scaled(size, Qt.AspectRatioMode.KeepAspectRatio)
    target = QRectF(
        (size.width() - fitted.width()) / 2, (size.height() - fitted.height()) / 2, fitted.width(), fitted.height()
    )
    clip = QPainterPath()
    clip.addRoundedRect(target, 8, 8)
    painter.setClipPath(clip)
    painter.drawImage(target, image)
    painter.end()
    return QPixmap.fromImage(canvas)


def frame_pixmap(background: QColor, border: QColor, ratio: float) -> QPixmap:
    """A card's rounded corners and border, drawn once; `paint_frame` stretches its middle to any size."""
    return kept(("frame", background.rgba(), border.rgba(), ratio), lambda: _draw_frame(background, border, ratio))


def _draw_frame(background: QColor, border: QColor, ratio: float) -> QPixmap:
    side = 2 * (CARD_RADIUS + 1) + 1
    image = clear_image(QSize(side, side), ratio)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(border, 1))
    painter.setBrush(background)
    painter.drawRoundedRect(QRectF(0.5, 0.5, side - 1, side - 1), CARD_RADIUS, CARD_RADIUS)
    painter.end()
    return QPixmap.fromImage(image)


def paint_frame(painter: QPainter, rect: QRect, background: QColor, border: QColor, ratio: float) -> None:
    """`frame_pixmap` in nine pieces, its one-pixel middle row and column stretched: copying them costs far less
    than filling an antialiased rounded rectangle the size of a card."""
    frame = frame_pixmap(background, border, ratio)
    r = CARD_RADIUS + 1
    middle_w, middle_h = rect.width() - 2 * r, rect.height() - 2 * r
    if middle_w <= 0 or middle_h <= 0:
        return
    columns = ((rect.left(), 0, r, r), (rect.left() + r, r, middle_w, 1), (rect.right() + 1 - r, r + 1, r, r))
    rows = ((rect.top(), 0, r, r), (rect.top() + r, r, middle_h, 1), (rect.bottom() + 1 - r, r + 1, r, r))
    for x, source_x, width, source_w in columns:
        for y, source_y, height, source_h in rows:
            target = QRectF(x, y, width, height)
            if source_w == 1 and source_h == 1:
                painter.fillRect(target, background)
            else:
                source = QRectF(source_x * ratio, source_y * ratio, source_w * ratio, source_h * ratio)
                painter.drawPixmap(target, frame, source)
