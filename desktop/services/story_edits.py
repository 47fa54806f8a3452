"""Story-level edits the writer asks for from the library: the title checked the way a new story's title is."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError

from desktop.models import TITLE_MAX, Title
from desktop.services.story_errors import StoryError

_TITLE: TypeAdapter[str] = TypeAdapter(Title)


def checked_title(title: str) -> str:
    """The title as it will be stored (trimmed), or StoryError in words the writer can act on."""
    if not title.strip():
        raise StoryError("Give the story a title.")
    try:
        return _TITLE.validate_python(title)
    except ValidationError:
        raise StoryError(f"A title has at most {TITLE_MAX} characters.") from None
