"""An export is named from the story's title, whatever the writer typed: the file lands in the folder chosen, and
Linux, macOS and Windows all accept its name."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.export import Book, Chapter, ExportFormat, export_book, safe_file_name
from desktop.export.names import MAX_STEM_BYTES

WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM\d|LPT\d)(\..*)?$", re.IGNORECASE)


def assert_portable(stem: str) -> None:
    assert stem and stem == stem.strip(" ") and not stem.startswith((".", "-")) and not stem.endswith(".")
    assert not set(stem) & set('<>:"/\\|?*')
    assert not any(unicodedata.category(char) == "Cc" for char in stem)
    assert len(stem.encode("utf-8")) <= MAX_STEM_BYTES
    assert not WINDOWS_RESERVED.match(stem)


@pytest.mark.parametrize(
    ("title", "stem"),
    [
        ("../../etc/passwd", "etc passwd"),
        ("CON", "CON_"),
        ("nul.txt", "nul_.txt"),
        ("", "Untitled story"),
        ("...", "Untitled story"),
        ("<script>alert(1)</script>", "script alert(1) script"),
        ("Chapter 1: The End.", "Chapter 1 The End"),
        ("🐉 The Dragon's Key 👨‍👩‍👧", "🐉 The Dragon's Key 👨‍👩‍👧"),
        ("tab\tnew\nline\x00null\u202egnp.exe", "tab new line null gnp.exe"),
        ("-rf /", "rf"),
    ],
)
def test_hostile_titles_give_safe_readable_names(title: str, stem: str) -> None:
    assert safe_file_name(title) == stem
    assert_portable(stem)


def test_a_very_long_title_is_cut_on_a_character(tmp_path: Path) -> None:
    stem = safe_file_name("The lighthouse keeper's very long day " * 10)
    assert_portable(stem)
    assert stem.startswith("The lighthouse keeper's very long day")
    emoji = safe_file_name("🐉" * 300)
    assert set(emoji) == {"🐉"} and len(emoji.encode("utf-8")) <= MAX_STEM_BYTES
    (tmp_path / f"{stem}.epub").write_bytes(b"")  # the file system takes it, with its extension


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_title_gives_a_portable_name(title: str) -> None:
    assert_portable(safe_file_name(title))


@pytest.mark.parametrize("title", ["../../etc/passwd", "CON", "", "x" * 300, "<script>"])
def test_an_export_named_from_a_hostile_title_stays_in_its_folder(tmp_path: Path, title: str) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    book = Book(title, chapters=(Chapter(1, title, "Text.", None),))
    for format in (ExportFormat.markdown, ExportFormat.html, ExportFormat.epub):
        result = export_book(book, format, folder)
        assert result.path.parent == folder and result.path.is_file()
        assert all(path.resolve().is_relative_to(folder) for path in result.files)
        assert_portable(result.path.name.removesuffix(f".{format.extension}"))
