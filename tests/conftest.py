"""One qasync loop for the session, a real PostgreSQL started by the session, and a fresh database per test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import asyncio
import shutil
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest
import qasync
from PySide6.QtWidgets import QApplication

from desktop.db.connect import open_pool
from desktop.db.embedded import EmbeddedPostgres
from desktop.db.migrate import migrate
from desktop.db.repositories import SceneRepository, StoryRepository
from desktop.db.server_user import EmbeddedPostgresError
from desktop.qt.loop import EventLoop

T = TypeVar("T")
Run = Callable[..., Any]
TEMPLATE_DB = "storyforge_template"

pytest_plugins = [
    "tests.support.generation_fixtures",
    "tests.support.storage_fixtures",
    "tests.support.ui_fixtures",
    "tests.support.workbench_fixtures",
    "tests.support.pgbouncer",
]


@pytest.fixture
def app_data_dir(tmp_path: Path) -> Iterator[Path]:
    """The test's data folder (STORYFORGE_DATA_DIR points here; pass it as --data-dir too).

    Afterwards an embedded PostgreSQL the app left on it is stopped and its cluster removed: as root the cluster
    lives outside the folder (EmbeddedPostgres.cluster_dir), where tmp_path's clean-up never reaches it.
    """
    data = tmp_path / "data"
    yield data
    remove_embedded_cluster(EmbeddedPostgres(data / "postgres"), keep_under=tmp_path)


def remove_embedded_cluster(server: EmbeddedPostgres, keep_under: Path) -> None:
    """Stop `server` if it runs, then delete its cluster and socket folders that lie outside `keep_under`."""
    try:
        sockets: Path | None = Path(parse_qs(urlsplit(server.dsn).query)["host"][0])
    except EmbeddedPostgresError:  # never set up: nothing was made
        sockets = None
    try:
        server.stop()
    finally:
        for folder in (server.cluster_dir, sockets):
            if folder is not None and not folder.is_relative_to(keep_under):
                shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def isolated_environment(app_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real settings, log folder, data folder or keyring."""
    for name in [key for key in os.environ if key.startswith("STORYFORGE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("STORYFORGE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("STORYFORGE_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("STORYFORGE_DATA_DIR", str(app_data_dir))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


@pytest.fixture(scope="session")
def loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """The session's one loop: Qt's, driven by qtbot.waitUntil / waitSignal while a test waits."""
    event_loop = EventLoop(qapp, already_running=True)
    # qasync makes its default executor (ten QThreads) on the first run_in_executor(None, …) — asyncio.to_thread,
    # getaddrinfo for a host name — and stops it only in close(), which a running loop refuses: at exit Qt aborts
    # with "QThread: Destroyed while thread '' is still running". So the session owns that executor and stops it.
    default_executor = qasync.QThreadExecutor(max_workers=4)
    event_loop.set_default_executor(default_executor)
    yield event_loop
    default_executor.shutdown(wait=True)


@pytest.fixture
def run(qtbot: Any, loop: asyncio.AbstractEventLoop) -> Run:
    """Run a coroutine on the session loop and return its result, waiting at most `timeout` seconds."""

    def run_coroutine(coro: Coroutine[Any, Any, T] | Awaitable[T], timeout: float = 30.0) -> T:
        task = asyncio.ensure_future(coro, loop=loop)
        try:
            qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        except BaseException:
            task.cancel()
            qtbot.waitUntil(task.done, timeout=5000)
            raise
        return task.result()

    return run_coroutine


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL for the whole session; tests copy their databases from a migrated template."""
    server = EmbeddedPostgres(tmp_path_factory.mktemp("postgres"))
    admin_dsn = server.start()
    try:
        yield admin_dsn
    finally:
        server.stop()
        if server.cluster_dir.exists():
            shutil.rmtree(server.cluster_dir, ignore_errors=True)


_templates_made: set[str] = set()


async def _create_template(admin_dsn: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
        await conn.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    finally:
        await conn.close()
    template = await asyncpg.connect(with_database(admin_dsn, TEMPLATE_DB))
    try:
        await migrate(template)
    finally:
        await template.close()


def with_database(dsn: str, name: str) -> str:
    head, _, query = dsn.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


@pytest.fixture
def database_url(postgres_server: str, run: Run) -> Iterator[str]:
    """A fresh, migrated database of its own for each test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    if postgres_server not in _templates_made:
        run(_create_template(postgres_server))
        _templates_made.add(postgres_server)
    run(admin(postgres_server, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
    yield with_database(postgres_server, name)
    run(admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def admin(server_dsn: str, sql: str) -> None:
    """One statement on the session's server, outside any test database (CREATE / DROP DATABASE)."""
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def pool(database_url: str, run: Run) -> Iterator[asyncpg.Pool]:
    db_pool = run(open_pool(database_url))
    yield db_pool
    run(db_pool.close())


@pytest.fixture
def stories(pool: asyncpg.Pool) -> StoryRepository:
    return StoryRepository(pool)


@pytest.fixture
def scenes(pool: asyncpg.Pool) -> SceneRepository:
    return SceneRepository(pool)
