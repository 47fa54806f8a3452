"""Each chapter's picture as the writers use it: the image's bytes and size, or a placeholder and a warning that
says why (no image, painting failed, file missing or unreadable). A failed repaint keeps the earlier image."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from desktop.export.book import Book, Chapter
from desktop.export.formats import Progress
from desktop.image_types import JPEG, KEPT_TYPES, PNG, WEBP, ImageType, sniff_image

JPEG_QUALITY = 90


@dataclass(frozen=True)
class SceneImage:
    data: bytes
    kind: ImageType
    width: int
    height: int


@dataclass(frozen=True)
class Illustration:
    image: SceneImage | None
    placeholder: str  # shown in the image's place when there is none
    warning: str  # "" when the export shows the scene's current image


def _read(data: bytes) -> SceneImage | str:
    kind = sniff_image(data[:12])
    if kind is None:
        return f"not {KEPT_TYPES}"
    try:
        with Image.open(io.BytesIO(data)) as opened:
            width, height = opened.size
            # Checks a PNG's chunks (a cut-off download) without decoding its pixels.
            opened.verify()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        return f"a damaged {kind.format} image ({error})"
    return SceneImage(data, kind, width, height)


def _without_image(chapter: Chapter, why: str, shown: str) -> Illustration:
    warning = f"Scene {chapter.number}: {why}; a placeholder is in its place."
    return Illustration(None, f"No image for this scene: {shown}.", warning)


def illustrate(chapter: Chapter) -> Illustration:
    if chapter.image is None:
        if chapter.image_note:
            return _without_image(chapter, f"its image failed ({chapter.image_note})", "its painting failed")
        return _without_image(chapter, "it has no image", "none was painted")
    try:
        data = chapter.image.read_bytes()
    except FileNotFoundError:
        return _without_image(chapter, f"its image file is missing ({chapter.image})", "its file is missing")
    except OSError as error:
        why = f"its image file could not be read ({chapter.image}: {error.strerror or error})"
        return _without_image(chapter, why, "its file could not be read")
    read = _read(data)
    if isinstance(read, str):
        return _without_image(chapter, f"its image file is {read} ({chapter.image})", "its file could not be read")
    if chapter.image_note:
        warning = f"Scene {chapter.number}: its latest image failed ({chapter.image_note}); the earlier image is used."
        return Illustration(read, "", warning)
    return Illustration(read, "", "")


def as_png_or_jpeg(image: SceneImage) -> SceneImage:
    """For EPUB and Word, whose readers may not know WebP: a photo-like JPEG, or PNG where transparency must stay."""
    if image.kind is not WEBP:
        return image
    with Image.open(io.BytesIO(image.data)) as opened:
        out = io.BytesIO()
        if opened.mode in ("RGBA", "LA") or "transparency" in opened.info:
            opened.save(out, "PNG")
            return SceneImage(out.getvalue(), PNG, image.width, image.height)
        opened.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
        return SceneImage(out.getvalue(), JPEG, image.width, image.height)


@dataclass
class ChapterWalk:
    """The book's chapters with their pictures, read one at a time as a writer goes; it collects the warnings and
    reports each chapter done as the writer asks for the next (export_book reports the last once the file is whole)."""

    book: Book
    progress: Progress
    warnings: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[Chapter, Illustration]]:
        total = len(self.book.chapters)
        for done, chapter in enumerate(self.book.chapters):
            if done:
                self.progress(done, total)
            illustration = illustrate(chapter)
            if illustration.warning:
                self.warnings.append(illustration.warning)
            yield chapter, illustration
