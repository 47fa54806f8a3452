"""Story-level edits through StoryService: renaming a story, checked like a new story's title."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from desktop.db.repositories import StoryRepository
from desktop.models import TITLE_MAX, StoryRequest
from desktop.services.story_errors import StoryError
from tests.support.generation_fixtures import MakeService, SignalLog

Run = Callable[..., Any]
REQUEST = StoryRequest(title="The Key in the Fish", prompt="Mira finds a brass key in a fish.", scene_count=2)


def test_a_renamed_story_is_stored_trimmed_and_announced(
    run: Run, make_story_service: MakeService, stories: StoryRepository
) -> None:
    service = make_story_service()
    story = run(service.generate(REQUEST))
    log = SignalLog(service)
    renamed = run(service.rename(story.id, "  The Brass Key  "))
    assert renamed.title == "The Brass Key"
    stored = run(stories.get(story.id))
    assert stored is not None and stored.title == "The Brass Key" and stored.prompt == REQUEST.prompt
    assert [args[0].title for args in log.of("story_changed")] == ["The Brass Key"]


@pytest.mark.parametrize(
    ("title", "reason"),
    [("", "Give the story a title."), ("   ", "Give the story a title."), ("x" * (TITLE_MAX + 1), "at most")],
)
def test_a_title_a_new_story_could_not_have_is_refused(
    run: Run, make_story_service: MakeService, stories: StoryRepository, title: str, reason: str
) -> None:
    service = make_story_service()
    story = run(service.generate(REQUEST))
    with pytest.raises(StoryError, match=reason):
        run(service.rename(story.id, title))
    stored = run(stories.get(story.id))
    assert stored is not None and stored.title == REQUEST.title


def test_renaming_a_story_that_is_gone_says_so(run: Run, make_story_service: MakeService) -> None:
    with pytest.raises(StoryError, match="no longer exists"):
        run(make_story_service().rename(uuid.uuid4(), "Anything"))
