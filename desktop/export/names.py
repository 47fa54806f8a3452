"""A file name from any story title that every platform accepts and no title can turn into a path elsewhere."""

from __future__ import annotations

import re
import unicodedata

from desktop.export.book import UNTITLED_STORY

# Linux and macOS refuse few characters (/, and : in Finder); Windows refuses these and the names below.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{device}{digit}" for device in ("COM", "LPT") for digit in "0123456789¹²³"]
)
# Joiners and variation selectors hold emoji sequences together; other format characters (right-to-left overrides
# that disguise an extension, zero-width spaces) only hide what a name says.
_KEPT_FORMAT = frozenset("\u200c\u200d\ufe0e\ufe0f")
# Most file systems allow 255 bytes in a name; this leaves room for an extension and an images folder's suffix.
MAX_STEM_BYTES = 120


def _visible(char: str) -> bool:
    category = unicodedata.category(char)
    if category in ("Cc", "Cs", "Co", "Cn"):
        return False
    return category != "Cf" or char in _KEPT_FORMAT


def _fit(stem: str) -> str:
    while len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        stem = stem[:-1]
    # A cut may leave half an emoji sequence or a mark without its letter.
    while stem and (unicodedata.category(stem[-1]) in ("Mn", "Me") or stem[-1] in _KEPT_FORMAT):
        stem = stem[:-1]
    return stem


def safe_file_name(title: str) -> str:
    """A file name stem (no extension) for `title`: readable, never empty, at most MAX_STEM_BYTES bytes in UTF-8."""
    text = unicodedata.normalize("NFC", title)
    text = "".join(char if _visible(char) else " " for char in text)
    text = _FORBIDDEN.sub(" ", text)
    text = " ".join(text.split())
    # A leading dot hides a file, a leading dash reads as an option; Windows drops trailing dots and spaces.
    stem = _fit(text.lstrip(" .-")).rstrip(" .")
    if not stem:
        return UNTITLED_STORY
    head, dot, rest = stem.partition(".")
    if head.rstrip().upper() in _WINDOWS_RESERVED:
        stem = f"{head.rstrip()}_{dot}{rest}"
    return stem
