"""Several Storyforge processes on one data folder, as a writer runs them: a window, scripts beside it, a second launch.

Every process here is real: the app's own entry point in a subprocess, on the embedded PostgreSQL in the test's
data folder, which they share.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop.config import Settings
from desktop.db.embedded import EmbeddedPostgres
from desktop.models import StoryStatus
from desktop.ui.library.library_model import StoryIdRole
from tests.conftest import Run, remove_embedded_cluster
from tests.support.ui_fixtures import WriterApp

ROOT = Path(__file__).resolve().parents[1]


def storyforge(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Running:
    """A Storyforge process left running while the test does other things; its output is collected as it comes."""

    def __init__(self, *args: str, **env: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "desktop", *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._collect, args=(stream, lines), daemon=True)
            for stream, lines in ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _collect(stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.stderr + self.stdout)

    def wait(self, timeout: float = 120) -> int:
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.wait()


@pytest.fixture
def running() -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for process in started:
        process.kill()


def test_a_story_written_by_one_process_completes_while_others_start_and_exit(
    app_data_dir: Path, running: list[Running], qtbot: Any
) -> None:
    data = str(app_data_dir)
    writer = Running(
        "--data-dir", data, "generate", "--title", "The Long Road", "--prompt", "A pilgrim walks to the sea.",
        "--scenes", "6", "--json", STORYFORGE_OFFLINE_DELAY="1.5",
    )  # fmt: skip
    running.append(writer)
    qtbot.waitUntil(lambda: writer.said("Writing scene 2 of 6") or writer.process.poll() is not None, timeout=60_000)
    assert writer.process.poll() is None, "".join(writer.stderr)

    for attempt in range(3):  # scripts beside it, each reusing the embedded server and leaving
        beside = storyforge("--data-dir", data, "uploads", "--json")
        assert beside.returncode == 0, beside.stderr
        # Still writing (scenes take 1.5 s each), or finished well: never killed by the database going away.
        assert writer.process.poll() in ((None,) if attempt == 0 else (None, 0)), "".join(writer.stderr)

    assert writer.wait() == 0, "".join(writer.stderr)
    summary = json.loads("".join(writer.stdout))
    assert summary["status"] == "complete"
    assert [scene["upload_status"] for scene in summary["scenes"]] == ["uploaded"] * 6
    # The last process to leave stopped the server: nothing is left running on the data folder.
    assert not EmbeddedPostgres(app_data_dir / "postgres").is_running()


def test_the_open_window_keeps_its_database_and_shows_what_a_script_writes(
    app_data_dir: Path, run: Run, qtbot: Any
) -> None:
    settings = Settings(data_dir=app_data_dir, user_id=uuid.uuid4())
    app = WriterApp(settings, run, qtbot).start()
    window = app.window
    try:
        for _ in range(3):
            listed = storyforge("--data-dir", str(app_data_dir), "uploads")
            assert listed.returncode == 0, listed.stderr

        script = storyforge(
            "--data-dir", str(app_data_dir), "generate", "--title", "Written Elsewhere",
            "--prompt", "A lighthouse keeper finds a letter.", "--scenes", "2", "--json",
        )  # fmt: skip
        assert script.returncode == 0, script.stderr
        story_id = uuid.UUID(json.loads(script.stdout)["story_id"])

        # Live: the script's story reaches the open library without the writer doing anything.
        def shown() -> bool:
            summary = window.library.summary(story_id)
            return summary is not None and summary.status is StoryStatus.complete

        qtbot.waitUntil(shown, timeout=10_000)
        # And the window still works on its database: it opens the story with both scenes and their uploads.
        window.open_story(story_id)
        qtbot.waitUntil(lambda: len(window.story_view.cards) == 2, timeout=10_000)
        assert app.session.live.listening
    finally:
        app.close()


def test_a_second_launch_brings_the_open_window_forward_and_exits(
    app_data_dir: Path, tmp_path: Path, running: list[Running], qtbot: Any
) -> None:
    first_logs = tmp_path / "first-logs"
    window = Running("--data-dir", str(app_data_dir), STORYFORGE_LOG_DIR=str(first_logs))
    running.append(window)
    log_file = first_logs / "storyforge.log"

    def logged(text: str) -> bool:
        return log_file.is_file() and text in log_file.read_text(encoding="utf-8")

    qtbot.waitUntil(lambda: logged("database ready"), timeout=60_000)

    second_log = tmp_path / "second-logs" / "storyforge.log"
    second = storyforge("--data-dir", str(app_data_dir), STORYFORGE_LOG_DIR=str(second_log.parent))
    assert second.returncode == 0, second.stderr
    assert "brought to the front" in second.stdout
    second_said = second_log.read_text(encoding="utf-8")
    assert "no frame of this launch's own" in second_said and "window shown" not in second_said  # nothing flashed
    qtbot.waitUntil(lambda: logged("a second launch asked for this window"), timeout=10_000)
    assert window.process.poll() is None

    # Another data folder is another library: it gets a window of its own.
    other_data = tmp_path / "other-data"
    other_logs = tmp_path / "other-logs"
    other = Running("--data-dir", str(other_data), STORYFORGE_LOG_DIR=str(other_logs))
    running.append(other)
    try:
        other_log = other_logs / "storyforge.log"
        qtbot.waitUntil(
            lambda: other_log.is_file() and "database ready" in other_log.read_text(encoding="utf-8"),
            timeout=60_000,
        )
        assert other.process.poll() is None
    finally:
        other.kill()
        remove_embedded_cluster(EmbeddedPostgres(other_data / "postgres"), keep_under=tmp_path)


def test_the_window_gets_its_database_back_after_the_server_was_killed(
    app_data_dir: Path, run: Run, qtbot: Any
) -> None:
    settings = Settings(data_dir=app_data_dir, user_id=uuid.uuid4())
    app = WriterApp(settings, run, qtbot).start()
    server = EmbeddedPostgres(app_data_dir / "postgres")
    try:
        killed = postmaster_pid(server)
        os.kill(killed, signal.SIGKILL)

        # The window notices on its own, starts the server again and listens again: no restart of the app.
        qtbot.waitUntil(lambda: server.is_running() and postmaster_pid(server) != killed, timeout=60_000)
        live = app.session.live
        assert live is not None
        qtbot.waitUntil(lambda: live.listening, timeout=30_000)

        script = storyforge(
            "--data-dir", str(app_data_dir), "generate", "--title", "After the Storm",
            "--prompt", "A town wakes after the flood.", "--scenes", "1", "--json",
        )  # fmt: skip
        assert script.returncode == 0, script.stderr
        story_id = uuid.UUID(json.loads(script.stdout)["story_id"])
        qtbot.waitUntil(lambda: app.window.library.summary(story_id) is not None, timeout=10_000)
        assert run(app.session.story_rows.count()) == 1
    finally:
        app.close()


def postmaster_pid(server: EmbeddedPostgres) -> int:
    return int((server.cluster_dir / "postmaster.pid").read_text().split()[0])


def test_cancel_in_the_window_stops_a_story_a_script_is_writing(
    app_data_dir: Path, run: Run, qtbot: Any, running: list[Running]
) -> None:
    settings = Settings(data_dir=app_data_dir, user_id=uuid.uuid4())
    app = WriterApp(settings, run, qtbot).start()
    window = app.window
    try:
        script = Running(
            "--data-dir", str(app_data_dir), "generate", "--title", "Stopped Elsewhere",
            "--prompt", "A ferryman waits for the last passenger.", "--scenes", "8", "--json",
            STORYFORGE_OFFLINE_DELAY="1.5",
        )  # fmt: skip
        running.append(script)
        qtbot.waitUntil(lambda: window.library.rowCount() == 1, timeout=60_000)
        story_id = window.library.index(0, 0).data(StoryIdRole)
        window.open_story(story_id)
        header = window.story_view.header
        qtbot.waitUntil(lambda: window.story_view.is_generating and header.cancel_button.isVisible(), timeout=10_000)

        qtbot.mouseClick(header.cancel_button, Qt.MouseButton.LeftButton)

        qtbot.waitUntil(lambda: script.process.poll() is not None, timeout=60_000)  # the loop runs meanwhile
        assert script.wait() == 1
        summary = json.loads("".join(script.stdout))
        assert summary["status"] == "cancelled"
        assert len(summary["scenes"]) < 8  # stopped before the end, the finished scenes kept
        qtbot.waitUntil(lambda: header.resume_button.isVisible(), timeout=10_000)  # the window follows it
    finally:
        app.close()


def test_a_reader_that_stops_early_gets_no_error_line(app_data_dir: Path) -> None:
    # `storyforge uploads --json | head -1`: the reader has gone before the list is printed.
    command = subprocess.Popen(
        [sys.executable, "-m", "desktop", "--data-dir", str(app_data_dir), "uploads", "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert command.stdout is not None
    command.stdout.close()
    _, errors = command.communicate(timeout=120)
    assert errors == ""
    assert command.returncode == 1
