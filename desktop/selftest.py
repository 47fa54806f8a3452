"""`--self-test`: start everything, show the window, prove each layer once, quit the orderly way."""

from __future__ import annotations

import logging
import shutil
import sys
import time
import uuid
from typing import TYPE_CHECKING

from desktop.config import Settings
from desktop.models import Story, StoryRequest, StoryStatus, UploadStatus
from desktop.services.runtime import Runtime
from desktop.storage import classify
from desktop.ui.window.main_window import MainWindow

if TYPE_CHECKING:
    from desktop.db.repositories import StoryRepository
    from desktop.services.session import Session

log = logging.getLogger(__name__)


class SelfTestFailure(RuntimeError):
    pass


async def _database_round_trip(stories: StoryRepository) -> None:
    request = StoryRequest(title="Self-test", prompt="A lighthouse keeper finds a map.", scene_count=1)
    story = await stories.create(Story.create(request, user_id=uuid.uuid4()))
    try:
        found = await stories.get(story.id)
        if found is None or found.title != story.title:
            raise SelfTestFailure("the database did not return the story it was given")
    finally:
        await stories.delete(story.id)


async def _story_round_trip(session: Session, settings: Settings) -> None:
    """One scene written, painted and uploaded with the configured providers and storage, then removed again."""
    service, uploads, scenes, stories = session.stories, session.uploads, session.scene_rows, session.story_rows
    request = StoryRequest(
        title="Storyforge self-test",
        prompt="A lighthouse keeper finds a map of a harbour no ship has reached.",
        scene_count=1,
    )
    story = await service.generate(request)
    try:
        if story.status is not StoryStatus.complete:
            raise SelfTestFailure(f"the test story ended {story.status.value}: {story.error}")
        written = await scenes.for_story(story.id)
        if not written or not written[0].image_path:
            raise SelfTestFailure("the test scene was written but its image was not painted")
        await uploads.wait_settled(story.id)
        not_uploaded = [u for u in await uploads.uploads(story_id=story.id) if u.status is not UploadStatus.uploaded]
        if not_uploaded:
            raise SelfTestFailure(f"the test image was not uploaded: {not_uploaded[0].error_message}")
    finally:
        try:
            await uploads.remove_stored(await uploads.uploads(story_id=story.id))
        except Exception as exc:  # cleaning up must not hide what the test found
            log.warning("the self-test's image stays in the storage: %s", classify(exc).message)
        await stories.delete(story.id)
        shutil.rmtree(settings.images_dir / str(story.id), ignore_errors=True)
        shutil.rmtree(settings.storage_folder / str(story.user_id) / str(story.id), ignore_errors=True)


async def run_self_test(runtime: Runtime, window: MainWindow, *, started_at: float, window_ms: float) -> int:
    failure = ""
    try:
        if not window.isVisible():
            raise SelfTestFailure("the main window did not appear")
        if not await runtime.start_database():
            raise SelfTestFailure(runtime.database_error)
        database_ms = (time.monotonic() - started_at) * 1000
        session = await runtime.wait_ready()
        await _database_round_trip(session.story_rows)
        await _story_round_trip(session, runtime.settings)
    except SelfTestFailure as exc:
        failure = str(exc)
    finally:
        await runtime.shutdown()
    if failure:
        print(f"self-test failed: {failure}", file=sys.stderr)
        return 1
    print(f"self-test passed: window shown {window_ms:.0f} ms, database ready {database_ms:.0f} ms after start")
    return 0
