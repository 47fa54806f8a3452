"""What is not a scene, though a model wrote it as one: a placeholder, an echo of the prompt or the title, a copy of
a scene already written, a line where paragraphs were asked, text that runs on without end. Small local models
write all of these (issue 14). `Judge` takes an answer's scenes by what they say, not where they stand."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from desktop.generation.base import SceneDraft, SceneWritten, TextRequest
from desktop.generation.errors import SceneParseError
from desktop.generation.prompts import TOKENS_PER_SCENE

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
MAX_REJECTED_PER_ANSWER = 4


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


@dataclass
class Answer:
    """What one answer brought that could not be kept, by the scene it stood for."""

    rejected: dict[int, Rejection] = field(default_factory=dict)


# A scene's whole allowance in characters and half again: an answer that goes this far without closing a scene has
# lost its way (SmolLM2-135M wrote one image_prompt of "N.G.G.N.…" until max_tokens: 70 s for nothing).
RUNAWAY_CHARS = TOKENS_PER_SCENE * 6
RAN_ON = Rejection("runaway", "text that ran on without end")
# Asked again like any unusable scene: a small model without a grammar breaks its JSON one time and not the next.
UNREADABLE = Rejection("unreadable", "an answer that held no scenes Storyforge could read")


class Runaway:
    """Watches an answer for text that has lost its way: too long since a scene last closed."""

    def __init__(self) -> None:
        self._since_scene = 0
        self._thinking = False

    def ran_on(self, content: str, scene_closed: bool) -> bool:
        """True once the answer has gone RUNAWAY_CHARS past its last scene; a reasoning model's <think> block is
        its own business and not counted."""
        if "<think>" in content:
            self._thinking = True
        if "</think>" in content:
            self._thinking = False
            self._since_scene = 0
            return False
        self._since_scene = 0 if scene_closed or self._thinking else self._since_scene + len(content)
        return self._since_scene > RUNAWAY_CHARS


class Judge:
    """Takes an answer's scenes one by one: the next scene of the request, skipped, or the end of the answer."""

    def __init__(self, request: TextRequest, answer: Answer) -> None:
        self._request = request
        self._answer = answer
        self._written: list[SceneDraft] = []
        self._rejections = 0
        self.next_index = request.start
        self.stop = False

    def take(self, scene: SceneDraft) -> SceneWritten | None:
        if self.stop:
            return None
        rejected = rejection(scene, self._request, self._written)
        if rejected is None:
            event = SceneWritten(self.next_index, without_placeholder_title(scene))
            self._written.append(scene)
            self.next_index += 1
            self.stop = self.next_index >= self._request.end
            return event
        self._answer.rejected[self.next_index] = rejected
        self._rejections += 1
        # A placeholder stood for this scene: the rest of the answer is asked again, from here. A model that
        # only repeats itself is cut off too, before max_tokens does it.
        self.stop = rejected.holds_the_slot or self._rejections > MAX_REJECTED_PER_ANSWER
        return None

    def give_up(self, rejected: Rejection) -> None:
        self._answer.rejected[self.next_index] = rejected
        self.stop = True
