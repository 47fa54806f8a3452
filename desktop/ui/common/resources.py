"""Icons and styles from `resources/`, in the source tree or inside a PyInstaller bundle, tinted to the palette."""

from __future__ import annotations

import sys
from functools import cache, lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

ICON_SIZES = (16, 20, 24, 32, 48)
APP_ICON = "storyforge"


def resources_dir() -> Path:
    """`resources/` next to the package in a checkout, or inside the bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[3] / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


@cache
def _svg_source(name: str) -> str:
    return resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")


def svg_image(name: str, size: int, color: QColor | None = None, device_pixel_ratio: float = 1.0) -> QImage:
    """Render icon `name` square at `size` logical pixels; `currentColor` becomes `color`. Cached: badges and
    placeholders ask for the same few on every paint."""
    rgba = color.name(QColor.NameFormat.HexArgb) if color is not None else ""
    return _rendered(name, size, rgba, device_pixel_ratio)


@lru_cache(maxsize=256)
def _rendered(name: str, size: int, rgba: str, device_pixel_ratio: float) -> QImage:
    source = _svg_source(name)
    color = QColor(rgba) if rgba else None
    if color is not None:
        # SVG knows #rrggbb, not Qt's #aarrggbb: the alpha goes in as the drawing's opacity.
        source = source.replace("currentColor", color.name(QColor.NameFormat.HexRgb))
        if color.alphaF() < 1.0:
            source = source.replace("<svg ", f'<svg opacity="{color.alphaF():.2f}" ', 1)
    renderer = QSvgRenderer(QByteArray(source.encode("utf-8")))
    pixels = max(1, round(size * device_pixel_ratio))
    image = QImage(pixels, pixels, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, pixels, pixels))
    painter.end()
    image.setDevicePixelRatio(device_pixel_ratio)
    return image


_icons: dict[tuple[str, str, str], QIcon] = {}


def _palette() -> QPalette:
    return QGuiApplication.palette()


def icon(name: str, color: QColor | None = None) -> QIcon:
    """A palette-tinted icon with a dimmed disabled state; cached per name and colour."""
    palette = _palette()
    normal = color or palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)
    disabled = QColor(palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText))
    disabled.setAlphaF(0.55)
    key = (name, normal.name(QColor.NameFormat.HexArgb), disabled.name(QColor.NameFormat.HexArgb))
    found = _icons.get(key)
    if found is not None:
        return found
    ratio = max(1.0, _device_pixel_ratio())
    made = QIcon()
    for size in ICON_SIZES:
        made.addPixmap(QPixmap.fromImage(svg_image(name, size, normal, ratio)), QIcon.Mode.Normal)
        made.addPixmap(QPixmap.fromImage(svg_image(name, size, normal, ratio)), QIcon.Mode.Active)
        made.addPixmap(QPixmap.fromImage(svg_image(name, size, disabled, ratio)), QIcon.Mode.Disabled)
    _icons[key] = made
    return made


def app_icon() -> QIcon:
    made = QIcon()
    for size in (*ICON_SIZES, 64, 128, 256):
        made.addPixmap(QPixmap.fromImage(svg_image(APP_ICON, size)))
    return made


def clear_icon_cache() -> None:
    """The palette changed (light ↔ dark): icons are tinted afresh on next use."""
    _icons.clear()
    _rendered.cache_clear()


def _device_pixel_ratio() -> float:
    screen = QGuiApplication.primaryScreen()
    return screen.devicePixelRatio() if screen is not None else 1.0


def stylesheet_template() -> str:
    return resource_path("styles", "storyforge.qss").read_text(encoding="utf-8")
