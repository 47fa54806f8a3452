"""Reading scenes out of whatever a language model answered: JSON (fenced, wrapped in prose, with trailing commas,
cut off mid-way) or, failing that, a numbered list or "Scene N" headings."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from desktop.generation.base import SceneDraft
from desktop.generation.errors import SceneParseError

NO_SCENES = "The AI service's answer held no scenes Storyforge could read — try again, or choose another model."

_TITLE_KEYS = ("title", "name", "heading", "scenetitle", "header")
_TEXT_KEYS = ("text", "body", "content", "story", "prose", "narrative", "scenetext", "passage", "description")
_IMAGE_KEYS = (
    "imageprompt",
    "image",
    "illustration",
    "illustrationprompt",
    "imagedescription",
    "visual",
    "visualprompt",
    "picture",
    "prompt",
)
_LIST_KEYS = ("scenes", "chapters", "parts", "sections", "story", "items", "data", "result")
_MAX_JSON_STARTS = 64

THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.S | re.I)
_FENCE = re.compile(r"```[ \t]*[\w+-]*[ \t]*\r?\n?(.*?)(?:```|\Z)", re.S)
_DECODER = json.JSONDecoder(strict=False)


def parse_scenes(raw: str) -> list[SceneDraft]:
    """Every scene found in `raw`, in order; SceneParseError when there is none."""
    text = THINKING.sub("", raw.replace("\ufeff", "")).strip()
    for candidate in [*_FENCE.findall(text), text]:
        scenes = scenes_from_json_text(candidate)
        if scenes:
            return scenes
    scenes = scenes_from_list(text)
    if scenes:
        return scenes
    raise SceneParseError(NO_SCENES)


def scenes_from_json_text(text: str) -> list[SceneDraft]:
    for value in json_values(text):
        scenes = [scene for scene in map(draft_from_mapping, _scene_mappings(value) or []) if scene is not None]
        if scenes:
            return scenes
    return []


def json_values(text: str) -> Iterator[Any]:
    """Each JSON value that can be read from an opening bracket or brace in `text`, in order."""
    starts = [match.start() for match in re.finditer(r"[\[{]", text)][:_MAX_JSON_STARTS]
    for start in starts:
        value = decode_lenient(text[start:])
        if value is not None:
            yield value


def decode_lenient(text: str) -> Any:
    """The first JSON value at the start of `text`, tolerating trailing commas, comments, raw newlines in strings
    and a missing end (the last complete element is kept); None when nothing can be read."""
    try:
        return _DECODER.raw_decode(text)[0]
    except json.JSONDecodeError:
        pass
    repaired = repair_json(text)
    if repaired is None:
        return None
    try:
        return _DECODER.raw_decode(repaired)[0]
    except json.JSONDecodeError:
        return None


def repair_json(text: str) -> str | None:
    """Rewrite the JSON value at the start of `text`: drop trailing commas and comments, close what was left open."""
    out: list[str] = []
    stack: list[str] = []
    last_complete: tuple[int, tuple[str, ...]] | None = None
    in_string = False
    escaped = False
    i = 0
    length = len(text)
    while i < length:
        char = text[i]
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            i += 1
            continue
        if char == '"':
            in_string = True
            out.append(char)
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
            out.append(char)
        elif char in "}]":
            if not stack or stack[-1] != char:
                return None
            _drop_trailing_comma(out)
            stack.pop()
            out.append(char)
            if not stack:
                return "".join(out)
            last_complete = (len(out), tuple(stack))
        elif char == "/" and text.startswith("//", i):
            newline = text.find("\n", i)
            i = length if newline < 0 else newline
            continue
        elif char == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = length if end < 0 else end + 2
            continue
        else:
            out.append(char)
        i += 1
    if not stack:
        return "".join(out) if out else None
    # Cut off mid-way: keep everything up to the last element that closed, then close what is still open.
    if last_complete is None:
        return None
    cut, open_stack = last_complete
    kept = out[:cut]
    _drop_trailing_comma(kept)
    return "".join(kept) + "".join(reversed(open_stack))


def _drop_trailing_comma(out: list[str]) -> None:
    position = len(out) - 1
    while position >= 0 and out[position].isspace():
        position -= 1
    if position >= 0 and out[position] == ",":
        del out[position]


def normal_key(key: str) -> str:
    return re.sub(r"[^a-z]", "", key.lower())


def _find(mapping: dict[str, Any], keys: tuple[str, ...]) -> str:
    normal = {normal_key(str(key)): value for key, value in mapping.items()}
    for key in keys:
        value = normal.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, list) and value and all(isinstance(part, str) for part in value):
            return "\n\n".join(part.strip() for part in value if part.strip())
    return ""


def _is_scene(value: Any) -> bool:
    return isinstance(value, dict) and bool(_find(value, _TEXT_KEYS))


def _scene_mappings(value: Any, depth: int = 0) -> list[dict[str, Any]] | None:
    if depth > 6:
        return None
    if isinstance(value, list):
        found = [item for item in value if _is_scene(item)]
        if found:
            return found
        for item in value:
            nested = _scene_mappings(item, depth + 1)
            if nested:
                return nested
        return None
    if not isinstance(value, dict):
        return None
    normal = {normal_key(str(key)): item for key, item in value.items()}
    for key in _LIST_KEYS:
        if isinstance(normal.get(key), list | dict):
            nested = _scene_mappings(normal[key], depth + 1)
            if nested:
                return nested
    if _is_scene(value):
        return [value]
    for item in value.values():
        nested = _scene_mappings(item, depth + 1)
        if nested:
            return nested
    return None


def draft_from_mapping(mapping: dict[str, Any]) -> SceneDraft | None:
    text = _find(mapping, _TEXT_KEYS)
    if not text:
        return None
    title = strip_marks(_find(mapping, _TITLE_KEYS))
    image_prompt = _find(mapping, _IMAGE_KEYS)
    try:
        return SceneDraft(title=title, text=text, image_prompt=image_prompt)
    except ValidationError:
        return None


def strip_marks(value: str) -> str:
    """A title or a label's value without the quotes and markdown marks a model wraps around it."""
    return value.strip().strip("*_#\"'“”").strip()


