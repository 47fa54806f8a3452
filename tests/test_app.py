"""The entry point as a writer meets it: the app starts, shows its window, reaches the database and quits cleanly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.storage_server import StorageServer

ROOT = Path(__file__).resolve().parents[1]


def storyforge(*args: str, env: dict[str, str] | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_version() -> None:
    result = storyforge("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"storyforge \d+\.\d+\.\d+\n", result.stdout)


def test_self_test_passes_on_the_embedded_database_and_prints_nothing_on_stderr(app_data_dir: Path) -> None:
    data = app_data_dir
    first = storyforge("--self-test", "--data-dir", str(data))
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    assert "self-test passed" in first.stdout
    again = storyforge("--self-test", "--data-dir", str(data))  # warm: the cluster is reused
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""


def test_the_self_test_on_supabase_leaves_no_object_behind(database_url: str, tmp_path: Path) -> None:
    with StorageServer() as server:
        result = storyforge(
            "--self-test",
            "--data-dir",
            str(tmp_path / "data"),
            env={
                "STORYFORGE_DATABASE_URL": database_url,
                "STORYFORGE_STORAGE_BACKEND": "supabase",
                "STORYFORGE_SUPABASE_URL": server.url,
                "STORYFORGE_SUPABASE_KEY": server.key,
            },
        )
        assert result.returncode == 0, result.stderr
        assert "self-test passed" in result.stdout
        assert len(server.writes) == 1  # it did upload its scene's image
        assert server.object_keys("story-images") == set()


def test_self_test_names_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    result = storyforge(
        "--self-test", env={"STORYFORGE_DATABASE_URL": "postgresql://writer:secret-pw@127.0.0.1:1/stories"}
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "Cannot reach the database at 127.0.0.1:1" in result.stderr
    assert "secret-pw" not in result.stderr + result.stdout


@pytest.mark.parametrize("forbidden", ["asyncio.run(", "run_until_complete(", "new_event_loop("])
def test_the_loop_is_started_only_in_the_entry_point(forbidden: str) -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "desktop").rglob("*.py")
        if path.name != "app.py" and forbidden in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "forbidden",
    ["desktop.db", "Repository", ".story_rows", ".scene_rows", "runtime.stories", "runtime.scenes", ".pool"],
)
def test_the_ui_reaches_no_repository(forbidden: str) -> None:
    """The window asks the services: no import of the database layer, no repository reached through the session."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "desktop" / "ui").rglob("*.py")
        if forbidden in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
