"""Writing a checked image into the image folder atomically: a temporary file, fsync, then rename.

Blocking: run on the executor. The file is complete or absent, never half written, even if the app dies.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from pathlib import Path

from desktop.generation.errors import ImageFolderError
from desktop.generation.images import CheckedImage

DISK_FULL = "The disk is full — free some space, then regenerate this image."
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def image_name(stem: str, image: CheckedImage) -> str:
    digest = hashlib.sha256(image.data).hexdigest()
    return f"{stem}-{digest[:12]}.{image.extension}"


def scene_image_name(index: int, image: CheckedImage) -> str:
    return image_name(f"scene-{index:02d}", image)


def write_scene_image(directory: Path, index: int, image: CheckedImage) -> Path:
    """`directory/scene-NN-<sha12>.<ext>`; ImageFolderError (disk_full when it is) if it cannot be written."""
    return write_image(directory, f"scene-{index:02d}", image)


def write_image(directory: Path, stem: str, image: CheckedImage) -> Path:
    """`directory/<stem>-<sha12>.<ext>`; ImageFolderError (disk_full when it is) if it cannot be written."""
    target = directory / image_name(stem, image)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if target.exists() and target.stat().st_size == len(image.data):
            return target  # same bytes, same name: already here
        _write_atomically(directory, target, image.data)
    except OSError as exc:
        if exc.errno in _FULL_ERRNOS:
            raise ImageFolderError(DISK_FULL, disk_full=True) from exc
        reason = exc.strerror or type(exc).__name__
        raise ImageFolderError(f"The image could not be saved in {directory}: {reason}.") from exc
    return target


def _write_atomically(directory: Path, target: Path, data: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=".incoming-", suffix=".part", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as file:
            view = memoryview(data)
            while view:
                written = os.write(file.fileno(), view)
                view = view[written:]
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    # The rename is durable only once the folder's entry is on disk; some systems cannot open folders.
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
