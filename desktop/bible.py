"""A story's bible: its characters, places, visual style and notes — what every text and image request is told so
the story stays itself from scene to scene (issue 18).

The shape is a contract scripts rely on (`storyforge generate --bible FILE`, `storyforge bible STORY_ID --json`):
top-level `style` and `notes` (strings); `characters`, each with `name`, `role`, `description`, `look`; `places`,
each with `name`, `description`, `look`. Keys Storyforge does not know are kept as they are. A character whose
portrait was painted also has `portrait` (the picture's file on this computer) and `portrait_seed`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENTRY_TEXT_MAX = 2_000
NAME_MAX = 120
ENTRIES_MAX = 60
# What a text request may spend on the bible, in characters (about 800 tokens): a small local model's context is
# 2–4k tokens, and the story, its neighbours and the answer need the rest.
TEXT_BUDGET = 3_200
# An image prompt's share: the style and the looks of those present. Image servers cut long prompts (CLIP: 77
# tokens), so the scene's own words come first and the looks after them.
IMAGE_BUDGET = 900


_ARTICLES = {"the", "a", "an"}
_TITLES = {"old", "young", "captain", "doctor", "dr", "mr", "mrs", "ms", "miss", "sir", "lady", "lord", "king", "queen"}


class BibleError(ValueError):
    """A bible file or field that cannot be used; the message is one line naming the problem."""


def _text(max_length: int) -> Any:
    return Field(default="", max_length=max_length)


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=NAME_MAX)
    description: str = _text(ENTRY_TEXT_MAX)
    look: str = _text(ENTRY_TEXT_MAX)

    def names(self) -> set[str]:
        """What the text may call it: its whole name, and without a leading article ("The Drowned Market")."""
        words = self.name.split()
        if len(words) > 1 and words[0].lower() in _ARTICLES:
            return {self.name, " ".join(words[1:])}
        return {self.name}

    def named_in(self, text: str) -> bool:
        """Whether the text names this entry."""
        return any(
            re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) for name in self.names() if len(name) > 2
        )


class Character(_Entry):
    role: str = _text(NAME_MAX)
    # The portrait the writer chose (a file on this computer), painted from the look with `portrait_seed`; sent as
    # a reference picture to painters that take one.
    portrait: str = ""
    portrait_seed: int | None = None

    def names(self) -> set[str]:
        # A person is called by their given name too ("Maren" for "Maren Holt"); a title is not a name ("Captain").
        words = [word for word in self.name.split() if word.lower() not in _ARTICLES | _TITLES]
        return super().names() | ({words[0]} if words else set())

    def line(self) -> str:
        who = f"{self.name} ({self.role})" if self.role else self.name
        parts = [part for part in (self.description, f"Looks: {self.look}" if self.look else "") if part]
        return f"{who}: {' '.join(parts)}" if parts else who


class Place(_Entry):
    def line(self) -> str:
        parts = [part for part in (self.description, f"Looks: {self.look}" if self.look else "") if part]
        return f"{self.name}: {' '.join(parts)}" if parts else self.name


class Bible(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", str_strip_whitespace=True)

    style: str = _text(ENTRY_TEXT_MAX)
    notes: str = _text(ENTRY_TEXT_MAX * 4)
    characters: list[Character] = Field(default_factory=list, max_length=ENTRIES_MAX)
    places: list[Place] = Field(default_factory=list, max_length=ENTRIES_MAX)

    @field_validator("characters", "places", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def empty(self) -> bool:
        return not (self.style or self.notes or self.characters or self.places)

    def as_json(self) -> dict[str, Any]:
        """The contract's shape, unknown keys included; a character's portrait only once one is painted."""
        data = self.model_dump(mode="json")
        for character in data["characters"]:
            for key, unset in (("portrait", ""), ("portrait_seed", None)):
                if character.get(key, unset) == unset:
                    character.pop(key, None)
        return data

    # What requests are told ---------------------------------------------------------------------------------------

    def for_text(self, about: str, budget: int = TEXT_BUDGET) -> str:
        """The bible as lines for a text request, at most `budget` characters: the style and notes, then the entries
        named in `about` (the scenes to write and their neighbours), then the others as long as there is room. An
        entry that does not fit whole is left out, never cut in half."""
        head = [
            line
            for line in (f"Style: {self.style}" if self.style else "", f"Notes: {self.notes}" if self.notes else "")
            if line
        ]
        entries: list[Character | Place] = [*self.characters, *self.places]
        named = [entry for entry in entries if entry.named_in(about)]
        ordered = named + [entry for entry in entries if entry not in named]
        lines, used = [], 0
        for line in [*head, *(entry.line() for entry in ordered)]:
            if used + len(line) + 1 > budget:
                continue
            lines.append(line)
            used += len(line) + 1
        return "\n".join(lines)

    def looks_in(self, text: str) -> list[str]:
        """ "Name: look" for each character and place the text names that has a look, characters first."""
        return [
            f"{entry.name}: {entry.look}"
            for entry in [*self.characters, *self.places]
            if entry.look and entry.named_in(text)
        ]


def bible_from(data: Any, *, source: str = "the bible") -> Bible:
    """A Bible from parsed TOML or JSON; BibleError naming the first problem in one line."""
    if not isinstance(data, dict):
        raise BibleError(
            f"{source}: expected a table of style, notes, characters and places, not {type(data).__name__}."
        )
    try:
        return Bible.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the bible"
        raise BibleError(f"{source}: {where}: {first['msg']}.") from None


def load_bible_file(path: Path) -> Bible:
    """A bible file, TOML or JSON (by its suffix; anything else is tried as TOML, then JSON)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BibleError(f"{path}: cannot be read: {exc.strerror or type(exc).__name__}.") from None
    except UnicodeDecodeError:
        raise BibleError(f"{path}: is not UTF-8 text.") from None
    readers = [_json, _toml] if path.suffix.lower() == ".json" else [_toml, _json]
    if path.suffix.lower() in (".json", ".toml"):
        readers = readers[:1]
    problems = []
    for read in readers:
        try:
            return bible_from(read(raw), source=str(path))
        except _Unreadable as exc:
            problems.append(str(exc))
    raise BibleError(f"{path}: {problems[0]}")


class _Unreadable(Exception):
    pass


def _json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _Unreadable(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None


def _toml(raw: str) -> Any:
    try:
        return tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise _Unreadable(f"not valid TOML: {exc}.") from None


def characters_from_text(characters: str) -> list[Character]:
    """The old free-text field ("Maren, the keeper; Ole, her brother") as entries: one per part."""
    parts = re.split(r"[;\n]+", characters) if re.search(r"[;\n]", characters) else [characters]
    found = []
    for part in (p.strip(" .") for p in parts):
        if not part:
            continue
        name, _, rest = part.partition(",")
        found.append(Character(name=name.strip()[:NAME_MAX] or "Someone", description=rest.strip()))
    return found


def names(entries: Iterable[Character | Place]) -> list[str]:
    return [entry.name for entry in entries]
