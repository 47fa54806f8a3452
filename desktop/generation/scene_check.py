"""What is not a scene, though a model wrote it as one: a placeholder, an echo of the prompt or the title, a copy of
a scene already written, or a line where paragraphs were asked. Small local models write all of these (issue 14)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop.generation.base import SceneDraft, TextRequest
from desktop.generation.errors import SceneParseError

# Two to four paragraphs are asked for; a real scene, even a terse one, is longer than this.
MIN_WORDS = 25

_PLACEHOLDERS = {
    "",
    "text",
    "scene text",
    "the text",
    "story text",
    "scene",
    "todo",
    "tbd",
    "tba",
    "placeholder",
    "insert text here",
    "your text here",
    "text here",
    "string",
    "none",
    "null",
    "n a",
    "etc",
}
_LOREM = re.compile(r"^\W*lorem ipsum", re.I)
_QUOTE_MAX = 40


@dataclass(frozen=True)
class Rejection:
    """Why a scene was not taken. `kind` groups repeats of one fault into one plain sentence."""

    kind: str  # "placeholder" | "echo" | "copy" | "short" | "runaway" | "unreadable"
    said: str  # in plain words, after "the AI service wrote …"

    @property
    def holds_the_slot(self) -> bool:
        """A placeholder or a stub was the model's try at this scene; a copy of an earlier scene was not (a model
        that renumbers its answer from 1 retells what was written before it reaches the scene asked)."""
        return self.kind != "copy"


def normal(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE_MAX else text[: _QUOTE_MAX - 1].rstrip() + "…"


def rejection(scene: SceneDraft, request: TextRequest, written: list[SceneDraft]) -> Rejection | None:
    """None when `scene` may be kept as the next scene of `request`, after `written` (this request's scenes so far)."""
    text = normal(scene.text)
    if text in _PLACEHOLDERS or _LOREM.match(scene.text) or not text:
        return Rejection("placeholder", f"only a placeholder ('{_quote(scene.text)}')")
    if text in {normal(request.prompt), normal(request.title)} or (scene.title and text == normal(scene.title)):
        return Rejection("echo", f"back the story's own words ('{_quote(scene.text)}')")
    first = request.start - len(request.earlier) + 1
    others = [(first + offset, other) for offset, other in enumerate(request.earlier)]
    others += [(request.start + 1 + offset, other) for offset, other in enumerate(written)]
    others += [(request.end + 1 + offset, other) for offset, other in enumerate(request.later)]
    title = normal(scene.title)
    for number, other in others:
        if normal(other.text) == text or (title and normal(other.title) == title and not _untitled(title)):
            return Rejection("copy", f"scene {number} again ('{_quote(other.title or other.text)}')")
    words = len(scene.text.split())
    if words < MIN_WORDS:
        return Rejection("short", f"only {words} word{'s' if words != 1 else ''} ('{_quote(scene.text)}')")
    return None


def _untitled(title: str) -> bool:
    # "Scene 3" or "Chapter 3" is a number, not a title: two scenes may share the words without being one scene.
    return re.fullmatch(r"(scene|chapter|part)? ?\d*", title) is not None


_TIMES = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times"}


def not_written(number: int, tries: list[Rejection]) -> str:
    """One plain line for the writer: which scene, what the service wrote instead and how often, what may help."""
    if all(rejected.kind == tries[0].kind for rejected in tries):
        what = f"{tries[-1].said} {_TIMES.get(len(tries), f'{len(tries)} times')}"
    else:
        what = ", then ".join(rejected.said for rejected in tries)
    return f"Scene {number} was not written: the AI service wrote {what} — a larger model may do better."


def without_placeholder_title(scene: SceneDraft) -> SceneDraft:
    """A good scene under a title like "…" or "Title" keeps its text; the story names it "Scene N" instead."""
    if normal(scene.title) in _PLACEHOLDERS | {"title", "scene title", "short title"}:
        return scene.model_copy(update={"title": ""})
    return scene


class SceneRejected(SceneParseError):
    """A scene came back unusable every time it was asked for; the message names it and says what came instead."""
