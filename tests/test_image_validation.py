"""Image bytes are checked before they are kept, and kept atomically: whole or not at all."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from desktop.generation import image_folder
from desktop.generation.errors import ImageFolderError, ImageRejected
from desktop.generation.image_folder import DISK_FULL, write_scene_image
from desktop.generation.images import MAX_BYTES, check_image


def encoded(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, fmt)
    return out.getvalue()


def noisy_png() -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (64, 48), bytes(range(256)) * 36).save(out, "PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG signature and header claiming a size, with no pixels behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("WEBP", "image/webp", "webp")],
)
def test_png_jpeg_and_webp_are_kept(fmt: str, content_type: str, extension: str) -> None:
    checked = check_image(encoded(fmt))
    assert (checked.format, checked.width, checked.height) == (fmt, 64, 48)
    assert (checked.content_type, checked.extension) == (content_type, extension)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "returned an empty image"),
        (
            b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
            "not a PNG, JPEG or WebP image (it is a web page)",
        ),
        (b'{"error": "busy"}', "(it is JSON text)"),
        (encoded("GIF"), "(it is a GIF, which Storyforge does not keep)"),
        (noisy_png()[: len(noisy_png()) // 2], "a damaged PNG image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, "a damaged JPEG image"),
        (encoded("PNG", (8, 8)), "an image of only 8×8 pixels"),
        (png_claiming(10_000, 6_000), "10000×6000 pixels; the limit is 8192 pixels a side"),
        (png_claiming(30_000, 30_000), "an image too large to open safely"),
    ],
)
def test_bad_bytes_are_refused_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        check_image(data, source="The image server")
    assert str(caught.value).startswith("The image server returned")
    assert reason in str(caught.value)


def test_too_many_bytes_are_refused_before_decoding() -> None:
    with pytest.raises(ImageRejected, match="the limit is 25 MB"):
        check_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_BYTES)


def test_an_image_is_written_whole_under_its_content_name(tmp_path: Path) -> None:
    checked = check_image(encoded("PNG"))
    folder = tmp_path / "images" / "story"
    path = write_scene_image(folder, 3, checked)
    digest = hashlib.sha256(checked.data).hexdigest()
    assert path == folder / f"scene-03-{digest[:12]}.png"
    assert path.read_bytes() == checked.data
    assert write_scene_image(folder, 3, checked) == path  # the same bytes again: nothing new
    assert sorted(p.name for p in folder.iterdir()) == [path.name]  # no temporary files left


def test_a_full_disk_is_said_plainly_and_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "images"

    def full_disk(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(image_folder.os, "write", full_disk)
    with pytest.raises(ImageFolderError) as caught:
        write_scene_image(folder, 0, check_image(encoded("PNG")))
    monkeypatch.undo()
    assert caught.value.disk_full
    assert str(caught.value) == DISK_FULL == "The disk is full — free some space, then regenerate this image."
    assert list(folder.iterdir()) == []


def test_a_folder_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "images"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(ImageFolderError, match=r"could not be saved in .*images"):
        write_scene_image(blocker / "story", 0, check_image(encoded("PNG")))
