"""Icons and styles from `resources/`, in the source tree or inside a PyInstaller bundle, tinted to the palette."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from desktop.frozen import resources_dir
from desktop.ui.common.pictures import kept

ICON_SIZES = (16, 20, 24, 32, 48)
APP_ICON_SIZES = (*ICON_SIZES, 64, 128, 256)
APP_ICON = "storyforge"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def svg_image(name: str, size: int, color: QColor | None = None, device_pixel_ratio: float = 1.0) -> QImage:
    """Render icon `name` square at `size` logical pixels; `currentColor` becomes `color`. Not kept: callers draw it
    into a picture that the picture cache keeps."""
    source = resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")
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


def _argb(color: QColor | None) -> str:
    return color.name(QColor.NameFormat.HexArgb) if color is not None else ""


class SvgIconEngine(QIconEngine):
    """An SVG icon rendered at the size it is first asked for (not at every size up front), kept in the picture
    cache under its name, pixel size and colour."""

    def __init__(self, name: str, normal: QColor | None, disabled: QColor | None, sizes: tuple[int, ...]) -> None:
        super().__init__()
        self._name, self._normal, self._disabled, self._sizes = name, normal, disabled, sizes

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pixels = max(1, min(size.width(), size.height()))
        color = self._disabled if mode is QIcon.Mode.Disabled else self._normal
        return kept(
            ("icon", self._name, pixels, _argb(color)),
            lambda: QPixmap.fromImage(svg_image(self._name, pixels, color)),
        )

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        side = round(min(rect.width(), rect.height()) * ratio)
        picture = self.pixmap(QSize(side, side), mode, state)
        painter.drawPixmap(QRectF(rect), picture, QRectF(picture.rect()))

    def availableSizes(self, mode: QIcon.Mode = QIcon.Mode.Normal, state: QIcon.State = QIcon.State.Off) -> list[QSize]:
        return [QSize(size, size) for size in self._sizes]

    def clone(self) -> QIconEngine:
        return SvgIconEngine(self._name, self._normal, self._disabled, self._sizes)

    def key(self) -> str:
        return "storyforge-svg"


def icon(name: str, color: QColor | None = None) -> QIcon:
    """A palette-tinted icon with a dimmed disabled state."""
    palette = QGuiApplication.palette()
    normal = color or palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)
    disabled = QColor(palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText))
    disabled.setAlphaF(0.55)
    return QIcon(SvgIconEngine(name, QColor(normal), disabled, ICON_SIZES))


def app_icon() -> QIcon:
    return QIcon(SvgIconEngine(APP_ICON, None, None, APP_ICON_SIZES))


def stylesheet_template() -> str:
    return resource_path("styles", "storyforge.qss").read_text(encoding="utf-8")
