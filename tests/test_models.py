from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from desktop.models import Scene, Story, StoryRequest, StoryStatus, Upload, UploadStatus, utc_now


def request(**changes: object) -> StoryRequest:
    fields: dict[str, object] = {"title": "The Salt Road", "prompt": "A courier crosses a desert.", "scene_count": 3}
    fields.update(changes)
    return StoryRequest.model_validate(fields)


def test_request_trims_and_accepts_limits() -> None:
    assert request(title="  The Salt Road  ").title == "The Salt Road"
    assert request(title="t" * 200, prompt="p" * 8000, scene_count=50, style="s" * 2000).scene_count == 50


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "   ", "at least 1 character"),
        ("title", "t" * 201, "at most 200 characters"),
        ("prompt", "", "at least 1 character"),
        ("prompt", "p" * 8001, "at most 8000 characters"),
        ("scene_count", 0, "greater than or equal to 1"),
        ("scene_count", 51, "less than or equal to 50"),
        ("style", "s" * 2001, "at most 2000 characters"),
        ("characters", "c" * 2001, "at most 2000 characters"),
    ],
)
def test_request_rejects_out_of_range_input_with_a_clear_message(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        request(**{field: value})
    error = caught.value.errors()[0]
    assert error["loc"] == (field,)
    assert message in error["msg"]


def test_story_cannot_validate_without_timestamps() -> None:
    story = Story.create(request(), user_id=uuid.uuid4())
    data = story.model_dump()
    del data["updated_at"]
    with pytest.raises(ValidationError, match="updated_at"):
        Story.model_validate(data)


def test_timestamps_are_aware_utc_and_naive_ones_are_refused() -> None:
    story = Story.create(request(), user_id=uuid.uuid4())
    assert story.created_at.tzinfo is not None and story.created_at.utcoffset() == timedelta(0)
    data = story.model_dump()
    data["created_at"] = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(ValidationError, match="timezone"):
        Story.model_validate(data)
    data["created_at"] = datetime(2026, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert Story.model_validate(data).created_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_a_change_moves_updated_at_and_keeps_created_at() -> None:
    story = Story.create(request(), user_id=uuid.uuid4())
    later = story.changed(status=StoryStatus.complete)
    assert later.status is StoryStatus.complete
    assert later.created_at == story.created_at
    assert later.updated_at >= story.updated_at
    assert later.updated_at <= utc_now()


def test_scene_and_upload_carry_timestamps_and_refuse_dot_segments() -> None:
    scene = Scene.create(uuid.uuid4(), 0, "Arrival", "The gate opens.")
    assert scene.created_at == scene.updated_at
    upload = Upload.create(
        story_id=scene.story_id,
        scene_id=scene.id,
        scene_index=0,
        local_path="/tmp/a.png",
        object_path="user/story/scene-01-abc.png",
        content_type="image/png",
        backend="local",
    )
    assert upload.status is UploadStatus.queued and upload.status.is_pending
    with pytest.raises(ValidationError, match="invalid object path"):
        upload.changed(object_path="user/../scene.png")


def test_status_enums_say_what_the_writer_can_do() -> None:
    assert StoryStatus.interrupted.can_resume and not StoryStatus.complete.can_resume
    assert UploadStatus.failed.can_retry and not UploadStatus.uploaded.can_retry
