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
from desktop.db.repositories import SceneRepository, StoryRepository
from desktop.models import ImageStatus, Story, StoryRequest, UploadStatus
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


def objects_of(server: StorageServer, story: Story) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for key in server.object_keys(BUCKET):
        assert key.startswith(f"{story.user_id}/{story.id}/scene-")
        found.setdefault(int(key.rsplit("/", 1)[1][6:8]), set()).add(key)
    return found


def test_regenerating_an_image_twice_keeps_one_row_and_one_object_per_scene(
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
    assert objects_of(storage_server, story) == {0: {after[0]["object_path"]}, 1: {after[1]["object_path"]}}
    assert httpx.get(after[0]["url"]).content == Path(pictures[-1]).read_bytes()
    assert all(Path(picture).is_file() for picture in pictures)  # earlier pictures stay for the history to come


def test_a_replaced_object_is_removed_once_storage_works_again_even_after_a_restart(
    make_writer: Callable[[Settings], Writer],
    settings: Settings,
    storage_server: StorageServer,
    pool: asyncpg.Pool,
    run: Run,
) -> None:
    service, uploads = make_writer(settings)
    story = run(service.generate(REQUEST))
    run(uploads.wait_settled(story.id))
    [first, _] = rows(pool, run)
    good_key = storage_server.key
    storage_server.key = "a.key.that-expired"  # storage refuses everything for now

    run(service.regenerate_image(first["scene_id"]))
    run(uploads.wait_settled(story.id))
    [waiting, _] = rows(pool, run)
    assert waiting["status"] == "failed" and waiting["replaced_paths"] == [first["object_path"]]
    assert first["object_path"] in storage_server.object_keys(BUCKET)  # not removed yet, not forgotten either
    run(service.shutdown())
    run(uploads.shutdown())  # the writer quits

    storage_server.key = good_key
    _, again = make_writer(settings)
    [retried] = [upload for upload in run(again.retry_all_failed()) if upload.scene_id == first["scene_id"]]
    assert retried.replaced_paths == (first["object_path"],)
    run(again.wait_settled(story.id))
    [done, other] = rows(pool, run)
    assert done["status"] == UploadStatus.uploaded.value and done["replaced_paths"] == []
    assert objects_of(storage_server, story) == {0: {done["object_path"]}, 1: {other["object_path"]}}


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
