"""Colours, fonts and the style sheet, all derived from the system palette so light and dark both look right."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from string import Template

from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from desktop.models import StoryStatus, UploadStatus
from desktop.ui.common.resources import stylesheet_template

SERIF_FAMILIES = ["Iowan Old Style", "Charter", "Georgia", "Source Serif 4", "Noto Serif", "DejaVu Serif", "serif"]


class Tone(StrEnum):
    neutral = "neutral"
    progress = "progress"
    success = "success"
    warning = "warning"
    danger = "danger"


@dataclass(frozen=True)
class ToneColors:
    background: QColor
    text: QColor
    border: QColor


# (light background, light text), (dark background, dark text)
_TONES: dict[Tone, tuple[tuple[str, str], tuple[str, str]]] = {
    Tone.neutral: (("#eceef1", "#4a5160"), ("#343841", "#c3c8d2")),
    Tone.progress: (("#e3edfd", "#1f5bc4"), ("#1d3357", "#9cc2ff")),
    Tone.success: (("#e2f4e8", "#1e7a44"), ("#183d28", "#8fdcaa")),
    Tone.warning: (("#fdf1dc", "#95600b"), ("#48361a", "#f3c67a")),
    Tone.danger: (("#fbe5e4", "#b3261e"), ("#4a2422", "#ffaba4")),
}

STORY_TONES: dict[StoryStatus, Tone] = {
    StoryStatus.generating: Tone.progress,
    StoryStatus.complete: Tone.success,
    StoryStatus.partial: Tone.warning,
    StoryStatus.failed: Tone.danger,
    StoryStatus.cancelled: Tone.neutral,
    StoryStatus.interrupted: Tone.warning,
}

STORY_LABELS: dict[StoryStatus, str] = {
    StoryStatus.generating: "Writing",
    StoryStatus.complete: "Complete",
    StoryStatus.partial: "Partial",
    StoryStatus.failed: "Failed",
    StoryStatus.cancelled: "Cancelled",
    StoryStatus.interrupted: "Interrupted",
}

UPLOAD_TONES: dict[UploadStatus, Tone] = {
    UploadStatus.queued: Tone.neutral,
    UploadStatus.uploading: Tone.progress,
    UploadStatus.uploaded: Tone.success,
    UploadStatus.failed: Tone.danger,
    UploadStatus.cancelled: Tone.neutral,
}

UPLOAD_LABELS: dict[UploadStatus, str] = {
    UploadStatus.queued: "Queued",
    UploadStatus.uploading: "Uploading",
    UploadStatus.uploaded: "Uploaded",
    UploadStatus.failed: "Failed",
    UploadStatus.cancelled: "Cancelled",
}

UPLOAD_ICONS: dict[UploadStatus, str] = {
    UploadStatus.queued: "queued",
    UploadStatus.uploading: "upload",
    UploadStatus.uploaded: "uploaded",
    UploadStatus.failed: "failed",
    UploadStatus.cancelled: "cancel",
}


def palette() -> QPalette:
    return QGuiApplication.palette()


def is_dark(pal: QPalette | None = None) -> bool:
    pal = pal or palette()
    return pal.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def tone_colors(tone: Tone, pal: QPalette | None = None) -> ToneColors:
    light, dark = _TONES[tone]
    background, text = dark if is_dark(pal) else light
    border = QColor(text)
    border.setAlphaF(0.35)
    return ToneColors(QColor(background), QColor(text), border)


def accent(pal: QPalette | None = None) -> QColor:
    pal = pal or palette()
    return pal.color(QPalette.ColorRole.Accent) if hasattr(QPalette.ColorRole, "Accent") else pal.highlight().color()


def muted_text(pal: QPalette | None = None) -> QColor:
    pal = pal or palette()
    text = pal.color(QPalette.ColorRole.WindowText)
    window = pal.color(QPalette.ColorRole.Window)
    return _mix(text, window, 0.38)


def page_color(pal: QPalette | None = None) -> QColor:
    """Behind the cards: a shade between the window and the cards in light mode, darker than the window in dark."""
    pal = pal or palette()
    window = pal.color(QPalette.ColorRole.Window)
    if is_dark(pal):
        return _mix(window, QColor("black"), 0.18)
    return _mix(window, pal.color(QPalette.ColorRole.Base), 0.5)


def card_background(pal: QPalette | None = None) -> QColor:
    pal = pal or palette()
    if is_dark(pal):
        return _mix(pal.color(QPalette.ColorRole.Window), QColor("white"), 0.04)
    return pal.color(QPalette.ColorRole.Base)


def _text_tint(alpha: float, pal: QPalette | None = None) -> QColor:
    color = QColor((pal or palette()).color(QPalette.ColorRole.WindowText))
    color.setAlphaF(alpha)
    return color


def card_border(pal: QPalette | None = None) -> QColor:
    return _text_tint(0.18 if is_dark(pal) else 0.14, pal)


def hover_fill(pal: QPalette | None = None) -> QColor:
    return _text_tint(0.07, pal)


def scroll_handle(pal: QPalette | None = None, *, hovered: bool = False) -> QColor:
    return _text_tint(0.38 if hovered else 0.22, pal)


def disabled_text(pal: QPalette | None = None) -> QColor:
    pal = pal or palette()
    return _mix(pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Window), 0.55)


def _mix(a: QColor, b: QColor, amount: float) -> QColor:
    """`a` moved `amount` of the way towards `b`."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * amount,
        a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount,
    )


