"""One library row: title, status badge, scenes written and the date, all in a uniform height."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.models import StorySummary
from desktop.ui.common import theme
from desktop.ui.common.pictures import kept
from desktop.ui.common.widgets import badge_font, badge_size, clear_image, paint_badge
from desktop.ui.library.library_model import AnyIndex, StoryRole, storage_note

LEFT_MIDDLE = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT_MIDDLE = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ELIDE_RIGHT = Qt.TextElideMode.ElideRight
PADDING_X = 12
PADDING_Y = 9
LINE_GAP = 5


def friendly_date(moment: datetime, now: datetime | None = None) -> str:
    """'Today 14:05', 'Yesterday', '12 Nov', '12 Nov 2025' — in the writer's local time."""
    today = now.date() if now is not None else date.today()
    local = moment.astimezone()
    days = (today - local.date()).days
    if days == 0:
        return f"Today {local:%H:%M}"
    if days == 1:
        return "Yesterday"
    if local.year == today.year:
        return f"{local.day} {local:%b}"
    return f"{local.day} {local:%b %Y}"


def scenes_text(story: StorySummary) -> str:
    noun = "scene" if story.scene_count == 1 else "scenes"
    if story.scenes_written >= story.scene_count:
        return f"{story.scene_count} {noun}"
    return f"{story.scenes_written} of {story.scene_count} {noun}"


def badge_of(story: StorySummary) -> tuple[str, theme.Tone]:
    """The status badge; a story whose images are not all stored says so ("Complete · 2 uploads failed")."""
    label, tone = theme.STORY_LABELS[story.status], theme.STORY_TONES[story.status]
    note = storage_note(story)
    if not note:
        return label, tone
    return f"{label} · {note}", tone if tone is theme.Tone.danger else theme.Tone.warning


@dataclass(frozen=True)
class RowFonts:
    title: QFont
    title_metrics: QFontMetrics
    small: QFont
    small_metrics: QFontMetrics
    badge: QFont


def row_fonts(base: QFont) -> RowFonts:
    title = theme.scaled_font(1.05, bold=True, base=base)
    small = badge_font(base)
    small.setWeight(base.weight())
    return RowFonts(title, QFontMetrics(title), small, QFontMetrics(small), badge_font(base))


class LibraryDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        fonts = row_fonts(option.font)
        badge = badge_size("Writing", fonts.badge, False)
        return QSize(200, PADDING_Y * 2 + fonts.title_metrics.height() + LINE_GAP + badge.height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        """Copies the row's picture from the picture cache: drawing one costs far more than copying it, and every
        visible row is painted again as the list scrolls, a row is hovered or the window is uncovered."""
        story: StorySummary | None = index.data(StoryRole)
        if story is None:
            return
        state = option.state & (
            QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_MouseOver | QStyle.StateFlag.State_HasFocus
        )
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        look = (
            story.title,
            story.status,
            story.scenes_written,
            story.scene_count,
            storage_note(story),
            friendly_date(story.created_at),
        )
        key = (
            "library row",
            look,
            option.rect.size().toTuple(),
            state.value,
            option.palette.cacheKey(),
            option.font.key(),
            ratio,
        )
        painter.drawPixmap(option.rect.topLeft(), kept(key, lambda: self._drawn(option, story, ratio)))

    def _drawn(self, option: QStyleOptionViewItem, story: StorySummary, ratio: float) -> QPixmap:
        image = clear_image(option.rect.size(), ratio)
        painter = QPainter(image)
        self._draw_highlight(painter, option)
        self._draw(painter, option, QRectF(0, 0, option.rect.width(), option.rect.height()), story)
        painter.end()
        return QPixmap.fromImage(image)

    @staticmethod
    def _draw_highlight(painter: QPainter, option: QStyleOptionViewItem) -> None:
        """The rounded fill behind a selected or hovered row, and the focus ring."""
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        hovered = bool(state & QStyle.StateFlag.State_MouseOver)
        focused = selected and bool(state & QStyle.StateFlag.State_HasFocus)
        accent = theme.accent(option.palette)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0, 0, option.rect.width(), option.rect.height()).adjusted(4, 2, -4, -2)
        if selected or hovered:
            fill = QColor(accent)
            fill.setAlphaF(0.20 if selected else 0.07)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 8, 8)
        if focused:
            painter.setPen(accent)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)
        painter.restore()

    def _draw(self, painter: QPainter, option: QStyleOptionViewItem, row: QRectF, story: StorySummary) -> None:
        pal: QPalette = option.palette
        rect = row.adjusted(4, 2, -4, -2)
        inner = rect.adjusted(PADDING_X - 4, PADDING_Y - 2, -(PADDING_X - 4), -(PADDING_Y - 2))
        fonts = row_fonts(option.font)
        title_font, title_metrics, small, small_metrics = (
            fonts.title,
            fonts.title_metrics,
            fonts.small,
            fonts.small_metrics,
        )

        date = friendly_date(story.created_at)
        date_width = small_metrics.horizontalAdvance(date)
        painter.setFont(title_font)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        title_rect = QRectF(inner.left(), inner.top(), inner.width() - date_width - 10, title_metrics.height())
        painter.drawText(
            title_rect, LEFT_MIDDLE, title_metrics.elidedText(story.title, ELIDE_RIGHT, int(title_rect.width()))
        )
        painter.setFont(small)
        painter.setPen(theme.muted_text(pal))  # the date and the scene count
        painter.drawText(
            QRectF(inner.right() - date_width, inner.top(), date_width, title_metrics.height()), RIGHT_MIDDLE, date
        )

        second_top = inner.top() + title_metrics.height() + LINE_GAP
        label, tone = badge_of(story)
        badge = paint_badge(painter, QPointF(inner.left(), second_top), label, tone, fonts.badge)
        painter.drawText(
            QRectF(badge.right() + 8, badge.top(), inner.right() - badge.right() - 8, badge.height()),
            LEFT_MIDDLE,
            scenes_text(story),
        )
