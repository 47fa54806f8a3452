"""Storyforge through a transaction-mode pooler, as with the connection string Supabase's dashboard offers by default:
PgBouncer in transaction mode in front of the test session's PostgreSQL (tests/support/pgbouncer.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from desktop.config import Settings
from desktop.db.migrate import available_migrations
from desktop.models import StoryRequest, StoryStatus, UploadStatus
from desktop.secrets import SecretStore
from desktop.services.runtime import Runtime
from desktop.ui.library.library_model import StoryRole
from tests.support.pgbouncer import PgBouncer
from tests.support.ui_fixtures import WriterApp

from .conftest import Run, admin, with_database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runtime_on(app_data_dir: Path, run: Run) -> Any:
    started: list[Runtime] = []

    def start(database_url: str, session_url: str = "") -> Runtime:
        settings = Settings(
            data_dir=app_data_dir, user_id=uuid.uuid4(), database_url=database_url, database_session_url=session_url
        )
        runtime = Runtime(settings, SecretStore())
        started.append(runtime)
        assert run(runtime.start_database(), timeout=60), runtime.database_error
        return runtime

    yield start
    for runtime in started:
        run(runtime.shutdown(), timeout=30)


FIRST_QUERY_WITH_A_STATEMENT_CACHE = """
import asyncio, sys, asyncpg
async def main():
    connection = await asyncpg.connect(sys.argv[1], ssl=False)
    await connection.fetchval("SELECT count(*) FROM stories")
asyncio.run(main())
"""


def test_the_pooler_really_shares_server_sessions_between_processes(pooled_url: str) -> None:
    # The premise, as the issue met it: asyncpg as it comes prepares "__asyncpg_stmt_1__" in every new process, and
    # the pooler hands the next process the server session the first one left it in.
    plain = pooled_url.replace("?pgbouncer=true", "")
    results = [
        subprocess.run(
            [sys.executable, "-c", FIRST_QUERY_WITH_A_STATEMENT_CACHE, plain], capture_output=True, text=True
        )
        for _ in range(2)
    ]
    assert results[0].returncode == 0, results[0].stderr
    assert "DuplicatePreparedStatementError" in results[1].stderr


def test_a_story_is_written_listed_and_uploaded_through_a_transaction_mode_pooler(
    pooled_url: str, database_url: str, runtime_on: Any, run: Run
) -> None:
    runtime = runtime_on(pooled_url, database_url)
    assert runtime.session.address.transaction_pooler
    request = StoryRequest(title="Through the Pooler", prompt="A ferry crosses a strait at night.", scene_count=4)

    story = run(runtime.session.stories.generate(request), timeout=60)
    run(runtime.session.uploads.wait_settled(story.id), timeout=60)

    assert story.status is StoryStatus.complete
    assert [summary.title for summary in run(runtime.session.story_rows.list())] == ["Through the Pooler"]
    uploads = run(runtime.session.uploads.uploads(story_id=story.id))
    assert [upload.status for upload in uploads] == [UploadStatus.uploaded] * 4
    assert all(upload.url for upload in uploads)


def test_two_processes_migrate_a_new_database_at_once_through_the_pooler(
    pgbouncer: PgBouncer, postgres_server: str, tmp_path: Path, run: Run
) -> None:
    name = f"fresh_{uuid.uuid4().hex[:10]}"
    run(admin(postgres_server, f"CREATE DATABASE {name}"))
    try:
        url = pgbouncer.url_for(with_database(postgres_server, name))
        commands = [
            subprocess.Popen(
                [sys.executable, "-m", "desktop", "--data-dir", str(tmp_path / f"data-{n}"), "uploads", "--json"],
                cwd=ROOT,
                env={**os.environ, "STORYFORGE_DATABASE_URL": url},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(2)
        ]
        for command in commands:
            out, err = command.communicate(timeout=120)
            assert command.returncode == 0, err
            assert out.strip() == "[]"

        async def applied() -> list[int]:
            conn = await asyncpg.connect(with_database(postgres_server, name))
            try:
                return [row["version"] for row in await conn.fetch("SELECT version FROM schema_migrations ORDER BY 1")]
            finally:
                await conn.close()

        assert run(applied()) == [migration.version for migration in available_migrations()]
    finally:
        run(admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_live_refresh_goes_through_the_session_url_beside_the_pooler(
    pooled_url: str, database_url: str, app_data_dir: Path, tmp_path: Path, run: Run, qtbot: Any
) -> None:
    settings = Settings(
        data_dir=app_data_dir, user_id=uuid.uuid4(), database_url=pooled_url, database_session_url=database_url
    )
    app = WriterApp(settings, run, qtbot).start()
    try:
        live = app.session.live
        assert live is not None and live.listening and not live.off_reason
        # Another device writes through the pooler too; the window stays in use meanwhile.
        script = subprocess.Popen(
            [sys.executable, "-m", "desktop", "--data-dir", str(tmp_path / "other-device"), "generate",
             "--title", "From the Other Laptop", "--prompt", "Two friends write letters across a border.",
             "--scenes", "2"],
            cwd=ROOT, env={**os.environ, "STORYFORGE_DATABASE_URL": pooled_url},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        qtbot.waitUntil(lambda: script.poll() is not None, timeout=90_000)
        assert script.returncode == 0, script.communicate()[1]
        library = app.window.library

        def shown_complete() -> bool:
            summary = library.index(0).data(StoryRole) if library.rowCount() else None
            return (
                summary is not None and summary.title == "From the Other Laptop" and summary.status.value == "complete"
            )

        qtbot.waitUntil(shown_complete, timeout=10_000)
    finally:
        app.close()


def test_with_only_a_transaction_mode_url_the_window_says_live_refresh_is_off(
    pooled_url: str, app_data_dir: Path, run: Run, qtbot: Any
) -> None:
    settings = Settings(data_dir=app_data_dir, user_id=uuid.uuid4(), database_url=pooled_url)
    app = WriterApp(settings, run, qtbot).start()
    try:
        live = app.session.live
        assert live is not None and not live.listening
        notices = app.window.notices
        qtbot.waitUntil(notices.isVisible, timeout=5_000)
        assert "Live refresh is off" in notices.text.text() and "session URL" in notices.text.text()
    finally:
        app.close()


def test_the_listener_listens_again_after_its_connection_is_killed(
    database_url: str, runtime_on: Any, run: Run, qtbot: Any
) -> None:
    runtime = runtime_on(database_url)
    live = runtime.session.live
    reloads: list[bool] = []
    live.reload_needed.connect(lambda: reloads.append(True))
    instance = runtime.session.address.instance
    killed = run(
        runtime.session.pool.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1 AND query LIKE 'LISTEN%'",
            instance,
        )
    )
    assert killed == 1

    qtbot.waitUntil(lambda: bool(reloads), timeout=30_000)  # listening again, and the pages told to reload
    assert live.listening
    seen: list[object] = []
    runtime.session.stories.story_changed.connect(seen.append)

    async def another_device_writes() -> uuid.UUID:
        other = await asyncpg.connect(database_url, server_settings={"application_name": "storyforge-9-0ther0ne"})
        try:
            story_id = uuid.uuid4()
            await other.execute(
                "INSERT INTO stories (id, user_id, title, prompt, scene_count, status)"
                " VALUES ($1, $2, 'After the Drop', 'A radio operator keeps listening.', 1, 'complete')",
                story_id, uuid.uuid4(),
            )  # fmt: skip
            return story_id
        finally:
            await other.close()

    story_id = run(another_device_writes())
    qtbot.waitUntil(lambda: any(getattr(story, "id", None) == story_id for story in seen), timeout=10_000)
