"""EmbeddedPostgres against real PostgreSQL servers: cold and warm starts, reuse, crash recovery, root."""

from __future__ import annotations

import importlib.util
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest

from desktop.db import server_binaries
from desktop.db.embedded import EmbeddedPostgres
from desktop.db.server_user import EmbeddedPostgresError

MakeServer = Callable[..., EmbeddedPostgres]


class Db:
    """SQL through asyncpg on the session's loop."""

    def __init__(self, run: Callable[..., Any]) -> None:
        self._run = run

    def query(self, dsn: str, sql: str) -> list[Any]:
        async def fetch() -> list[Any]:
            connection = await asyncpg.connect(dsn)
            try:
                return [tuple(row) for row in await connection.fetch(sql)]
            finally:
                await connection.close()

        return list(self._run(fetch()))

    def execute(self, dsn: str, sql: str) -> None:
        async def execute() -> None:
            connection = await asyncpg.connect(dsn)
            try:
                await connection.execute(sql)
            finally:
                await connection.close()

        self._run(execute())


@pytest.fixture
def db(run: Callable[..., Any]) -> Db:
    return Db(run)


def postmaster_pid(server: EmbeddedPostgres) -> int:
    return int((server.cluster_dir / "postmaster.pid").read_text().splitlines()[0])


def socket_dir(dsn: str) -> Path:
    return Path(parse_qs(urlsplit(dsn).query)["host"][0])


def kill_and_wait(pid: int) -> None:
    """SIGKILL `pid` and wait until it has exited (it may stay a zombie: nothing here reaps it)."""
    pidfd = os.pidfd_open(pid)
    try:
        os.kill(pid, signal.SIGKILL)
        readable, _, _ = select.select([pidfd], [], [], 10)
        assert readable, f"process {pid} did not exit"
    finally:
        os.close(pidfd)


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[MakeServer]:
    """Build servers on data folders under tmp_path; stop them and remove what they created outside it."""
    servers: list[EmbeddedPostgres] = []

    def make(data_dir: Path | None = None) -> EmbeddedPostgres:
        server = EmbeddedPostgres(data_dir or tmp_path / "postgres")
        servers.append(server)
        return server

    yield make
    for server in servers:
        try:
            sockets: Path | None = socket_dir(server.dsn)
        except EmbeddedPostgresError:
            sockets = None
        server.stop()
        if not server.cluster_dir.is_relative_to(tmp_path):
            shutil.rmtree(server.cluster_dir, ignore_errors=True)
        if sockets is not None and not sockets.is_relative_to(server.cluster_dir):
            shutil.rmtree(sockets, ignore_errors=True)


def test_cold_start_creates_the_cluster_and_the_dsn_connects(db: Db, make_server: MakeServer, tmp_path: Path) -> None:
    # A long path: as a normal user the socket cannot live inside the cluster folder.
    server = make_server(tmp_path / ("d" * 80) / "postgres")
    assert not server.is_running()

    dsn = server.start()

    assert server.is_running()
    assert (server.cluster_dir / "PG_VERSION").is_file()
    assert len(str(socket_dir(dsn) / ".s.PGSQL.65535").encode()) <= 100
    assert db.query(dsn, "SELECT current_database(), current_user") == [("storyforge", "storyforge")]
    settings = db.query(
        dsn,
        "SELECT current_setting('listen_addresses'), current_setting('max_connections'),"
        " current_setting('fsync'), current_setting('server_encoding')",
    )
    assert settings == [("", "40", "on", "UTF8")]
    assert stat.S_IMODE(socket_dir(dsn).stat().st_mode) == 0o700


