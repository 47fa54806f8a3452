"""Wrapped text laid out once per width and drawn by the widget that shows it (a scene's title, text, errors)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QTextLayout, QTextOption

MAX_LAYOUTS = 64


class TextBlock:
    """Paragraphs (split at blank lines) with room between the lines, as long text reads best.

    A label would keep a rich-text document and lay it out again at each width a layout asks about; here each
    paragraph's lines are kept for the widths they were laid out at, and unchanged paragraphs keep theirs while
    text streams in at the end.
    """

    def __init__(self, font: QFont, *, line_height: float = 1.0, paragraph_gap: float = 0.0) -> None:
        self._font = QFont(font)
        self._line_height = line_height
        self._paragraph_gap = paragraph_gap
        self._option = QTextOption()
        self._option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self._text = ""
        self._paragraphs: list[str] = []
        self._layouts: dict[tuple[str, int], tuple[QTextLayout, float]] = {}  # (paragraph, width): lines, height

    @property
    def text(self) -> str:
        return self._text

    @property
    def font(self) -> QFont:
        return self._font

    def set_text(self, text: str) -> None:
        if text == self._text:
            return
        self._text = text
        # A single line break stays one inside its paragraph (QTextLayout reads "\n" as a space).
        self._paragraphs = [part.strip("\n").replace("\n", "\u2028") for part in text.split("\n\n") if part.strip()]
        kept = set(self._paragraphs)
        self._layouts = {key: laid for key, laid in self._layouts.items() if key[0] in kept}

    def height(self, width: int) -> int:
        heights = [self._layout(paragraph, width)[1] for paragraph in self._paragraphs]
        return math.ceil(sum(heights) + self._paragraph_gap * max(0, len(heights) - 1))

    def draw(self, painter: QPainter, top_left: QPointF, width: int, color: QColor) -> None:
        painter.setPen(color)
        x, y = top_left.x(), top_left.y()
        for paragraph in self._paragraphs:
            layout, height = self._layout(paragraph, width)
            layout.draw(painter, QPointF(x, y))
            y += height + self._paragraph_gap

    def _layout(self, paragraph: str, width: int) -> tuple[QTextLayout, float]:
        known = self._layouts.get((paragraph, width))
        if known is not None:
            return known
        if len(self._layouts) > MAX_LAYOUTS:  # a window resized by dragging asks about many widths
            self._layouts.clear()
        layout = QTextLayout(paragraph, self._font)
        layout.setTextOption(self._option)
        layout.setCacheEnabled(True)
        natural = QFontMetricsF(self._font).lineSpacing()
        step = natural * self._line_height
        lead = (step - natural) / 2  # the extra room shared above and below each line, as CSS line-height does
        y = 0.0
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(max(1, width))
            line.setPosition(QPointF(0, y + lead))
            y += step
        layout.endLayout()
        self._layouts[(paragraph, width)] = (layout, y)
        return layout, y