# A heading: "1.", "2)", "Scene 3:", "## Scene 4 — The Gate", "**5. The Gate**", "Chapter 6 - …".
_HEADING = re.compile(
    r"""^\s*(?:\#{1,6}\s*)?(?:\*\*|__)?\s*
        (?:(?:scene|chapter|part)\s+(?P<word>\d{1,2})|(?P<number>\d{1,2})[.)])
        \s*(?:[:.)\-–—]\s*)?(?P<rest>.*?)\s*$""",
    re.I | re.X,
)
_LABEL = re.compile(
    r"^\s*(?:[-*]\s*)?(?:\*\*|__)?(?P<label>title|text|image(?:\s+prompt)?|illustration|prompt)(?:\*\*|__)?"
    r"\s*[:：]\s*(?:\*\*|__)?\s*(?P<value>.*)$",
    re.I,
)
_LONG_LINE = 90


def scenes_from_list(text: str) -> list[SceneDraft]:
    """Scenes written as a numbered list or under "Scene N" headings, numbered from 1 (or any start) in steps of 1."""
    sections: list[tuple[str, list[str]]] = []
    expected: int | None = None
    for line in text.splitlines():
        match = _HEADING.match(line)
        number = int(match.group("word") or match.group("number")) if match else None
        if match and number is not None and (expected is None or number == expected):
            sections.append((match.group("rest"), []))
            expected = number + 1
        elif sections:
            sections[-1][1].append(line)
    scenes = [scene for scene in (_section_scene(head, body) for head, body in sections) if scene is not None]
    return scenes


def _section_scene(head: str, body: list[str]) -> SceneDraft | None:
    head = head.strip().strip("*_").strip()
    title, text_lines, image_prompt = "", [], ""
    for line in body:
        label = _LABEL.match(line)
        if label:
            name = label.group("label").lower()
            value = label.group("value").strip().strip("*_").strip()
            if name == "title":
                title = value
            elif name == "text":
                text_lines.append(value)
            else:
                image_prompt = value
            continue
        text_lines.append(line.rstrip())
    text = "\n".join(text_lines).strip()
    inline = re.match(r"^(?:\*\*|__)(?P<title>[^*_]+)(?:\*\*|__)\s*[:.\-–—]?\s*(?P<text>.*)$", head)
    if inline and not title:
        title, rest = inline.group("title"), inline.group("text")
        text = f"{rest}\n{text}".strip() if rest else text
    elif not text and len(head) > _LONG_LINE:
        text = head  # a one-line list item is the scene itself
    elif not title:
        title = head
    if not text:
        return None
    return SceneDraft(title=strip_marks(title), text=text, image_prompt=image_prompt)
