"""`storyforge uploads [--json] [--retry-failed]`, run the way the app runs it: run_headless on the one loop."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr

from desktop.app import parse_args
from desktop.cli import uploads
from desktop.config import Settings
from desktop.headless import run_headless
from desktop.models import UploadStatus
from desktop.secrets import SecretStore
from tests.support.storage_fixtures import BUCKET, MakeManager, MakeStory, enqueue_all, settled, supabase_settings_for
from tests.support.storage_server import StorageServer

from .conftest import Run

WHERE = f"Supabase bucket “{BUCKET}”"


def command(settings: Settings, run: Run, *argv: str) -> int:
    args = parse_args(["uploads", *argv])
    code = run(run_headless(settings, SecretStore(), uploads.run, args), timeout=60)
    assert isinstance(code, int)
    return code


@pytest.fixture
def app_settings(storage_server: StorageServer, database_url: str, app_data_dir: Path) -> Settings:
    return supabase_settings_for(storage_server, app_data_dir, database_url=database_url)


@pytest.fixture
def two_failed(
    app_settings: Settings,
    storage_server: StorageServer,
    make_upload_manager: MakeManager,
    illustrated_story: MakeStory,
    run: Run,
) -> str:
    """Two uploads that failed because the key was wrong; returns the right key."""
    good_key = storage_server.key
    storage_server.key = "another.signed.key"
    manager = make_upload_manager(app_settings)
    book = illustrated_story(2)
    enqueue_all(manager, book, run)
    assert [upload.status for upload in settled(manager, book, run)] == [UploadStatus.failed] * 2
    run(manager.shutdown())  # the command runs its own app
    return good_key


def test_an_empty_outbox_says_so(app_settings: Settings, run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    assert command(app_settings, run) == 0
    assert capsys.readouterr().out == f"No uploads to {WHERE} yet.\n"


def test_the_list_shows_each_state_and_reason(
    app_settings: Settings, two_failed: str, run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    assert command(app_settings, run) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Uploads to {WHERE}:"
    assert lines[1].split() == ["STATE", "STORY", "SCENE", "TRIES", "TARGET", "REASON"]
    for number, line in enumerate(lines[2:], start=1):
        assert line.startswith("failed") and "The Salt Road" in line and f" {number} " in line
        assert " supabase " in line
        assert line.endswith("Supabase rejected the key — check it in Settings.")


def test_json_lists_every_field(
    app_settings: Settings, two_failed: str, run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    assert command(app_settings, run, "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(entry["scene_number"], entry["status"], entry["error_kind"]) for entry in listed] == [
        (1, "failed", "key_rejected"),
        (2, "failed", "key_rejected"),
    ]
    assert all(entry["story_title"] == "The Salt Road" and uuid.UUID(entry["id"]) for entry in listed)
    assert two_failed not in json.dumps(listed)


def test_retry_failed_exits_non_zero_while_they_still_fail_and_zero_once_repaired(
    app_settings: Settings,
    two_failed: str,
    storage_server: StorageServer,
    pool: asyncpg.Pool,
    run: Run,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert command(app_settings, run, "--retry-failed") == 1
    output = capsys.readouterr()
    assert "Retrying 2 failed uploads" in output.out and "2 uploads still failed:" in output.out
    assert output.err == "storyforge: 2 uploads still failed.\n"

    storage_server.key = two_failed  # the writer fixed the key
    assert command(app_settings, run, "--retry-failed") == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"Every upload to {WHERE} is done."
    statuses = [row["status"] for row in run(pool.fetch("SELECT status FROM uploads"))]
    assert statuses == ["uploaded", "uploaded"]
    assert len(storage_server.object_keys(BUCKET)) == 2


def test_retry_failed_with_json_prints_only_json(
    app_settings: Settings, two_failed: str, storage_server: StorageServer, run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    storage_server.key = two_failed
    assert command(app_settings, run, "--retry-failed", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [entry["status"] for entry in listed] == ["uploaded", "uploaded"]
    assert all("token=" in entry["url"] for entry in listed)


def test_a_wrong_key_in_the_environment_is_never_printed(
    storage_server: StorageServer, database_url: str, app_data_dir: Path, run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "sb-secret-" + "z" * 30
    settings = supabase_settings_for(
        storage_server, app_data_dir, database_url=database_url, supabase_key=SecretStr(secret)
    )
    assert command(settings, run, "--retry-failed") == 0  # nothing to retry: nothing fails
    output = capsys.readouterr()
    assert secret not in output.out + output.err
