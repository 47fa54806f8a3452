"""The one picture cache: every picture a widget draws once and copies after (icons, badges, button faces, the card's
placeholders and frame, library rows, thumbnails) lives here, under one rule: least recently used first out once the
pictures together pass a budget in bytes.

A key is everything its picture depends on (what it shows, its size, the device pixel ratio, its colours, its
font), so a theme or a screen change needs no clearing: new keys are drawn, old ones age out. Each key starts with
the kind of picture, so two kinds never meet.

Not QPixmapCache: thumbnails are QImages (decoded on workers, where a QPixmap may not be made), and its string keys
would hide what a picture depends on.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from PySide6.QtGui import QImage, QPixmap

Picture = QImage | QPixmap
P = TypeVar("P", QImage, QPixmap)

DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024  # about 400 thumbnails, or thousands of icons and badges


def size_in_bytes(picture: Picture) -> int:
    if isinstance(picture, QImage):
        return picture.sizeInBytes()
    return picture.width() * picture.height() * max(1, picture.depth()) // 8


class PictureCache:
    """Least recently used first out, once the pictures together pass `budget_bytes`."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._pictures: OrderedDict[Hashable, Picture] = OrderedDict()
        self._bytes = 0

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._pictures)

    def get(self, key: Hashable) -> Picture | None:
        picture = self._pictures.get(key)
        if picture is not None:
            self._pictures.move_to_end(key)
        return picture

    def put(self, key: Hashable, picture: Picture) -> None:
        old = self._pictures.pop(key, None)
        if old is not None:
            self._bytes -= size_in_bytes(old)
        self._pictures[key] = picture
        self._bytes += size_in_bytes(picture)
        while self._bytes > self.budget_bytes and len(self._pictures) > 1:
            _, evicted = self._pictures.popitem(last=False)
            self._bytes -= size_in_bytes(evicted)

    def kept(self, key: Hashable, draw: Callable[[], P]) -> P:
        """The picture under `key`, drawn by `draw` the first time it is asked for."""
        found = self.get(key)
        if found is None:
            found = draw()
            self.put(key, found)
        assert isinstance(found, QImage | QPixmap)
        return found  # type: ignore[return-value]  # a key's kind fixes its type


PICTURES = PictureCache()


def kept(key: Hashable, draw: Callable[[], P]) -> P:
    return PICTURES.kept(key, draw)