def test_warm_start_keeps_the_data_and_starting_twice_is_harmless(
    db: Db, make_server: MakeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    server = make_server(Path("relative") / "postgres")
    dsn = server.start()
    assert server.start() == dsn
    db.execute(dsn, "CREATE TABLE note (body text); INSERT INTO note VALUES ('kept')")

    server.stop()
    assert not server.is_running()
    server.stop()
    assert server.start() == dsn

    assert db.query(dsn, "SELECT body FROM note") == [("kept",)]


class OtherApp:
    """Another Storyforge process on the same data folder: it starts (or reuses) the server and keeps using it."""

    def __init__(self, data_dir: Path) -> None:
        code = (
            "import sys; from pathlib import Path; from desktop.db.embedded import EmbeddedPostgres;"
            "server = EmbeddedPostgres(Path(sys.argv[1])); print(server.start(), flush=True); sys.stdin.read()"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(data_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.dsn = self.process.stdout.readline().strip()
        assert self.dsn.startswith("postgresql://"), "the other process could not start the server"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)


def test_a_server_left_running_by_a_killed_app_is_reused_and_then_stopped(
    db: Db, make_server: MakeServer, tmp_path: Path
) -> None:
    killed = OtherApp(tmp_path / "postgres")
    pid = int((EmbeddedPostgres(tmp_path / "postgres").cluster_dir / "postmaster.pid").read_text().split()[0])
    killed.kill()

    server = make_server(tmp_path / "postgres")
    assert server.is_running()
    assert server.start() == killed.dsn
    assert postmaster_pid(server) == pid
    assert db.query(killed.dsn, "SELECT 1") == [(1,)]

    assert server.stop()
    assert not server.is_running()


def test_a_process_leaving_does_not_stop_the_server_another_process_uses(
    db: Db, make_server: MakeServer, tmp_path: Path
) -> None:
    window = OtherApp(tmp_path / "postgres")
    try:
        for _ in range(3):  # CLI commands come and go beside the open window
            command = make_server(tmp_path / "postgres")
            assert command.start() == window.dsn
            assert not command.stop()
            assert db.query(window.dsn, "SELECT 1") == [(1,)]
    finally:
        window.kill()

    # The window was killed: the last process to leave now stops the server.
    last = make_server(tmp_path / "postgres")
    last.start()
    assert last.stop()
    assert not last.is_running()


def test_two_users_in_one_process_share_the_server_too(db: Db, make_server: MakeServer) -> None:
    first, second = make_server(), make_server()
    dsn = first.start()
    assert second.start() == dsn

    assert not first.stop()
    assert db.query(dsn, "SELECT 1") == [(1,)]
    assert second.stop()
    assert not first.is_running()


def test_start_recovers_after_the_server_was_killed(db: Db, make_server: MakeServer) -> None:
    server = make_server()
    dsn = server.start()
    db.execute(dsn, "CREATE TABLE note (body text); INSERT INTO note VALUES ('committed')")
    kill_and_wait(postmaster_pid(server))
    assert not server.is_running()

    assert server.start() == dsn

    assert db.query(dsn, "SELECT body FROM note") == [("committed",)]


def test_an_interrupted_setup_is_redone(db: Db, make_server: MakeServer) -> None:
    server = make_server()
    server.cluster_dir.mkdir(parents=True)
    (server.cluster_dir / "base").mkdir()

    dsn = server.start()

    assert db.query(dsn, "SELECT current_database()") == [("storyforge",)]


def test_a_server_that_cannot_start_names_its_log(make_server: MakeServer) -> None:
    server = make_server()
    server.start()
    server.stop()
    with (server.cluster_dir / "postgresql.conf").open("a") as conf:
        conf.write("\nshared_buffers = 'not a size'\n")

    with pytest.raises(EmbeddedPostgresError) as caught:
        server.start()

    assert str(server.log_file) in str(caught.value)
    assert "shared_buffers" in str(caught.value.__cause__)
    assert not server.is_running()


@pytest.mark.skipif(importlib.util.find_spec("pgserver") is None, reason="pgserver is not installed")
def test_pgserver_binaries_are_used_without_system_ones(
    db: Db, make_server: MakeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server = make_server()
    with monkeypatch.context() as patch:
        patch.setattr(server_binaries, "SYSTEM_PG_ROOT", tmp_path / "no-system-postgres")
        patch.setenv("PATH", str(tmp_path / "empty-path"))
        dsn = server.start()

    assert db.query(dsn, "SHOW server_version")[0][0].startswith("16.")
    # With the system's binaries back, the cluster still gets the version that made it.
    server.stop()
    assert db.query(server.start(), "SHOW server_version")[0][0].startswith("16.")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_as_root_no_folder_is_loosened_and_the_server_is_not_root(make_server: MakeServer, tmp_path: Path) -> None:
    data_dir = tmp_path / "user-data" / "postgres"
    server = make_server(data_dir)
    watched = {p for p in [*data_dir.parents, *server.cluster_dir.parents, Path("/tmp")] if p.exists()}
    modes_before = {p: (p.stat().st_mode, p.stat().st_uid, p.stat().st_gid) for p in watched}

    server.start()

    assert {p: (p.stat().st_mode, p.stat().st_uid, p.stat().st_gid) for p in watched} == modes_before
    status = Path(f"/proc/{postmaster_pid(server)}/status").read_text()
    real_uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
    assert real_uid != "0"
    assert server.cluster_dir.stat().st_uid == int(real_uid)
    assert stat.S_IMODE(server.cluster_dir.stat().st_mode) == 0o700
    assert str(server.cluster_dir) in (data_dir / "cluster-location.txt").read_text()
