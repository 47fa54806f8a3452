"""Asking a language model for a new story's bible in one request: the schema and messages it is sent, and reading
the bible back out of whatever it answered (issue 18)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from desktop.bible import ENTRIES_MAX, ENTRY_TEXT_MAX, NAME_MAX, Bible
from desktop.generation.errors import BadResponse
from desktop.generation.parsing import THINKING, json_values, normal_key

# A few people and places are what a short illustrated story needs; more would only crowd the budget the bible has in
# every later request (bible.TEXT_BUDGET).
CHARACTERS_MAX = 8
PLACES_MAX = 8

NOT_A_BIBLE = "The AI service's answer held no story bible Storyforge could read."


def _strings(*names: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {"type": "string"} for name in names},
        "required": list(names),
        "additionalProperties": False,
    }


BIBLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "style": {"type": "string"},
        "notes": {"type": "string"},
        "characters": {
            "type": "array",
            "maxItems": CHARACTERS_MAX,
            "items": _strings("name", "role", "description", "look"),
        },
        "places": {"type": "array", "maxItems": PLACES_MAX, "items": _strings("name", "description", "look")},
    },
    "required": ["style", "notes", "characters", "places"],
    "additionalProperties": False,
}

# No example values in the shape: a small model copies a placeholder such as "…" into its answer as it is.
SYSTEM_PROMPT = (
    "You prepare the story bible for an illustrated story: the reference a writer and an illustrator keep to, so "
    "the story's people and places stay the same from scene to scene. "
    "The style names the pictures' medium, colour palette and mood in one line. "
    "The notes hold, in one or two sentences, what must stay true throughout the story. "
    "List the main characters (two to five) and the main places (one to four). "
    "Each character has a name, a role in a few words, a one-sentence description of who they are, and a look: one "
    "sentence on their face, hair, build and clothes, concrete enough to paint the same person every time. "
    "Each place has a name, a one-sentence description, and a look: one sentence on what it looks like. "
    "Answer with JSON only, no other text: one object with the keys "
    '"style", "notes", "characters" (a list of objects with the keys "name", "role", "description", "look") and '
    '"places" (a list of objects with the keys "name", "description", "look"). Every value is a string.'
)

# How long a bible answer may be, in tokens: eight people and eight places in one sentence each fit; a model that
# runs past it is cut off, and the entries that closed before the cut are kept.
MAX_TOKENS = 900


def response_format() -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "story_bible", "strict": True, "schema": BIBLE_SCHEMA}}


def bible_messages(title: str, prompt: str, style: str = "", characters: str = "") -> list[dict[str, str]]:
    lines = [f"Story title: {title}", f"What the story is about: {prompt}"]
    # What the writer typed themselves is theirs: the bible builds on it rather than replacing it.
    if style.strip():
        lines.append(f"The writer's style (keep it, and add the palette and mood if it lacks them): {style.strip()}")
    if characters.strip():
        lines.append(f"The writer's characters (keep them with these names and roles): {characters.strip()}")
    lines.append("Write the story bible for this story.")
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n".join(lines)}]


# Parsing --------------------------------------------------------------------------------------------------------------

_KEYS = {
    "style": ("style", "visualstyle", "artstyle"),
    "notes": ("notes", "note", "rules", "canon"),
    "characters": ("characters", "cast", "people"),
    "places": ("places", "locations", "settings", "setting"),
    "name": ("name",),
    "role": ("role",),
    "description": ("description", "about", "summary"),
    "look": ("look", "looks", "appearance", "visual", "lookdescription"),
}


def parse_bible(text: str) -> Bible:
    """The bible in a model's answer, whatever prose or code fence is around its JSON; BadResponse when there is
    none. Entries without a name are dropped and anything past the Bible's limits is cut, never refused."""
    for value in json_values(THINKING.sub("", text.replace("\ufeff", ""))):
        try:
            bible = _bible_from(value) if isinstance(value, dict) else None
        except ValidationError:
            continue  # (each field is cut to its limit first, so only something unforeseen lands here)
        if bible is not None and not bible.empty:
            return bible
    raise BadResponse(NOT_A_BIBLE)


def _bible_from(data: dict[str, Any], depth: int = 0) -> Bible | None:
    if not any(_get(data, key) is not None for key in ("style", "notes", "characters", "places")):
        # {"story_bible": {...}}: a model that wrapped the answer once more
        inner = [value for value in data.values() if isinstance(value, dict)]
        return _bible_from(inner[0], depth + 1) if len(inner) == 1 and depth < 2 else None
    characters = [
        {
            "name": name,
            "role": _text(_get(entry, "role"), NAME_MAX),
            "description": _text(_get(entry, "description"), ENTRY_TEXT_MAX),
            "look": _text(_get(entry, "look"), ENTRY_TEXT_MAX),
        }
        for entry, name in _named(_get(data, "characters"))
    ]
    places = [
        {
            "name": name,
            "description": _text(_get(entry, "description"), ENTRY_TEXT_MAX),
            "look": _text(_get(entry, "look"), ENTRY_TEXT_MAX),
        }
        for entry, name in _named(_get(data, "places"))
    ]
    return Bible.model_validate(
        {
            "style": _text(_get(data, "style"), ENTRY_TEXT_MAX),
            "notes": _text(_get(data, "notes"), ENTRY_TEXT_MAX * 4),
            "characters": characters[:ENTRIES_MAX],
            "places": places[:ENTRIES_MAX],
        }
    )


def _get(mapping: dict[str, Any], key: str) -> Any:
    normal = {normal_key(str(name)): value for name, value in mapping.items()}
    return next((normal[alias] for alias in _KEYS[key] if alias in normal), None)


def _named(entries: Any) -> list[tuple[dict[str, Any], str]]:
    """Each entry with its name, those without one left out; a bare string is an entry that is only a name."""
    if isinstance(entries, dict):
        entries = list(entries.values())
    if not isinstance(entries, list):
        return []
    named = []
    for entry in entries:
        mapping = entry if isinstance(entry, dict) else {"name": entry}
        name = _text(_get(mapping, "name"), NAME_MAX)
        if name:
            named.append((mapping, name))
    return named


def _text(value: Any, limit: int) -> str:
    """A value as one string within `limit`: a list of strings is joined, anything else but a string is nothing."""
    if isinstance(value, list):
        value = ", ".join(part.strip() for part in value if isinstance(part, str) and part.strip())
    if not isinstance(value, str):
        return ""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
