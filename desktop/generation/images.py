"""Image bytes are checked before they are kept: a known signature, decodable, dimensions and size within limits."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from desktop.generation.errors import ImageRejected
from desktop.image_types import KEPT_TYPES, ImageType, sniff_image

MAX_BYTES = 25 * 1024 * 1024
MIN_SIDE = 16
MAX_SIDE = 8192
MAX_PIXELS = 40_000_000
# Decoding a large image takes a few milliseconds; below this it costs less than a hop to a worker thread.
INLINE_CHECK_BYTES = 16 * 1024


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    image_type: ImageType
    width: int
    height: int

    @property
    def format(self) -> str:
        return self.image_type.format

    @property
    def content_type(self) -> str:
        return self.image_type.content_type

    @property
    def extension(self) -> str:
        return self.image_type.extension


def _looks_like(data: bytes) -> str:
    head = data[:64].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return " (it is a web page)"
    if head.startswith((b"{", b"[")):
        return " (it is JSON text)"
    if head.startswith(b"gif8"):
        return " (it is a GIF, which Storyforge does not keep)"
    return ""


def check_image(data: bytes, *, source: str = "The image service") -> CheckedImage:
    """The bytes as a checked image, or ImageRejected saying in plain words what is wrong with them."""
    if not data:
        raise ImageRejected(f"{source} returned an empty image.")
    if len(data) > MAX_BYTES:
        raise ImageRejected(
            f"{source} returned an image of {len(data) / 1_048_576:.0f} MB; the limit is {MAX_BYTES // 1_048_576} MB."
        )
    expected = sniff_image(data)
    if expected is None:
        raise ImageRejected(f"{source} returned something that is not {KEPT_TYPES}{_looks_like(data)}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected.format]) as image:
                width, height = image.size
                _check_size(width, height, source)
                image.load()  # decodes every pixel: a truncated or corrupt file fails here
    except ImageRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageRejected(f"{source} returned an image too large to open safely.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected(f"{source} returned a damaged {expected.format} image that cannot be opened.") from exc
    return CheckedImage(data=data, image_type=expected, width=width, height=height)


def _check_size(width: int, height: int, source: str) -> None:
    if min(width, height) < MIN_SIDE:
        raise ImageRejected(f"{source} returned an image of only {width}×{height} pixels.")
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageRejected(
            f"{source} returned an image of {width}×{height} pixels; the limit is {MAX_SIDE} pixels a side."
        )
