"""What an image is (read from its bytes, not its name) and where it lives in storage."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from desktop.image_types import KEPT_TYPES, ImageType, sniff_image

_CHUNK = 1 << 20


class NotAnImage(ValueError):
    """The file is not a PNG, JPEG or WebP image; the message says which file."""


@dataclass(frozen=True)
class ImageFile:
    path: Path
    sha256: str
    size: int
    image_type: ImageType


def inspect_image(path: Path) -> ImageFile:
    """Read the file once: its hash, size and type. Blocks; raises OSError or NotAnImage."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            if not head:
                head = chunk[:16]
            digest.update(chunk)
            size += len(chunk)
    image_type = sniff_image(head)
    if image_type is None:
        raise NotAnImage(f"{path.name} is not {KEPT_TYPES}, so it cannot be uploaded.")
    return ImageFile(path, digest.hexdigest(), size, image_type)


def object_path(user_id: uuid.UUID, story_id: uuid.UUID, scene_id: uuid.UUID, sha256: str, extension: str) -> str:
    """Deterministic, so a retried upload is an upsert of the same object, never a second one.

    Named by the scene's id, not its place: a scene moved, inserted before or deleted around keeps its objects, so a
    move never re-uploads. A new image of a scene gets a new path (its hash), never an overwrite: a link or cache that
    still points at the old object never serves the wrong picture, and the object stays for the scene's earlier
    version (its History) until the scene is purged from the trash.
    Images uploaded before scenes could move (migration 011) keep their `scene-NN-<hash>` paths."""
    return f"{user_id}/{story_id}/{scene_id}-{sha256[:12]}.{extension}"
