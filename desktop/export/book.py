"""What an export is made of: a `Book` (a story's title lines and its scenes as chapters), read from a story or built
by hand, with nothing of Qt or the database in it, so every writer is a plain function of it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from desktop.models import ImageStatus, Scene, Story

UNTITLED_STORY = "Untitled story"


@dataclass(frozen=True)
class Chapter:
    number: int  # 1-based, as the writer sees scenes
    title: str
    text: str  # plain text, paragraphs separated by blank lines
    image: Path | None  # the local image file, if the scene has one (it may still be missing or unreadable)
    image_note: str = ""  # why the scene's image failed, when it did (its earlier image, if any, is still used)

    @property
    def heading(self) -> str:
        return self.title.strip() or f"Scene {self.number}"


@dataclass(frozen=True)
class Book:
    title: str
    subtitle: str = ""  # the story's prompt
    byline: str = ""  # "Written by …"
    chapters: tuple[Chapter, ...] = ()
    language: str = "en"
    # The same story exported again keeps its identifier, so a reader replaces the book rather than adding a copy.
    identifier: uuid.UUID = field(default_factory=uuid.uuid4)
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def display_title(self) -> str:
        return self.title.strip() or UNTITLED_STORY


def book_from_story(story: Story, scenes: Sequence[Scene], byline: str = "") -> Book:
    """The story as it stands: its scenes in order, each with its local image (or why it has none)."""
    chapters = tuple(
        Chapter(
            number=scene.number,
            title=scene.title,
            text=scene.text,
            image=Path(scene.image_path) if scene.image_path else None,
            image_note=scene.image_error if scene.image_status is ImageStatus.failed else "",
        )
        for scene in sorted(scenes, key=lambda scene: scene.index)
    )
    return Book(
        title=story.title,
        subtitle=story.prompt,
        byline=byline,
        chapters=chapters,
        identifier=story.id,
        modified=story.updated_at,
    )
