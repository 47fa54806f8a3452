"""PgBouncer in transaction mode in front of the test session's PostgreSQL: Supabase's default connection string
(its Supavisor pooler on port 6543) as the tests can have it on loopback.

Each transaction may run on another server session, as with Supabase's pooler: prepared statements and session
state (LISTEN, session advisory locks) do not survive from one transaction to the next.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
MISSING = "pgbouncer is not installed here — `apt-get install pgbouncer` (.ci/run installs it)"


class PgBouncer:
    def __init__(self, server_dsn: str, folder: Path) -> None:
        query = parse_qs(urlsplit(server_dsn).query)
        self.port = _free_port()
        user = urlsplit(server_dsn).username or "storyforge"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "users.txt").write_text(f'"{user}" ""\n', encoding="utf-8")
        (folder / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={query['host'][0]} port={query['port'][0]}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {folder / 'users.txt'}\n"
            "pool_mode = transaction\n"
            "max_client_conn = 400\n"
            "default_pool_size = 2\n"  # few server sessions: transactions of one client do move between them
            "server_reset_query =\n"
            "ignore_startup_parameters = extra_float_digits\n"
            "admin_users = " + user + "\n",
            encoding="utf-8",
        )
        command = [BINARY, str(folder / "pgbouncer.ini")]
        if os.geteuid() == 0:  # PgBouncer refuses root; it runs as the user the test server runs as
            owner = pwd.getpwnam("postgres")
            for path in (folder, folder / "users.txt", folder / "pgbouncer.ini"):
                os.chown(path, owner.pw_uid, owner.pw_gid)
            command[1:1] = ["-u", "postgres"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.log: deque[str] = deque(maxlen=200)
        up = threading.Event()
        # Its log is read all along: a full pipe would stop it.
        threading.Thread(target=self._read_log, args=(up,), daemon=True, name="pgbouncer-log").start()
        if not up.wait(timeout=30) or self.process.poll() is not None:
            raise RuntimeError(f"pgbouncer did not start: {''.join(self.log)}")

    def _read_log(self, up: threading.Event) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            if "process up" in line:
                up.set()
        up.set()  # it exited

    def url_for(self, database_url: str) -> str:
        """The same database through the pooler, marked as a transaction-mode pooler's URL."""
        parts = urlsplit(database_url)
        user = parts.username or "storyforge"
        return f"postgresql://{user}@127.0.0.1:{self.port}{parts.path}?pgbouncer=true"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def pgbouncer(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgBouncer]:
    if not Path(BINARY).is_file():
        pytest.skip(MISSING)
    bouncer = PgBouncer(postgres_server, tmp_path_factory.mktemp("pgbouncer"))
    yield bouncer
    bouncer.stop()


@pytest.fixture
def pooled_url(pgbouncer: PgBouncer, database_url: str) -> str:
    """The test's own database, reached as through Supabase's default (transaction-mode) connection string."""
    assert pgbouncer.process.poll() is None, "pgbouncer stopped:\n" + "".join(pgbouncer.log)
    return pgbouncer.url_for(database_url)