def _hex(color: QColor) -> str:
    return color.name(QColor.NameFormat.HexRgb)


def _rgba(color: QColor, alpha: float) -> str:
    return f"rgba({color.red()}, {color.green()}, {color.blue()}, {alpha:.2f})"


def stylesheet(pal: QPalette | None = None) -> str:
    pal = pal or palette()
    dark = is_dark(pal)
    text = pal.color(QPalette.ColorRole.WindowText)
    main = accent(pal)
    danger = tone_colors(Tone.danger, pal)
    values = {
        "page": _hex(page_color(pal)),
        "card": _hex(card_background(pal)),
        "border": _rgba(text, card_border(pal).alphaF()),
        "hover": _rgba(text, hover_fill(pal).alphaF()),
        "scroll_handle": _rgba(text, scroll_handle(pal).alphaF()),
        "scroll_handle_hover": _rgba(text, scroll_handle(pal, hovered=True).alphaF()),
        "text": _hex(text),
        "muted": _hex(muted_text(pal)),
        "accent": _hex(main),
        "accent_hover": _hex(main.lighter(112) if dark else main.darker(108)),
        "accent_pressed": _hex(main.darker(118)),
        "accent_text": _hex(pal.color(QPalette.ColorRole.HighlightedText)),
        "focus": _hex(_mix(main, text, 0.5)),
        "disabled_bg": _rgba(text, 0.12),
        "disabled_text": _hex(disabled_text(pal)),
        "danger_bg": _hex(danger.background),
        "danger_border": _rgba(danger.text, 0.35),
        "danger_text": _hex(danger.text),
        "success_text": _hex(tone_colors(Tone.success, pal).text),
        "warning_text": _hex(tone_colors(Tone.warning, pal).text),
    }
    return Template(stylesheet_template()).substitute(values)


def serif_font(point_size: float | None = None) -> QFont:
    font = QFont(QGuiApplication.font())
    font.setFamilies(SERIF_FAMILIES)
    if point_size is not None:
        font.setPointSizeF(point_size)
    return font


def scaled_font(factor: float, *, bold: bool = False, base: QFont | None = None) -> QFont:
    font = QFont(base or QGuiApplication.font())
    font.setPointSizeF(font.pointSizeF() * factor)
    if bold:
        font.setWeight(QFont.Weight.DemiBold)
    return font


def apply(app: QApplication) -> None:
    """(Re)apply the style sheet for the current palette; called at start and when the palette changes."""
    app.setStyleSheet(stylesheet(app.palette()))
