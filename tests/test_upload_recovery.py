"""The outbox survives the app: a killed process loses nothing, a quit mid-upload is clean, both resume later."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from desktop.config import Settings
from desktop.models import UploadStatus
from tests.support.storage_fixtures import (
    BUCKET,
    MakeManager,
    MakeStory,
    enqueue_all,
    png_bytes,
    settled,
    supabase_settings_for,
)
from tests.support.storage_server import Fault, StorageServer

from .conftest import Run

ROOT = Path(__file__).resolve().parents[1]


def app_environment(database_url: str, settings: Settings, server: StorageServer, **extra: str) -> dict[str, str]:
    """The app's configuration contract, as automation would set it."""
    env = dict(os.environ)
    env.update(
        {
            "STORYFORGE_DATA_DIR": str(settings.data_dir),
            "STORYFORGE_DATABASE_URL": database_url,
            "STORYFORGE_STORAGE_BACKEND": "supabase",
            "STORYFORGE_SUPABASE_URL": server.url,
            "STORYFORGE_SUPABASE_KEY": server.key,
            "STORYFORGE_SUPABASE_BUCKET": BUCKET,
            **extra,
        }
    )
    return env


def test_a_killed_app_resumes_its_outbox_with_nothing_lost_and_no_duplicate_objects(
    storage_server_with_bucket: StorageServer,
    database_url: str,
    pool: asyncpg.Pool,
    app_data_dir: Path,
    illustrated_story: MakeStory,
    make_upload_manager: MakeManager,
    run: Run,
    qtbot: Any,
) -> None:
    server = storage_server_with_bucket
    settings = supabase_settings_for(server, app_data_dir)
    book = illustrated_story(3)
    enqueue_all(make_upload_manager(settings, start=False), book, run)  # the outbox, before any upload
    # The server keeps what it receives but never answers: the app dies not knowing its uploads arrived.
    server.inject(Fault.stall(store_first=True), times=2)

    app = subprocess.Popen(
        [sys.executable, "-m", "desktop", "uploads", "--retry-failed"],
        cwd=ROOT,
        env=app_environment(
            database_url, settings, server, STORYFORGE_UPLOAD_CONCURRENCY="2", STORYFORGE_REQUEST_TIMEOUT="30"
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        qtbot.waitUntil(lambda: server.stalled == 2, timeout=30_000)
        rows = run(pool.fetch("SELECT status FROM uploads"))
        # Two are on the wire; the third is claimed, next in line (or still queued).
        assert sorted(row["status"] for row in rows)[1:] == ["uploading", "uploading"]
    finally:
        app.kill()  # SIGKILL: no shutdown code runs
        app.wait(timeout=10)
    server.release()

    manager = make_upload_manager(settings)
    uploads = settled(manager, book, run)

    assert [upload.status for upload in uploads] == [UploadStatus.uploaded] * 3
    assert server.object_keys(BUCKET) == {upload.object_path for upload in uploads}
    for upload, image in zip(uploads, book.images, strict=True):
        assert server.object_data(BUCKET, upload.object_path) == image.read_bytes()
        assert image.exists()
    # The two interrupted uploads went to the same objects again (an upsert), the third once.
    assert sorted(server.writes.values()) == [1, 2, 2]


@pytest.mark.parametrize("grace", ["0.3", "5"], ids=["grace-runs-out", "timeouts-within-grace"])
def test_quitting_with_uploads_in_flight_exits_cleanly_prints_nothing_and_keeps_them_queued(
    grace: str,
    storage_server_with_bucket: StorageServer,
    database_url: str,
    pool: asyncpg.Pool,
    tmp_path: Path,
    app_data_dir: Path,
    make_upload_manager: MakeManager,
    run: Run,
) -> None:
    server = storage_server_with_bucket
    settings = supabase_settings_for(server, app_data_dir)
    images = []
    for index in range(3):
        image = tmp_path / f"image-{index}.png"
        image.write_bytes(png_bytes(1000 + index))
        images.append(str(image))
    server.inject(Fault.stall(), times=3)  # answers never come; the client gives up after its timeout

    quit_run = subprocess.run(
        [sys.executable, "-m", "tests.support.quit_while_uploading", *images, "--running", "2", "--grace", grace],
        cwd=ROOT,
        env=app_environment(
            database_url, settings, server, STORYFORGE_UPLOAD_CONCURRENCY="2", STORYFORGE_REQUEST_TIMEOUT="1.5"
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (quit_run.returncode, quit_run.stdout, quit_run.stderr) == (0, "", "")
    rows = run(pool.fetch("SELECT status FROM uploads"))
    assert [row["status"] for row in rows] == ["queued"] * 3  # none lost, none stuck as "uploading"
    assert server.object_keys(BUCKET) == set()

    server.release()
    manager = make_upload_manager(settings)
    run(manager.wait_settled(), timeout=30)
    assert [upload.status for upload in run(manager.uploads())] == [UploadStatus.uploaded] * 3
