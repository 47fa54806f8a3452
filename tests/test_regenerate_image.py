"""Regenerate image replaces the scene's image: one upload row per scene, one object per scene in storage, and the
earlier pictures kept on this computer — also when storage is unreachable while the image is replaced.

The real StoryService with its offline painter, the real UploadManager, the real supabase-py client against the
loopback Storage server, real Postgres.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from desktop.config import Settings
from desktop.db.repositories import SceneRepository, StoryRepository, UndoLogRepository
from desktop.models import ImageStatus, Story, StoryRequest
from desktop.qt.executor import QThreadPoolExecutor
from desktop.services.story_service import StoryService
from desktop.services.upload_manager import UploadManager
from tests.support.storage_fixtures import BUCKET, MakeManager, supabase_settings_for
from tests.support.storage_server import StorageServer

from .conftest import Run

REQUEST = StoryRequest(title="The Lantern Keeper", prompt="A keeper of lanterns walks the night market.", scene_count=2)
Writer = tuple[StoryService, UploadManager]


@pytest.fixture
def settings(storage_server: StorageServer, tmp_path: Path) -> Settings:
    return supabase_settings_for(storage_server, tmp_path / "data")


@pytest.fixture
def make_writer(
    pool: asyncpg.Pool, generation_executor: QThreadPoolExecutor, make_upload_manager: MakeManager, run: Run
) -> Iterator[Callable[[Settings], Writer]]:
    services: list[StoryService] = []

    def make(settings: Settings) -> Writer:
        uploads = make_upload_manager(settings)
        service = StoryService(
            settings=settings,
            stories=StoryRepository(pool),
            scenes=SceneRepository(pool),
            undo_log=UndoLogRepository(pool),
            executor=generation_executor,
            uploads=uploads,
        )
        services.append(service)
        return service, uploads

    yield make
    for service in services:
        run(service.shutdown())


def rows(pool: asyncpg.Pool, run: Run) -> list[Any]:
    return list(run(pool.fetch("SELECT * FROM uploads ORDER BY scene_index")))


def objects_of(server: StorageServer, story: Story, scene_ids: list[Any]) -> dict[int, set[str]]:
    """The objects in storage by scene number; named by the scene's id, which a move does not change."""
    found: dict[int, set[str]] = {}
    for key in server.object_keys(BUCKET):
        assert key.startswith(f"{story.user_id}/{story.id}/")
        scene_id = key.rsplit("/", 1)[1][:36]
        found.setdefault(scene_ids.index(uuid.UUID(scene_id)), set()).add(key)
    return found


def test_regenerating_an_image_twice_keeps_one_row_per_scene_and_every_version_in_storage(
    make_writer: Callable[[Settings], Writer],
    settings: Settings,
    storage_server: StorageServer,
    pool: asyncpg.Pool,
    scenes: SceneRepository,
    run: Run,
) -> None:
    service, uploads = make_writer(settings)
    story = run(service.generate(REQUEST))
    run(uploads.wait_settled(story.id))
    first = rows(pool, run)
    assert [row["status"] for row in first] == ["uploaded"] * 2
    scene_id = first[0]["scene_id"]
    pictures = [run(scenes.get(scene_id)).image_path]

    for _ in range(2):
        repainted = run(service.regenerate_image(scene_id))
        assert repainted.image_status is ImageStatus.painted and repainted.image_path not in pictures
        pictures.append(repainted.image_path)
        run(uploads.wait_settled(story.id))

    after = rows(pool, run)
    assert [(row["id"], row["scene_id"]) for row in after] == [(row["id"], row["scene_id"]) for row in first]
    assert [row["status"] for row in after] == ["uploaded"] * 2
    assert after[0]["local_path"] == pictures[-1] and after[0]["object_path"] != first[0]["object_path"]
    assert after[0]["replaced_paths"] == [] and after[1]["object_path"] == first[1]["object_path"]
    assert httpx.get(after[0]["url"]).content == Path(pictures[-1]).read_bytes()
    # The earlier images stay, on this computer and in storage, for the scene's History: three objects for scene 1.
    assert all(Path(picture).is_file() for picture in pictures)
    stored = objects_of(storage_server, story, [row["scene_id"] for row in after])
    assert len(stored[0]) == 3 and after[0]["object_path"] in stored[0]
    assert stored[1] == {after[1]["object_path"]}
    kept = run(pool.fetch("SELECT object_path FROM kept_objects WHERE scene_id = $1", scene_id))
    assert {row["object_path"] for row in kept} == stored[0] - {after[0]["object_path"]}


def test_a_new_image_of_a_scene_drops_its_unsent_upload_on_a_storage_no_longer_chosen(
    make_writer: Callable[[Settings], Writer],
    settings: Settings,
    storage_server: StorageServer,
    pool: asyncpg.Pool,
    run: Run,
) -> None:
    storage_server.size_limit = 10  # Supabase refuses every image
    service, uploads = make_writer(settings)
    story = run(service.generate(REQUEST))
    run(uploads.wait_settled(story.id))
    assert {row["status"] for row in rows(pool, run)} == {"failed"}
    removed: list[uuid.UUID] = []
    uploads.upload_removed.connect(removed.append)
    on_local = settings.model_copy(update={"storage_backend": "local"})
    run(uploads.reconfigure(on_local))
    service.reconfigure(on_local)

    scene_id = rows(pool, run)[0]["scene_id"]
    run(service.regenerate_image(scene_id))
    run(uploads.wait_settled(story.id))

    by_scene = {(row["scene_index"], row["backend"]): row["status"] for row in rows(pool, run)}
    assert by_scene == {(0, "local"): "uploaded", (1, "supabase"): "failed"}  # scene 1 still waits, visibly
    assert len(removed) == 1
