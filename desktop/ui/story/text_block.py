"""Wrapped text laid out and drawn by the widget that shows it (a scene's title, text, errors)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QTextCharFormat, QTextLayout, QTextOption


class TextBlock:
    """Paragraphs (split at blank lines) with room between the lines, as long text reads best.

    Nothing is kept between calls: its card keeps the heights it asked for (by width), and laying a card's text out
    again to paint it costs a few hundredths of a millisecond.
    """

    def __init__(self, font: QFont, *, line_height: float = 1.0, paragraph_gap: float = 0.0) -> None:
        self._font = QFont(font)
        self._line_height = line_height
        self._paragraph_gap = paragraph_gap
        self._option = QTextOption()
        self._option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self._text = ""
        self._paragraphs: list[str] = []

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

    @property
    def shown_text(self) -> str:
        """The text as drawn: its paragraphs, separated by one blank line. Selections count characters in it."""
        return "\n\n".join(paragraph.replace("\u2028", "\n") for paragraph in self._paragraphs)

    def position_at(self, point: QPointF, width: int) -> int:
        """The place in `shown_text` nearest `point`, measured from where the block is drawn."""
        y, offset = 0.0, 0
        for number, paragraph in enumerate(self._paragraphs):
            layout, height = self._layout(paragraph, width)
            last_paragraph = number == len(self._paragraphs) - 1
            if point.y() < y + height + self._paragraph_gap / 2 or last_paragraph:
                for line_number in range(layout.lineCount()):
                    line = layout.lineAt(line_number)
                    if point.y() - y < line.y() + line.height() or line_number == layout.lineCount() - 1:
                        return offset + min(len(paragraph), max(0, line.xToCursor(max(0.0, point.x()))))
            y += height + self._paragraph_gap
            offset += len(paragraph) + 2  # the blank line between two paragraphs
        return 0

    def top_of(self, position: int, width: int) -> float:
        """How far below the block's top the line holding `position` (in `shown_text`) starts."""
        y, offset = 0.0, 0
        for paragraph in self._paragraphs:
            layout, height = self._layout(paragraph, width)
            if position <= offset + len(paragraph):
                return y + layout.lineForTextPosition(max(0, position - offset)).y()
            y += height + self._paragraph_gap
            offset += len(paragraph) + 2
        return y

    def height(self, width: int) -> int:
        heights = [self._layout(paragraph, width)[1] for paragraph in self._paragraphs]
        return math.ceil(sum(heights) + self._paragraph_gap * max(0, len(heights) - 1))

    def draw(
        self,
        painter: QPainter,
        top_left: QPointF,
        width: int,
        color: QColor,
        selection: tuple[int, int, QTextCharFormat] | None = None,
    ) -> None:
        """`selection`: (start, end) in `shown_text`, drawn in the given format (the palette's highlight)."""
        painter.setPen(color)
        x, y = top_left.x(), top_left.y()
        offset = 0
        for paragraph in self._paragraphs:
            layout, height = self._layout(paragraph, width)
            ranges = []
            if selection is not None:
                start, end = max(selection[0], offset), min(selection[1], offset + len(paragraph))
                if start < end:
                    selected = QTextLayout.FormatRange()
                    selected.start, selected.length, selected.format = start - offset, end - start, selection[2]
                    ranges.append(selected)
            layout.draw(painter, QPointF(x, y), ranges)
            y += height + self._paragraph_gap
            offset += len(paragraph) + 2

    def _layout(self, paragraph: str, width: int) -> tuple[QTextLayout, float]:
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
        return layout, y
