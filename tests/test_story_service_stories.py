"""Story-level edits through StoryService: renaming a story (checked like a new story's title) and duplicating one
with its own copies of the images, queued for upload."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.db.repositories import SceneRepository, StoryRepository
from desktop.models import TITLE_MAX, ImageStatus, Story, StoryRequest, StoryStatus
from desktop.services.story_errors import StoryBusy, StoryError
from tests.support.generation_fixtures import MakeService, RecordingUploads, SignalLog

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


def test_a_duplicate_has_the_scene_texts_and_its_own_image_files_queued_for_upload(
    run: Run,
    make_story_service: MakeService,
    stories: StoryRepository,
    scenes: SceneRepository,
    recording_uploads: RecordingUploads,
) -> None:
    service = make_story_service()
    story = run(service.generate(REQUEST.model_copy(update={"scene_count": 3})))
    log = SignalLog(service)
    copy = run(service.duplicate(story.id))
    assert copy.id != story.id and copy.title == "The Key in the Fish (copy)"
    assert copy.prompt == story.prompt and copy.status is StoryStatus.complete
    assert [args[0].id for args in log.of("story_changed")] == [copy.id]
    originals, copies = run(scenes.for_story(story.id)), run(scenes.for_story(copy.id))
    assert [(s.index, s.title, s.text) for s in copies] == [(s.index, s.title, s.text) for s in originals]
    assert all(scene.image_status is ImageStatus.painted for scene in copies)
    for original, scene in zip(originals, copies, strict=True):
        assert scene.id != original.id and scene.image_path != original.image_path
        assert Path(scene.image_path).parent.name == str(copy.id)
        assert Path(scene.image_path).read_bytes() == Path(original.image_path).read_bytes()
    assert recording_uploads.indexes(copy.id) == [0, 1, 2]
    queued = {scene.id: str(path) for owner, scene, path in recording_uploads.enqueued if owner.id == copy.id}
    assert queued == {scene.id: scene.image_path for scene in copies}
    assert run(stories.get(story.id)) == story  # the original is untouched


def test_a_missing_image_file_leaves_that_scene_without_an_image_to_paint_again(
    run: Run, make_story_service: MakeService, scenes: SceneRepository, recording_uploads: RecordingUploads
) -> None:
    service = make_story_service()
    story = run(service.generate(REQUEST))
    Path(run(scenes.for_story(story.id))[0].image_path).unlink()
    copy = run(service.duplicate(story.id))
    first, second = run(scenes.for_story(copy.id))
    assert first.image_status is ImageStatus.failed and "could not be copied" in first.image_error
    assert second.image_status is ImageStatus.painted
    assert recording_uploads.indexes(copy.id) == [1]


def test_a_story_being_written_cannot_be_duplicated(
    run: Run, make_story_service: MakeService, stories: StoryRepository
) -> None:
    service = make_story_service()
    writing = run(stories.create(Story.create(REQUEST, user_id=uuid.uuid4(), status=StoryStatus.generating)))
    with pytest.raises(StoryBusy):
        run(service.duplicate(writing.id))
    assert run(service.count()) == 1
