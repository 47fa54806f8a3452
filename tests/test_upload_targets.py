"""Uploads belong to the image, not to the chosen storage: a writer whose Supabase uploads were refused switches to the
local folder, still sees every refused upload with its target and reason, is never told "all done", and sends them
to the chosen storage with one call — from the manager, and from `storyforge uploads --retarget` in its own process.

Real Postgres, the real supabase-py client against the loopback Storage server, the real CLI as a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from desktop.config import Settings
from desktop.db.migrate import available_migrations
from desktop.db.repositories import StoryRepository
from desktop.models import FailureKind, StoryStatus, UploadStatus
from desktop.ui.common import theme
from desktop.ui.library.library_delegate import badge_of
from tests.support.storage_fixtures import (
    BUCKET,
    IllustratedStory,
    MakeManager,
    MakeStory,
    enqueue_all,
    settled,
    supabase_settings_for,
)
from tests.support.storage_server import StorageServer

from .conftest import Run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def refused_on_supabase(
    storage_server_with_bucket: StorageServer, app_data_dir: Path, database_url: str
) -> tuple[Settings, Settings]:
    """Supabase settings whose server refuses every image as too large (permanent), and the same with local chosen."""
    storage_server_with_bucket.size_limit = 10
    on_supabase = supabase_settings_for(storage_server_with_bucket, app_data_dir, database_url=database_url)
    return on_supabase, on_supabase.model_copy(update={"storage_backend": "local"})


def failed_on_supabase(
    make_manager: MakeManager, settings: Settings, book: IllustratedStory, stories: StoryRepository, run: Run
) -> None:
    manager = make_manager(settings)
    enqueue_all(manager, book, run)
    assert [upload.status for upload in settled(manager, book, run)] == [UploadStatus.failed] * len(book.scenes)
    run(stories.set_status(book.story.id, StoryStatus.complete))
    run(manager.shutdown())


def test_after_a_storage_switch_failed_uploads_stay_visible_and_retarget_stores_them(
    make_upload_manager: MakeManager,
    refused_on_supabase: tuple[Settings, Settings],
    illustrated_story: MakeStory,
    stories: StoryRepository,
    storage_server: StorageServer,
    run: Run,
) -> None:
    on_supabase, on_local = refused_on_supabase
    manager = make_upload_manager(on_supabase)
    book = illustrated_story(3)
    enqueue_all(manager, book, run)
    assert [upload.status for upload in settled(manager, book, run)] == [UploadStatus.failed] * 3
    run(stories.set_status(book.story.id, StoryStatus.complete))

    run(manager.reconfigure(on_local))  # the writer chooses the local folder

    listed = run(manager.uploads())
    assert [(u.backend, u.status, u.error_kind) for u in listed] == [
        ("supabase", UploadStatus.failed, FailureKind.too_large)
    ] * 3
    assert all("larger than the bucket allows" in upload.error_message for upload in listed)
    assert run(manager.counts())[UploadStatus.failed] == 3  # the status bar is not "all done"
    assert len(run(manager.stranded())) == 3
    summary = run(stories.summary(book.story.id))
    assert (summary.uploads_failed, summary.images_not_stored) == (3, 3)
    assert badge_of(summary) == ("Complete · 3 uploads failed", theme.Tone.warning)

    moved = run(manager.retarget())

    assert {upload.id for upload in moved} == {upload.id for upload in listed}  # the rows move, none is added
    uploads = settled(manager, book, run)
    assert [(u.backend, u.status) for u in uploads] == [("local", UploadStatus.uploaded)] * 3
    for upload, image in zip(uploads, book.images, strict=True):
        stored = on_local.storage_folder.joinpath(*upload.object_path.split("/"))
        assert stored.read_bytes() == image.read_bytes() and upload.url == stored.as_uri()
        assert upload.error_message == "" and upload.attempts == 1
    assert run(manager.stranded()) == []
    summary = run(stories.summary(book.story.id))
    assert (summary.uploads_failed, summary.images_not_stored) == (0, 0)
    assert badge_of(summary) == ("Complete", theme.Tone.success)
    assert storage_server.object_keys(BUCKET) == set()


def test_retarget_merges_into_the_row_the_scene_already_has_on_the_chosen_storage(
    make_upload_manager: MakeManager,
    refused_on_supabase: tuple[Settings, Settings],
    illustrated_story: MakeStory,
    pool: asyncpg.Pool,
    run: Run,
) -> None:
    on_supabase, on_local = refused_on_supabase
    book = illustrated_story(2)
    local = make_upload_manager(on_local)
    enqueue_all(local, book, run)
    settled(local, book, run)
    run(local.reconfigure(on_supabase))
    run(local.upload_local_images())  # the same objects, now for Supabase, which refuses them
    assert {(u.backend, u.status) for u in settled(local, book, run)} == {
        ("local", UploadStatus.uploaded),
        ("supabase", UploadStatus.failed),
    }
    removed: list[object] = []
    local.upload_removed.connect(removed.append)

    run(local.reconfigure(on_local))
    run(local.retarget())

    rows = run(pool.fetch("SELECT backend, status FROM uploads ORDER BY scene_index"))
    assert [(row["backend"], row["status"]) for row in rows] == [("local", "uploaded")] * 2  # already stored there
    assert len(removed) == 2


def storyforge(data_dir: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "STORYFORGE_DATABASE_URL": database_url, "STORYFORGE_STORAGE_BACKEND": "local"}
    return subprocess.run(
        [sys.executable, "-m", "desktop", "--data-dir", str(data_dir), "uploads", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_the_cli_lists_every_target_and_retarget_sends_the_stranded_ones_to_the_chosen_storage(
    make_upload_manager: MakeManager,
    refused_on_supabase: tuple[Settings, Settings],
    illustrated_story: MakeStory,
    stories: StoryRepository,
    pool: asyncpg.Pool,
    app_data_dir: Path,
    database_url: str,
    run: Run,
) -> None:
    on_supabase, on_local = refused_on_supabase
    kept = illustrated_story(1, title="Stored at Home")
    local = make_upload_manager(on_local)
    enqueue_all(local, kept, run)
    settled(local, kept, run)
    run(local.shutdown())
    stranded = illustrated_story(2, title="Refused Abroad")
    failed_on_supabase(make_upload_manager, on_supabase, stranded, stories, run)

    listing = storyforge(app_data_dir, database_url, "--json")
    assert listing.returncode == 0, listing.stderr
    entries = json.loads(listing.stdout)
    assert sorted((e["story_title"], e["scene_number"], e["target"], e["status"]) for e in entries) == [
        ("Refused Abroad", 1, "supabase", "failed"),
        ("Refused Abroad", 2, "supabase", "failed"),
        ("Stored at Home", 1, "local", "uploaded"),
    ]
    table = storyforge(app_data_dir, database_url)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith("Uploads (new images go to the local storage folder")
    assert lines[1].split() == ["STATE", "STORY", "SCENE", "TRIES", "TARGET", "REASON"]
    assert sum(" supabase " in line and "larger than the bucket allows" in line for line in lines) == 2

    stranded.images[1].unlink()  # one image is gone from this computer: it cannot be stored anywhere
    first = storyforge(app_data_dir, database_url, "--retarget")
    assert first.returncode == 1
    assert first.stderr == "storyforge: 1 upload still failed.\n"
    assert "Sending 2 uploads to the local storage folder" in first.stdout and "1 upload still failed:" in first.stdout

    stranded.images[1].write_bytes(stranded.images[0].read_bytes())  # the writer put it back
    second = storyforge(app_data_dir, database_url, "--retry-failed")
    assert second.returncode == 0, second.stderr + second.stdout
    rows = run(pool.fetch("SELECT backend, status, object_path FROM uploads"))
    assert [(row["backend"], row["status"]) for row in rows] == [("local", "uploaded")] * 3
    for row in rows:
        assert on_local.storage_folder.joinpath(*row["object_path"].split("/")).is_file()
    again = storyforge(app_data_dir, database_url, "--retarget")
    assert again.returncode == 0 and again.stderr == ""
    assert "Sending 0 uploads" in again.stdout


def test_retrying_failed_uploads_after_a_switch_sends_them_to_the_chosen_storage(
    make_upload_manager: MakeManager,
    refused_on_supabase: tuple[Settings, Settings],
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    on_supabase, on_local = refused_on_supabase
    manager = make_upload_manager(on_supabase)
    book, other = illustrated_story(1), illustrated_story(1)
    enqueue_all(manager, book, run)
    enqueue_all(manager, other, run)
    settled(manager, book, run)
    settled(manager, other, run)
    run(manager.reconfigure(on_local))

    [story_retry] = run(manager.retry_story(book.story.id))
    assert story_retry.story_id == book.story.id and story_retry.backend == "local"
    [single] = run(manager.uploads(story_id=other.story.id))
    assert run(manager.retry(single.id)).backend == "local"  # Retry on a row of the storage left behind

    uploads = settled(manager, book, run) + settled(manager, other, run)
    assert [(u.backend, u.status) for u in uploads] == [("local", UploadStatus.uploaded)] * 2


def test_migration_003_merges_a_scenes_duplicate_rows_and_queues_the_removal_of_old_objects(
    pool: asyncpg.Pool, illustrated_story: MakeStory, run: Run
) -> None:
    """Before 003, Regenerate image added a row per image: the newest stays, the objects of the others that were
    ever sent are queued for removal, and a scene's row on another storage is left alone."""
    [migration] = [m for m in available_migrations() if m.name == "003_upload_targets.sql"]
    run(pool.execute("DROP INDEX uploads_one_per_scene; ALTER TABLE uploads DROP COLUMN replaced_paths"))
    book = illustrated_story(2)
    story, (first, second) = book.story, book.scenes

    def row(scene: Any, backend: str, name: str, status: str, attempts: int, minutes_ago: int) -> None:
        run(
            pool.execute(
                """INSERT INTO uploads (id, story_id, scene_id, scene_index, local_path, object_path, content_type,
                                        backend, status, attempts, created_at, updated_at)
                   VALUES (gen_random_uuid(), $1, $2, $3, '/cache/' || $4, 'u/s/' || $4, 'image/png', $5, $6, $7,
                           now() - make_interval(mins => $8), now() - make_interval(mins => $8))""",
                story.id,
                scene.id,
                scene.index,
                name,
                backend,
                status,
                attempts,
                minutes_ago,
            )
        )

    row(first, "supabase", "a.png", "uploaded", 1, 30)
    row(first, "supabase", "b.png", "failed", 0, 20)  # never sent: nothing to remove
    row(first, "supabase", "c.png", "queued", 0, 10)
    row(first, "local", "a.png", "uploaded", 1, 30)
    row(second, "supabase", "d.png", "uploaded", 1, 30)
    row(second, "supabase", "e.png", "uploaded", 1, 10)

    run(pool.execute(migration.sql))

    rows = run(pool.fetch("SELECT * FROM uploads ORDER BY scene_index, backend"))
    assert [(r["scene_index"], r["backend"], r["object_path"], r["status"], r["replaced_paths"]) for r in rows] == [
        (0, "local", "u/s/a.png", "uploaded", []),
        (0, "supabase", "u/s/c.png", "queued", ["u/s/a.png"]),
        (1, "supabase", "u/s/e.png", "queued", ["u/s/d.png"]),  # sent again, so its job removes d.png
    ]
