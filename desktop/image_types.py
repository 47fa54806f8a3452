"""The images Storyforge keeps — PNG, JPEG and WebP — told apart by their first bytes, never by a file's name.

One list for both ends: what a generated image is checked against before it is kept is what an upload accepts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageType:
    format: str  # Pillow's name for it
    content_type: str
    extension: str


PNG = ImageType("PNG", "image/png", "png")
JPEG = ImageType("JPEG", "image/jpeg", "jpg")
WEBP = ImageType("WEBP", "image/webp", "webp")
KEPT_TYPES = "a PNG, JPEG or WebP image"  # the end of "… is not …" in messages


def sniff_image(head: bytes) -> ImageType | None:
    """The image type from the first bytes (its signature; 12 are enough), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None
