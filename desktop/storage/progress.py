"""A file that reports how much of it has been read: httpx streams multipart bodies by calling `read()`."""

from __future__ import annotations

import io
from pathlib import Path

from desktop.storage.backend import ProgressCallback

# httpx asks for 64 KB at a time. Every read and send lets go of the GIL and must win it back, while the GUI thread
# competes for it too: fewer, larger pieces keep the loop responsive and the upload just as fast.
MIN_CHUNK = 512 * 1024


class ProgressReader(io.BufferedReader):
    """storage3 sends a BufferedReader as it is (anything else it takes for a path), so this is one."""

    def __init__(self, source: Path | bytes, progress: ProgressCallback | None) -> None:
        raw: io.RawIOBase | io.BytesIO = io.BytesIO(source) if isinstance(source, bytes) else io.FileIO(source, "rb")
        super().__init__(raw)  # BytesIO has readinto, which is all BufferedReader needs
        self.total = len(source) if isinstance(source, bytes) else source.stat().st_size
        self.done = 0
        self._progress = progress

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size if size is None or size < 0 else max(size, MIN_CHUNK))
        self.done += len(chunk)
        if self._progress is not None:
            self._progress(self.done, self.total)
        return chunk

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = super().seek(offset, whence)
        self.done = position  # a resent body starts counting again
        return position
