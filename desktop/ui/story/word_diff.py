"""Two texts compared word by word, for the History view: what a version says that the current one does not, and
the other way round. Pure (no Qt): the pieces, their counts, and the rich text that shows them.

Words are compared without the spaces and line breaks around them, so a reflowed line is no change; each piece keeps
the spaces and line breaks of the side it comes from, so the text reads as it was written.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

_WORD = re.compile(r"(\S+)(\s*)")


class Change(StrEnum):
    same = "same"
    deleted = "deleted"  # only in the text compared against (the current version)
    added = "added"  # only in the text shown (the chosen version)


@dataclass(frozen=True)
class Piece:
    change: Change
    text: str


@dataclass(frozen=True)
class WordDiff:
    pieces: list[Piece]
    added: int  # words
    deleted: int

    @property
    def unchanged(self) -> bool:
        return not self.added and not self.deleted

    @property
    def summary(self) -> str:
        """In words, for everyone (colour and strike-through say nothing to a screen reader)."""
        if self.unchanged:
            return "Same words as the current version."
        parts = []
        if self.added:
            parts.append(f"{self.added} {'word' if self.added == 1 else 'words'} only in this version")
        if self.deleted:
            parts.append(f"{self.deleted} {'word' if self.deleted == 1 else 'words'} only in the current version")
        return ", ".join(parts) + "."


def _words(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The leading spaces, then each word with the spaces and line breaks after it."""
    leading = text[: len(text) - len(text.lstrip())]
    return leading, [(match.group(1), match.group(2)) for match in _WORD.finditer(text)]


def _run(change: Change, words: list[tuple[str, str]]) -> list[Piece]:
    """A changed run marked without the spaces after its last word: they separate it from what follows."""
    text = "".join(word + space for word, space in words)
    marked = text.rstrip()
    pieces = [Piece(change, marked)] if marked else []
    if len(text) > len(marked):
        pieces.append(Piece(Change.same, text[len(marked) :]))
    return pieces


def word_diff(current: str, shown: str) -> WordDiff:
    """`shown` compared with `current`: `added` pieces are words only `shown` has, `deleted` only `current`."""
    _, before = _words(current)  # leading spaces are layout, not words
    leading_after, after = _words(shown)
    matcher = difflib.SequenceMatcher(None, [w for w, _ in before], [w for w, _ in after], autojunk=False)
    pieces = [Piece(Change.same, leading_after)] if leading_after else []
    added = deleted = 0
    for tag, i1, i2, j1, j2 in _without_stray_matches(matcher.get_opcodes()):
        if tag == "equal":
            pieces.append(Piece(Change.same, "".join(word + space for word, space in after[j1:j2])))
            continue
        if tag == "delete":
            pieces += _run(Change.deleted, before[i1:i2])
        elif tag == "replace":  # one space between the struck words and their replacement, whatever spacing was
            pieces += [*_run(Change.deleted, before[i1:i2])[:1], Piece(Change.same, " ")]
        deleted += i2 - i1
        if tag in ("insert", "replace"):
            pieces += _run(Change.added, after[j1:j2])
            added += j2 - j1
    return WordDiff(_merged(pieces), added, deleted)


Opcode = tuple[str, int, int, int, int]


def _without_stray_matches(opcodes: Sequence[Opcode]) -> list[Opcode]:
    """A single word left in common between two changes ("the", "and" in a rewritten paragraph) is counted as
    changed too: a rewrite reads as one struck passage and one new one, not as confetti."""
    kept: list[Opcode] = []
    for position, opcode in enumerate(opcodes):
        tag, i1, i2, j1, j2 = opcode
        between_changes = 0 < position < len(opcodes) - 1
        if tag == "equal" and i2 - i1 == 1 and between_changes:
            opcode = ("replace", i1, i2, j1, j2)
        if kept and kept[-1][0] != "equal" and opcode[0] != "equal":  # one change from the start of the run
            _, start_i, _, start_j, _ = kept.pop()
            opcode = ("replace", start_i, opcode[2], start_j, opcode[4])
        kept.append(opcode)
    return kept


def _merged(pieces: list[Piece]) -> list[Piece]:
    merged: list[Piece] = []
    for piece in pieces:
        if merged and merged[-1].change is piece.change:
            merged[-1] = Piece(piece.change, merged[-1].text + piece.text)
        elif piece.text:
            merged.append(piece)
    return merged


def as_html(diff: WordDiff, *, added_color: str, deleted_color: str) -> str:
    """Rich text for a QTextBrowser: deleted words struck through, added ones underlined, each in its colour (the
    caller passes colours that read on the current theme). Spaces and line breaks are kept as written."""
    spans = []
    for piece in diff.pieces:
        text = html.escape(piece.text)
        match piece.change:
            case Change.same:
                spans.append(text)
            case Change.added:
                spans.append(f'<span style="color: {added_color}; text-decoration: underline;">{text}</span>')
            case Change.deleted:
                spans.append(f'<span style="color: {deleted_color}; text-decoration: line-through;">{text}</span>')
    return f'<div style="white-space: pre-wrap;">{"".join(spans)}</div>'
