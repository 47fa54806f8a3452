"""Thumbnails decoded and scaled on worker threads (QImage is thread-safe; QPixmap is not), kept in the picture
cache (bounded in bytes), so a story with hundreds of images keeps memory flat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable
from concurrent.futures import Executor

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap

from desktop.ui.common.pictures import PICTURES, PictureCache

log = logging.getLogger(__name__)

Key = tuple[str, str, int, int, Hashable]


def scale_image(path: str, width: int, height: int) -> QImage | None:
    """Decode `path` no larger than needed to cover width×height, then scale smoothly to fit. Runs on a worker."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    original = reader.size()
    if original.isValid() and (original.width() > width * 2 or original.height() > height * 2):
        # Formats that can decode small (JPEG) skip most of the work; others decode then scale.
        reader.setScaledSize(original.scaled(QSize(width * 2, height * 2), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        log.warning("cannot read image %s: %s", path, reader.errorString())
        return None
    scaled = image.scaled(width, height, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return scaled.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


def read_image(path: str) -> QImage | None:
    """The full-size image, for the viewer. Runs on a worker."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    image = reader.read()
    return None if image.isNull() else image


class ThumbnailLoader:
    """`await loader.thumbnail(path, size, version)`: from the cache, or scaled on the executor; one decode per key."""

    def __init__(self, executor: Executor, cache: PictureCache = PICTURES) -> None:
        self.executor = executor
        self.cache = cache
        self._in_flight: dict[Key, asyncio.Future[QImage | None]] = {}
        self.decoded = 0  # how many images were decoded (not served from the cache)

    async def thumbnail(self, path: str, size: QSize, version: Hashable = None) -> QImage | None:
        key: Key = ("thumbnail", path, size.width(), size.height(), version)
        cached = self.cache.get(key)
        if isinstance(cached, QImage):
            return cached
        pending = self._in_flight.get(key)
        if pending is None:
            pending = asyncio.wrap_future(self.executor.submit(scale_image, path, size.width(), size.height()))
            self._in_flight[key] = pending
            pending.add_done_callback(lambda _: self._in_flight.pop(key, None))
            self.decoded += 1
        image = await asyncio.shield(pending)
        if image is not None:
            self.cache.put(key, image)
        return image

    async def pixmap(self, path: str, size: QSize, ratio: float) -> QPixmap | None:
        """The thumbnail as a pixmap for a widget `size` points large on a screen of `ratio` device pixels a point
        (GUI thread: the decoding still happens on the workers)."""
        image = await self.thumbnail(path, size * ratio)
        if image is None:
            return None
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(ratio)
        return pixmap

    async def full_image(self, path: str) -> QImage | None:
        return await asyncio.wrap_future(self.executor.submit(read_image, path))
