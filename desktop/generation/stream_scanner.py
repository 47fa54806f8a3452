"""Scenes out of a JSON answer while it streams: each scene object the moment it closes, and the text of the scene
being written as it grows. Works on any chunking; anything it cannot follow is left to the full parse at the end."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from desktop.generation.base import SceneDraft
from desktop.generation.parsing import decode_lenient, draft_from_mapping

_TEXT_KEYS = {"text", "body", "content", "prose", "narrative", "scenetext", "passage"}
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_OUTSIDE_STOP = re.compile(r'[{}\[\]",:]')
_INSIDE_STOP = re.compile(r'["\\]')


@dataclass
class _Container:
    kind: str  # "{" or "["
    start: int  # offset of the opening brace in the whole stream
    expecting_key: bool = True
    key: str = ""
    has_text: bool = False


@dataclass
class ScanResult:
    scenes: list[SceneDraft] = field(default_factory=list)
    partial_text: str | None = None  # the open scene's text, when it grew in this chunk


class JsonSceneScanner:
    def __init__(self) -> None:
        self._raw: list[str] = []
        self._offset = 0  # characters consumed so far
        self._stack: list[_Container] = []
        self._in_string = False
        self._string_is_key = False
        self._string_is_text = False
        self._escape: str | None = None  # None, "" (after a backslash) or the hex digits of a \u escape so far
        self._key_chars: list[str] = []
        self._text_chars: list[str] = []
        self._high_surrogate: int | None = None
        self.found = 0

    @property
    def raw(self) -> str:
        return "".join(self._raw)

    def feed(self, chunk: str) -> ScanResult:
        result = ScanResult()
        base = self._offset
        self._raw.append(chunk)
        self._offset += len(chunk)
        text_grew = False
        i = 0
        while i < len(chunk):
            if self._in_string:
                i, grew = self._string_part(chunk, i)
                text_grew = text_grew or grew
                continue
            match = _OUTSIDE_STOP.search(chunk, i)
            if match is None:
                break
            i = match.end()
            self._structural(match.group(), base + match.start(), result)
        if text_grew:
            result.partial_text = "".join(self._text_chars)
        return result

    def _string_part(self, chunk: str, i: int) -> tuple[int, bool]:
        if self._escape is not None:
            return i + 1, self._escaped(chunk[i])
        match = _INSIDE_STOP.search(chunk, i)
        end = match.start() if match else len(chunk)
        piece = chunk[i:end]
        grew = self._take(piece) if piece else False
        if match is None:
            return end, grew
        if match.group() == "\\":
            self._escape = ""
        else:
            self._close_string()
        return end + 1, grew

    def _escaped(self, char: str) -> bool:
        assert self._escape is not None
        if self._escape == "" and char != "u":
            self._escape = None
            return self._take(_ESCAPES.get(char, char))
        if self._escape == "" and char == "u":
            self._escape = "u"
            return False
        self._escape += char
        if len(self._escape) < 5:
            return False
        digits, self._escape = self._escape[1:], None
        try:
            code = int(digits, 16)
        except ValueError:
            return False
        if 0xD800 <= code < 0xDC00:
            self._high_surrogate = code
            return False
        if 0xDC00 <= code < 0xE000 and self._high_surrogate is not None:
            code = 0x10000 + ((self._high_surrogate - 0xD800) << 10) + (code - 0xDC00)
        self._high_surrogate = None
        return self._take(chr(code)) if not 0xD800 <= code < 0xE000 else False

    def _take(self, piece: str) -> bool:
        if self._string_is_key:
            self._key_chars.append(piece)
            return False
        if self._string_is_text:
            self._text_chars.append(piece)
            return True
        return False

    def _close_string(self) -> None:
        self._in_string = False
        if self._string_is_key and self._stack:
            top = self._stack[-1]
            top.key = re.sub(r"[^a-z]", "", "".join(self._key_chars).lower())
        self._string_is_key = False
        self._string_is_text = False

    def _structural(self, char: str, position: int, result: ScanResult) -> None:
        top = self._stack[-1] if self._stack else None
        if char == '"':
            if top is None:
                return  # a quote in prose around the JSON
            self._in_string = True
            self._string_is_key = top.kind == "{" and top.expecting_key
            self._key_chars = []
            if not self._string_is_key and top.kind == "{" and top.key in _TEXT_KEYS:
                top.has_text = True
                self._string_is_text = True
                self._text_chars = []
        elif char in "{[":
            self._stack.append(_Container(kind=char, start=position))
        elif char in "}]":
            if top is None or (top.kind == "{") != (char == "}"):
                self._stack.clear()  # lost track: the full parse at the end will sort it out
                return
            self._stack.pop()
            if char == "}" and top.has_text:
                self._close_scene(top.start, position, result)
            if self._stack and self._stack[-1].kind == "{":
                self._stack[-1].expecting_key = False
        elif char == ":" and top is not None and top.kind == "{":
            top.expecting_key = False
        elif char == "," and top is not None and top.kind == "{":
            top.expecting_key = True
            top.key = ""

    def _close_scene(self, start: int, end: int, result: ScanResult) -> None:
        value = decode_lenient(self.raw[start : end + 1])
        scene = draft_from_mapping(value) if isinstance(value, dict) else None
        if scene is not None:
            result.scenes.append(scene)
            self.found += 1
        self._text_chars = []
