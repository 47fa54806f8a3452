"""The provider interfaces: a text provider streams scenes, an image provider paints one prompt."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from desktop.bible import Bible
from desktop.models import SCENES_MAX, TITLE_MAX

DEFAULT_IMAGE_WIDTH = 768
DEFAULT_IMAGE_HEIGHT = 512
OFFLINE_LABEL = "Offline generator"

Notify = Callable[[str], None]
"""Receives a line in plain words while a provider waits or retries ("The AI service is busy; trying again…")."""


def _no_notice(_: str) -> None:
    return None


class SceneDraft(BaseModel):
    """One scene as a text provider wrote it, before it is stored."""

    model_config = ConfigDict(frozen=True)

    title: str = Field(default="", max_length=TITLE_MAX)
    text: str = Field(min_length=1)
    image_prompt: str = ""

    @field_validator("title", mode="before")
    @classmethod
    def _short_title(cls, value: object) -> object:
        if isinstance(value, str):
            value = " ".join(value.split())
            if len(value) > TITLE_MAX:
                return value[: TITLE_MAX - 1].rstrip() + "…"
        return value


class TextRequest(BaseModel):
    """Scenes `start` … `stop - 1` of a story of `scene_count` scenes; the others are context."""

    model_config = ConfigDict(frozen=True)

    title: str
    prompt: str
    scene_count: int = Field(ge=1, le=SCENES_MAX)
    style: str = ""
    characters: str = ""
    # The story's bible (issue 18): the text provider is told it within a budget (prompts.bible_lines); the offline
    # writer takes its names, places and setting from it.
    bible: Bible = Field(default_factory=Bible)
    seed: int = 0
    start: int = Field(default=0, ge=0)
    stop: int | None = None
    variant: int = 0
    earlier: tuple[SceneDraft, ...] = ()
    later: tuple[SceneDraft, ...] = ()
    replacing: SceneDraft | None = None

    @property
    def end(self) -> int:
        return min(self.scene_count, self.stop if self.stop is not None else self.scene_count)

    @property
    def wanted(self) -> int:
        return max(0, self.end - self.start)


@dataclass(frozen=True)
class SceneStreaming:
    """The text of scene `index` so far, while it is being written."""

    index: int
    text_so_far: str


@dataclass(frozen=True)
class SceneWritten:
    """Scene `index` is complete. Providers emit these in index order, each index once."""

    index: int
    scene: SceneDraft


TextEvent = SceneStreaming | SceneWritten


@dataclass(frozen=True)
class Reference:
    """A character's chosen portrait (issue 18), sent with a scene they are in to painters that take a reference
    picture, so the character looks the same from scene to scene."""

    name: str
    image: bytes  # PNG, JPEG or WebP bytes, as checked when the portrait was painted


@dataclass(frozen=True)
class ImageAbilities:
    """What a painter can do to keep a story's pictures alike, for the Bible panel and the painter's requests."""

    seed: bool  # the same seed and prompt paint the same picture again
    reference: str = ""  # how a portrait is sent as a reference ("IP-Adapter (ControlNet)"); "" when it cannot be
    note: str = ""  # one line for the writer, in plain words: what this painter keeps alike and what it cannot


class ImageRequest(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    prompt: str = Field(min_length=1)
    title: str = ""
    width: int = Field(default=DEFAULT_IMAGE_WIDTH, ge=16, le=4096)
    height: int = Field(default=DEFAULT_IMAGE_HEIGHT, ge=16, le=4096)
    seed: int = 0
    # From the story's bible, for painters that draw rather than read a prompt (the offline one): the visual style,
    # and the places the scene names, each "Name: description. look".
    style: str = ""
    places: tuple[str, ...] = ()
    # Portraits of the characters the scene names, for painters whose abilities() have a `reference`.
    references: tuple[Reference, ...] = ()


@runtime_checkable
class TextProvider(Protocol):
    label: str

    def stream_scenes(self, request: TextRequest) -> AsyncGenerator[TextEvent, None]: ...

    async def draft_bible(self, title: str, prompt: str, style: str, characters: str) -> Bible:
        """A first bible for a new story from its prompt (one request); ProviderError when it cannot be had."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class ImageProvider(Protocol):
    label: str
    model: str  # the model that painted the last image ("dall-e-3", the server's checkpoint), for its record

    async def paint(self, request: ImageRequest) -> bytes: ...

    async def abilities(self) -> ImageAbilities:
        """Asked of the server where it can tell (detected, never assumed); cached by the provider."""
        ...

    async def aclose(self) -> None: ...


ImageProgress = Callable[[float], None]
"""How far the picture being painted is, 0.0 … 1.0; called on the loop, any number of times."""


@runtime_checkable
class ReportsProgress(Protocol):
    """An image provider that can tell how far a picture is (ComfyUI's websocket). The scene painter calls this
    instead of `paint` when the provider has it, with a callback of its own for each picture: a per-call argument,
    not an attribute, because one provider paints several scenes at once. Providers that cannot tell simply do not
    have it, so `ImageProvider` and every painter written against it stay as they are."""

    async def paint_with_progress(self, request: ImageRequest, progress: ImageProgress) -> bytes: ...


@dataclass
class Providers:
    """The pair that writes and paints one run; `aclose` releases their connections."""

    text: TextProvider
    image: ImageProvider

    async def aclose(self) -> None:
        try:
            await self.text.aclose()
        finally:
            if self.image is not self.text:
                await self.image.aclose()


ProviderFactory = Callable[[Notify], Providers]


def no_notice() -> Notify:
    return _no_notice
