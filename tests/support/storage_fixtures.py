"""Fixtures for the storage and upload tests: a loopback Storage server, settings that point at it, a story with
scenes in the real database, and real image files in the image folder."""

from __future__ import annotations

import io
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from PIL import Image
from pydantic import SecretStr

from desktop.config import Settings
from desktop.db.repositories import SceneRepository, StoryRepository
from desktop.models import Scene, Story, StoryRequest, Upload, UploadStatus
from desktop.qt.executor import QThreadPoolExecutor
from desktop.retry import RetryPolicy
from desktop.services.upload_manager import UploadManager
from tests.support.storage_server import Bucket, StorageServer

BUCKET = "story-images"
FAST_RETRY = RetryPolicy(attempts=4, first_delay=0.05, max_delay=0.2)
Run = Callable[..., Any]
MakeManager = Callable[..., UploadManager]


def png_bytes(seed: int, side: int = 24) -> bytes:
    """A real PNG, different for every seed."""
    image = Image.frombytes("RGB", (side, side), random.Random(seed).randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def storage_server() -> Iterator[StorageServer]:
    with StorageServer() as server:
        yield server


@pytest.fixture
def storage_server_with_bucket(storage_server: StorageServer) -> StorageServer:
    storage_server.buckets[BUCKET] = Bucket(BUCKET)
    return storage_server


def supabase_settings_for(server: StorageServer, data_dir: Path, **fields: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "user_id": uuid.uuid4(),
        "storage_backend": "supabase",
        "supabase_url": server.url,
        "supabase_key": SecretStr(server.key),
        "supabase_bucket": BUCKET,
        "request_timeout": 1.0,
        "upload_concurrency": 3,
    }
    values.update(fields)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def supabase_settings(storage_server: StorageServer, tmp_path: Path) -> Settings:
    return supabase_settings_for(storage_server, tmp_path / "data")


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", user_id=uuid.uuid4(), storage_backend="local", upload_concurrency=3)


@pytest.fixture
def upload_executor(qapp: object) -> Iterator[QThreadPoolExecutor]:
    executor = QThreadPoolExecutor(max_workers=4)
    yield executor
    executor.shutdown(wait=True, cancel_futures=True, timeout=10)


@dataclass
class IllustratedStory:
    story: Story
    scenes: list[Scene]
    images: list[Path]


MakeStory = Callable[..., IllustratedStory]


@pytest.fixture
def illustrated_story(stories: StoryRepository, scenes: SceneRepository, run: Run, tmp_path: Path) -> MakeStory:
    """make(count=3): a story with `count` scenes in the database, each with its own PNG in the image folder."""
    counter = iter(range(1_000_000))

    def make(count: int = 3, *, title: str = "The Salt Road") -> IllustratedStory:
        request = StoryRequest(title=title, prompt="A courier crosses the desert.", scene_count=count)
        story = Story.create(request, user_id=uuid.uuid4())
        run(stories.create(story))
        saved = run(scenes.save_many([Scene.create(story.id, i, f"Scene {i + 1}", "Text.") for i in range(count)]))
        assert isinstance(saved, list)
        cache = tmp_path / "data" / "images" / str(story.id)
        cache.mkdir(parents=True, exist_ok=True)
        images = []
        for scene in saved:
            path = cache / f"scene-{scene.index:02d}.png"
            path.write_bytes(png_bytes(next(counter)))
            images.append(path)
        return IllustratedStory(story, saved, images)

    return make


@pytest.fixture
def make_upload_manager(pool: asyncpg.Pool, upload_executor: QThreadPoolExecutor, run: Run) -> Iterator[MakeManager]:
    """make(settings, retry=FAST_RETRY, start=True): an UploadManager on the test database, shut down afterwards."""
    made: list[UploadManager] = []

    def make(settings: Settings, *, retry: RetryPolicy = FAST_RETRY, start: bool = True) -> UploadManager:
        manager = UploadManager(settings=settings, pool=pool, executor=upload_executor, retry=retry, shutdown_grace=3.0)
        made.append(manager)
        if start:
            run(manager.start())
        return manager

    yield make
    for manager in made:
        run(manager.shutdown())


def enqueue_all(manager: UploadManager, book: IllustratedStory, run: Run) -> list[Upload]:
    return [
        run(manager.enqueue_scene_image(book.story, scene, image))
        for scene, image in zip(book.scenes, book.images, strict=True)
    ]


def settled(manager: UploadManager, book: IllustratedStory, run: Run) -> list[Upload]:
    """Wait until the story's uploads settle; its uploads by scene."""
    run(manager.wait_settled(book.story.id), timeout=30)
    return sorted(run(manager.uploads(story_id=book.story.id)), key=lambda upload: upload.scene_index)


def upload_of(scene: Scene, status: UploadStatus, error: str = "") -> Upload:
    """An upload of `scene`'s image in `status`, as a card is shown one (no database needed)."""
    now = datetime.now(UTC)
    return Upload(
        id=uuid.uuid4(),
        story_id=scene.story_id,
        scene_id=scene.id,
        scene_index=scene.index,
        local_path="scene-1.png",
        object_path="stories/scene-1.png",
        content_type="image/png",
        backend="supabase",
        status=status,
        attempts=1,
        error_message=error,
        created_at=now,
        updated_at=now,
    )
