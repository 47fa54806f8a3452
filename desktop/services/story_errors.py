"""What StoryService refuses, in words the writer can act on.

A module of its own so the window can catch these without importing the service (and its providers) at start.
"""

from __future__ import annotations

from desktop.models import Scene


class StoryError(RuntimeError):
    """A request the service cannot take, in words the writer can act on."""


class StoryBusy(StoryError):
    pass


class EditConflict(StoryError):
    """The scene's text changed elsewhere (another device saved or regenerated it) since the version these words were
    based on (`based_on`, a revision); nothing was stored. `current` is the scene as it now is; `title` and `text` are
    the words not saved."""

    def __init__(self, current: Scene, title: str, text: str, based_on: int) -> None:
        super().__init__(
            f"Scene {current.number} was changed on another device — choose which text to keep, or keep both."
        )
        self.current = current
        self.title = title
        self.text = text
        self.based_on = based_on
