"""Scenes written as headed sections, the plain format asked of servers that take no JSON schema (small local models
follow it far better than JSON without a grammar):

    ## Scene 3: The Lamp Room
    The scene's paragraphs.
    Picture: one or two sentences about its illustration.

Read while it streams, and tolerant of what small models make of it: chatter before, between and after the scenes,
bold or numbered headings instead of "##", numbering that restarts or skips, a missing picture line, labels such as
"Title:" or "Text:" on their own lines. A section is complete at its picture line or when the next one starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from desktop.generation.base import SceneDraft
from desktop.generation.parsing import strip_marks
from desktop.generation.stream_scanner import ScanResult

_HEADING = re.compile(
    r"""^\s*(?P<hashes>\#{1,6})?\s*(?P<bold>\*\*|__)?\s*
        (?:(?:scene|chapter|part)\s*(?P<number>\d{1,3})\b|(?P<bare>\d{1,3})(?=\s*[.):]))
        \s*(?P<sep>[:.)\-–—])?\s*(?P<rest>.*?)\s*$""",
    re.I | re.X,
)
_LABEL = re.compile(
    r"^\s*[-*]?\s*(?:\*\*|__)?\s*(?P<label>picture|image(?:\s+prompt)?|illustration|image\s+description|title|text|"
    r"story)\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(?P<value>.*?)\s*$",
    re.I,
)
_RULE = re.compile(r"^\s*(?:[-*_=]{3,}|```\w*)\s*$")
# What a chat model says to its user rather than writes into the story: before a scene's text, and after its last.
_LEADING_CHATTER = re.compile(r"^\s*(?:here (?:is|are|comes)\b.*:\s*$|sure[,!.]|certainly[,!.]|of course[,!.])", re.I)
_TRAILING_CHATTER = re.compile(
    r"^\s*(?:i hope|hope you|let me know|enjoy(?: the| your)?\b|feel free|(?:this|that) concludes)", re.I
)
_TITLE_MAX_CHARS = 100


@dataclass
class _Section:
    title: str = ""
    lines: list[str] = field(default_factory=list)
    picture: str = ""

    def text(self, partial: str = "") -> str:
        lines = [*self.lines, partial] if partial else list(self.lines)
        while lines and (not lines[-1].strip() or _TRAILING_CHATTER.match(lines[-1])):
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        return "\n".join(lines).strip()

    def draft(self) -> SceneDraft | None:
        text = self.text()
        if not text:
            return None
        try:
            return SceneDraft(title=strip_marks(self.title), text=text, image_prompt=strip_marks(self.picture))
        except ValidationError:
            return None


def heading_title(line: str) -> str | None:
    """The title a section heading gives ("" when it gives only a number); None when the line is no heading."""
    match = _HEADING.match(line)
    if match is None:
        return None
    rest = match.group("rest")
    marked = match.group("hashes") or match.group("bold") or match.group("sep") or not rest
    if not marked or len(rest) > _TITLE_MAX_CHARS:
        return None  # "Scene 2 opens on the quay…" is the text of a scene, not its heading
    return strip_marks(rest)


class SectionScanner:
    def __init__(self) -> None:
        self._pending = ""  # the line being written
        self._section: _Section | None = None
        self._raw: list[str] = []
        self.found = 0

    @property
    def raw(self) -> str:
        return "".join(self._raw)

    def feed(self, chunk: str) -> ScanResult:
        result = ScanResult()
        self._raw.append(chunk)
        lines = (self._pending + chunk).split("\n")
        self._pending = lines.pop()
        grew = False
        for line in lines:
            grew = self._line(line.rstrip("\r"), result) or grew
        if self._section is not None and self._pending and heading_title(self._pending) is None:
            label = _LABEL.match(self._pending)
            if label is None or label.group("label").lower() in ("text", "story"):
                grew = True
        if grew and self._section is not None:
            partial = "" if _LABEL.match(self._pending) else self._pending
            text = self._section.text(partial)
            if text:
                result.partial_text = text
        return result

    def finish(self) -> ScanResult:
        """The last section, which no next heading closed."""
        result = ScanResult()
        if self._pending:
            self._line(self._pending, result)
            self._pending = ""
        self._close(result)
        return result

    def _line(self, line: str, result: ScanResult) -> bool:
        title = heading_title(line)
        if title is not None:
            self._close(result)
            self._section = _Section(title=title)
            return False
        section = self._section
        if section is None or _RULE.match(line):
            return False  # chatter before the first heading, a rule, a code fence
        label = _LABEL.match(line)
        if label is not None:
            name, value = label.group("label").lower(), label.group("value")
            if name == "title" and not section.lines:
                section.title = value
                return False
            if name in ("text", "story"):
                section.lines.append(value)
                return True
            if name != "title":
                section.picture = value
                if section.text():
                    self._close(result)  # the picture line ends the scene: it may be kept at once
                return False
        if not section.text() and _LEADING_CHATTER.match(line):
            return False
        section.lines.append(line)
        return bool(line.strip())

    def _close(self, result: ScanResult) -> None:
        if self._section is not None:
            scene = self._section.draft()
            if scene is not None:
                result.scenes.append(scene)
                self.found += 1
        self._section = None


def parse_sections(text: str) -> list[SceneDraft]:
    scanner = SectionScanner()
    scenes = scanner.feed(text).scenes
    return scenes + scanner.finish().scenes
