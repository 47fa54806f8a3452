"""Fixtures for the generation tests: the loopback AI servers, a recording upload queue, a StoryService on the
session's loop and a test database, and a recorder for the service's signals."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from desktop.config import Settings
from desktop.db.repositories import SceneRepository, StoryRepository, UndoLogRepository
from desktop.generation.base import Notify, Providers
from desktop.generation.factory import build_providers
from desktop.models import Scene, Story, Upload
from desktop.qt.executor import QThreadPoolExecutor
from desktop.retry import RetryPolicy
from desktop.services.story_service import StoryService
from tests.support.a1111_server import FakeA1111Server
from tests.support.openai_server import FakeOpenAIServer

# Retries as in the app, with pauses short enough for a test.
FAST_RETRIES = RetryPolicy(attempts=3, first_delay=0.05, max_delay=0.1, jitter=0.25, max_retry_after=2.0)


def stand_in_upload(story: Story, scene: Scene, image: Path, backend: str) -> Upload:
    """The outbox row a stand-in upload queue answers with; nothing is stored anywhere."""
    return Upload.create(
        story_id=story.id,
        scene_id=scene.id,
        scene_index=scene.index,
        local_path=str(image),
        object_path=f"{story.user_id}/{story.id}/{image.name}",
        content_type="image/png",
        backend=backend,
    )


class RecordingUploads:
    """The upload queue's contract, recording what it is given (until the real UploadManager is used)."""

    def __init__(self) -> None:
        self.enqueued: list[tuple[Story, Scene, Path]] = []
        self.fail_with: Exception | None = None

    async def enqueue_scene_image(self, story: Story, scene: Scene, image: Path) -> Upload:
        if self.fail_with is not None:
            raise self.fail_with
        # (No file access here: asyncio.to_thread would start qasync's default QThread executor, which nobody
        # stops. The tests open the images themselves.)
        self.enqueued.append((story, scene, image))
        return stand_in_upload(story, scene, image, "recording")

    async def wait_settled(self, story_id: uuid.UUID | None = None) -> None:
        await asyncio.sleep(0)

    def indexes(self, story_id: uuid.UUID) -> list[int]:
        return sorted(scene.index for story, scene, _ in self.enqueued if story.id == story_id)


class SignalLog:
    """Everything a StoryService emitted, in order, as (signal name, arguments)."""

    def __init__(self, service: StoryService) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        for name in ("story_changed", "scene_text", "scene_saved", "scene_image", "story_progress"):
            getattr(service, name).connect(lambda *args, _name=name: self.events.append((_name, args)))

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [args for event, args in self.events if event == name]


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def a1111_server() -> Iterator[FakeA1111Server]:
    server = FakeA1111Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def recording_uploads() -> RecordingUploads:
    return RecordingUploads()


@pytest.fixture
def generation_executor() -> Iterator[QThreadPoolExecutor]:
    executor = QThreadPoolExecutor(max_workers=3, name="test-generation")
    yield executor
    executor.shutdown(wait=True, cancel_futures=True, timeout=10)


MakeService = Callable[..., StoryService]


@pytest.fixture
def make_story_service(
    pool: asyncpg.Pool,
    generation_executor: QThreadPoolExecutor,
    recording_uploads: RecordingUploads,
    tmp_path: Path,
    run: Callable[..., Any],
) -> Iterator[MakeService]:
    """make_story_service(**settings) -> a StoryService whose providers come from those settings (fast retries)."""
    made: list[StoryService] = []

    def make(**settings_fields: Any) -> StoryService:
        settings = Settings(data_dir=tmp_path / "data", user_id=uuid.uuid4(), **settings_fields)

        def providers(notify: Notify) -> Providers:
            return build_providers(settings, generation_executor, notify, policy=FAST_RETRIES)

        service = StoryService(
            settings=settings,
            stories=StoryRepository(pool),
            scenes=SceneRepository(pool),
            undo_log=UndoLogRepository(pool),
            executor=generation_executor,
            uploads=recording_uploads,
            providers=providers,
        )
        made.append(service)
        return service

    yield make
    for service in made:
        run(service.shutdown())
