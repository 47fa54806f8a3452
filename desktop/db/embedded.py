"""Run the app's own PostgreSQL cluster, reachable only through a Unix socket.

Everything here blocks: callers run `EmbeddedPostgres.start()` and friends on a worker thread.

Layout:
- As a normal user the cluster is `<postgres_dir>/cluster`.
- As root (PostgreSQL refuses to run as root) the server runs as an unprivileged user, and the cluster
  lives in `/var/lib/storyforge/clusters/<hash of postgres_dir>`, because `postgres_dir` may sit in a folder that
  user cannot enter (such as /root). `<postgres_dir>/cluster-location.txt` points there.
- The socket folder is `<cluster>/socket`, or `/tmp/storyforge-<hash>` when that path would be too long for a
  Unix socket name.

Sharing: any number of Storyforge processes on one data folder use one server. Each holds a shared `flock` on
`<postgres_dir>/.embedded-postgres.users` from `start()` until `stop()`; `stop()` stops the server only when it can take
that lock exclusively, i.e. when no other process still uses it. The kernel drops a killed process's lock with its
file descriptors, so a crash can neither leave the others without their server nor keep it running forever.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import quote

from desktop.db.server_binaries import Binaries, choose_binaries
from desktop.db.server_user import (
    CommandFailed,
    EmbeddedPostgresError,
    RunAs,
    describe,
    make_dir,
    run_as,
    server_user,
    write_owned,
)

log = logging.getLogger(__name__)

DB_NAME = "storyforge"
DB_USER = "storyforge"
ROOT_HOME = Path("/var/lib/storyforge")
SETTINGS_FILE = "storyforge.conf"
SERVER_LOG = "server.log"
POINTER_FILE = "cluster-location.txt"
INITDB_LOG = "initdb.log"
# sun_path holds 108 bytes on Linux; stay clearly below it.
MAX_SOCKET_PATH_BYTES = 100
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30
COMMAND_TIMEOUT_S = 120
MAX_SERVER_LOG_BYTES = 10 * 1024 * 1024
LOG_TAIL_LINES = 30

LOCK_FILE = ".embedded-postgres.lock"
USERS_FILE = ".embedded-postgres.users"

# start() and stop() must not interleave, neither between threads nor between app instances.
_thread_lock = threading.Lock()


@dataclass(frozen=True)
class _PidFile:
    pid: int
    port: int
    socket_dir: str
    status: str


class _UsersLease:
    """This object's share of the server: a shared `flock` on the users file, held while the server is in use."""

    def __init__(self) -> None:
        self._handle: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def take(self, path: Path) -> None:
        if self._handle is not None:
            return
        handle = path.open("a")
        fcntl.flock(handle, fcntl.LOCK_SH)  # only a stopping process holds it exclusively, under the start lock
        self._handle = handle

    def drop(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()  # closing the descriptor releases the lock


def _anyone_else_using(path: Path) -> bool:
    """Whether another holder (process, or another object in this one) has a share of the server."""
    try:
        handle = path.open("a")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


@dataclass(frozen=True)
class EmbeddedPostgres:
    """The PostgreSQL cluster kept for the app in `postgres_dir` (`postgres` in the data folder). Construction does
    no I/O."""

    postgres_dir: Path
    _lease: _UsersLease = field(default_factory=_UsersLease, compare=False, repr=False)

    @property
    def cluster_dir(self) -> Path:
        if os.geteuid() == 0:
            return ROOT_HOME / "clusters" / self._key
        return self._postgres_dir / "cluster"

    @property
    def log_file(self) -> Path:
        return self.cluster_dir / SERVER_LOG

    @property
    def dsn(self) -> str:
        pid_file = _live_pid_file(self.cluster_dir)
        if pid_file is not None and pid_file.socket_dir:
            return _make_dsn(pid_file.socket_dir, pid_file.port)
        settings = _read_settings(self.cluster_dir / SETTINGS_FILE)
        if "port" in settings and "unix_socket_directories" in settings:
            return _make_dsn(settings["unix_socket_directories"], int(settings["port"]))
        raise EmbeddedPostgresError("The database has not been set up yet; start it first.")

    def start(self) -> str:
        """Create the cluster if needed, start the server (or reuse a running one) and return its DSN."""
        self._postgres_dir.mkdir(parents=True, exist_ok=True)
        with _thread_lock, _file_lock(self._postgres_dir / LOCK_FILE):
            cluster = self.cluster_dir
            self._prepare_folders()
            user = server_user(cluster)
            pid_file = _wait_until_settled(cluster)
            version = _cluster_version(cluster)
            binaries = choose_binaries(version, user)
            if pid_file is not None and _pg_ctl_status(binaries, cluster, user):
                log.info("Reusing the PostgreSQL server running for %s (pid %d)", cluster, pid_file.pid)
            else:
                _remove_stale_lock_files(cluster)
                if version is None:
                    self._init_cluster(binaries, user)
                self._write_settings(user)
                self._start_server(binaries, user)
            dsn = self.dsn
            # Taken under the start lock: a process stopping the server holds that lock while it checks for users.
            self._lease.take(self._postgres_dir / USERS_FILE)
            return dsn

    def stop(self) -> bool:
        """Give up this object's use of the server, and stop it (fast shutdown) unless another Storyforge process
        still uses it. True when it stopped a running server."""
        if not self._postgres_dir.is_dir():
            return False  # never set up here
        with _thread_lock, _file_lock(self._postgres_dir / LOCK_FILE):
            self._lease.drop()
            cluster = self.cluster_dir
            if _live_pid_file(cluster) is None:
                return False
            if _anyone_else_using(self._postgres_dir / USERS_FILE):
                log.info("Leaving the PostgreSQL server for %s running: another Storyforge process uses it", cluster)
                return False
            user = server_user(cluster)
            binaries = choose_binaries(_cluster_version(cluster), user)
            log.info("Stopping the PostgreSQL server for %s", cluster)
            started = time.monotonic()
            command = [binaries("pg_ctl"), "stop", "-D", str(cluster), "-m", "fast", "-w"]
            command += ["-t", str(STOP_TIMEOUT_S)]
            result = run_as(command, user, timeout=STOP_TIMEOUT_S + 15)
            if result.returncode != 0 and _live_pid_file(cluster) is not None:
                raise EmbeddedPostgresError(
                    f"The database server did not stop; see the server log at {self.log_file}."
                ) from CommandFailed(describe(result) + _tail(self.log_file))
            log.info("PostgreSQL stopped in %.2f s", time.monotonic() - started)
            return True

    def is_running(self) -> bool:
        cluster = self.cluster_dir
        if _live_pid_file(cluster) is None:
            return False
        user = server_user(cluster)
        return _pg_ctl_status(choose_binaries(_cluster_version(cluster), user), cluster, user)

    @property
    def _key(self) -> str:
        return hashlib.sha256(str(self._postgres_dir.resolve()).encode()).hexdigest()[:16]

    @property
    def _postgres_dir(self) -> Path:
        # Commands run with "/" as their working folder, so every path handed to them must be absolute.
        return Path(self.postgres_dir).expanduser().absolute()

    def _prepare_folders(self) -> None:
        if os.geteuid() != 0:
            return
        make_dir(ROOT_HOME, 0o755)
        make_dir(ROOT_HOME / "clusters", 0o755)
        pointer = self._postgres_dir / POINTER_FILE
        text = f"The PostgreSQL cluster for this folder is in {self.cluster_dir}\n"
        if not pointer.is_file() or pointer.read_text(encoding="utf-8") != text:
            pointer.write_text(text, encoding="utf-8")

    def _init_cluster(self, binaries: Binaries, user: RunAs) -> None:
        cluster = self.cluster_dir
        # Build the cluster next to its final place and rename it at the end, so an interrupted
        # setup never leaves a half-made cluster behind.
        staging = cluster.with_name(cluster.name + ".init")
        if staging.exists():
            log.info("Removing an unfinished cluster setup at %s", staging)
            shutil.rmtree(staging)
        make_dir(staging, 0o700, user)
        log.info("Creating a PostgreSQL %s cluster at %s with %s", binaries.major, cluster, binaries.bin_dir)
        started = time.monotonic()
        initdb = run_as(
            [
                binaries("initdb"),
                "-D",
                str(staging),
                "-U",
                DB_USER,
                "--auth-local=trust",
                "--auth-host=reject",
                "--encoding=UTF8",
                "--locale=C",
                "--lc-ctype=C.UTF-8",
                "--no-instructions",
            ],
            user,
            timeout=COMMAND_TIMEOUT_S,
        )
        self._check_setup_step(initdb, "initdb")
        create_db = run_as(
            [binaries("postgres"), "--single", "-D", str(staging), "-c", "listen_addresses=", "postgres"],
            user,
            timeout=COMMAND_TIMEOUT_S,
            stdin_text=f"CREATE DATABASE {DB_NAME};\n",
        )
        # Single-user mode exits 0 even when a statement fails, so look at what it printed too.
        if "ERROR:" in create_db.stderr or "FATAL:" in create_db.stderr:
            create_db = subprocess.CompletedProcess(create_db.args, 1, create_db.stdout, create_db.stderr)
        self._check_setup_step(create_db, "CREATE DATABASE")
        with (staging / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"\n# Storyforge settings\ninclude_if_exists '{SETTINGS_FILE}'\n")
        staging.rename(cluster)
        log.info("Cluster created in %.2f s", time.monotonic() - started)

    def _check_setup_step(self, result: subprocess.CompletedProcess[str], step: str) -> None:
        if result.returncode == 0:
            return
        details = describe(result)
        log_path = self._postgres_dir / INITDB_LOG
        log_path.write_text(details, encoding="utf-8")
        log.error("%s failed:\n%s", step, details)
        message = f"Setting up the database failed; details are in {log_path}."
        raise EmbeddedPostgresError(message) from CommandFailed(details)

    def _write_settings(self, user: RunAs) -> None:
        cluster = self.cluster_dir
        settings_path = cluster / SETTINGS_FILE
        old_port = _read_settings(settings_path).get("port")
        port = int(old_port) if old_port else _pick_port()
        socket_dir = self._socket_dir(port)
        make_dir(socket_dir, 0o700, user, must_be_private=True)
        text = (
            "# Written by Storyforge on every start; edits are overwritten.\n"
            "listen_addresses = ''\n"
            f"port = {port}\n"
            f"unix_socket_directories = '{_conf_quote(str(socket_dir))}'\n"
            "max_connections = 40\n"
            "shared_buffers = 32MB\n"
        )
        if not settings_path.is_file() or settings_path.read_text(encoding="utf-8") != text:
            write_owned(settings_path, text, user)

    def _socket_dir(self, port: int) -> Path:
        inside = self.cluster_dir / "socket"
        socket_path = inside / f".s.PGSQL.{port}"
        # A comma would split the folder list in the server settings and the host list in the DSN.
        if len(str(socket_path).encode()) <= MAX_SOCKET_PATH_BYTES and "," not in str(inside):
            return inside
        return Path(f"/tmp/storyforge-{self._key}")

    def _start_server(self, binaries: Binaries, user: RunAs) -> None:
        log_file = self.log_file
        _rotate_log(log_file)
        log.info("Starting PostgreSQL %s for %s", binaries.major, self.cluster_dir)
        started = time.monotonic()
        result = run_as(
            [
                binaries("pg_ctl"),
                "start",
                "-D",
                str(self.cluster_dir),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-l",
                str(log_file),
            ],
            user,
            timeout=START_TIMEOUT_S + 15,
            # Keep the server out of the app's process group so a Ctrl+C aimed at the app does not reach it.
            new_session=True,
        )
        if result.returncode != 0:
            details = describe(result) + _tail(log_file)
            log.error("PostgreSQL did not start:\n%s", details)
            raise EmbeddedPostgresError(
                f"The database server did not start; see the server log at {log_file}."
            ) from CommandFailed(details)
        log.info("PostgreSQL started in %.2f s", time.monotonic() - started)


# --- processes ------------------------------------------------------------------------------------


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tail(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return f"\nlast lines of {path}:\n" + "\n".join(lines[-LOG_TAIL_LINES:])


def _pg_ctl_status(binaries: Binaries, cluster: Path, user: RunAs) -> bool:
    result = run_as([binaries("pg_ctl"), "status", "-D", str(cluster)], user, timeout=COMMAND_TIMEOUT_S)
    return result.returncode == 0


# --- cluster state --------------------------------------------------------------------------------


def _cluster_version(cluster: Path) -> str | None:
    """PG_VERSION of the cluster; wipes a cluster folder that never finished being set up."""
    version_file = cluster / "PG_VERSION"
    if version_file.is_file():
        return version_file.read_text(encoding="utf-8").strip()
    if cluster.exists():
        log.info("Removing the unfinished cluster at %s", cluster)
        shutil.rmtree(cluster)
    return None


def _read_pid_file(cluster: Path) -> _PidFile | None:
    try:
        lines = (cluster / "postmaster.pid").read_text(encoding="utf-8").splitlines()
        pid = int(lines[0])
    except (OSError, ValueError, IndexError):
        return None
    # Lines: pid, data dir, start time, port, socket dir, listen address, shared memory key, status.
    fields = lines + [""] * (8 - len(lines))
    port = int(fields[3]) if fields[3].strip().isdigit() else 0
    return _PidFile(pid=pid, port=port, socket_dir=fields[4].strip(), status=fields[7].strip())


def _is_our_postmaster(pid: int, cluster: Path) -> bool:
    """Whether `pid` is a live (not zombie) postgres process whose working folder is `cluster`."""
    proc = Path(f"/proc/{pid}")
    try:
        stat = (proc / "stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    except OSError:
        return _pid_alive(pid)
    if stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
        return False
    if stat[stat.find("(") + 1 : stat.rfind(")")] != "postgres":
        return False
    try:
        # The postmaster runs inside its data folder; this rules out a reused PID.
        return os.path.samefile(os.readlink(proc / "cwd"), cluster)
    except OSError:
        return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _live_pid_file(cluster: Path) -> _PidFile | None:
    pid_file = _read_pid_file(cluster)
    if pid_file is None or not _is_our_postmaster(pid_file.pid, cluster):
        return None
    return pid_file


def _wait_until_settled(cluster: Path) -> _PidFile | None:
    """The live server's pid file once it is ready, or None if none runs; waits while one starts or stops."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        pid_file = _live_pid_file(cluster)
        if pid_file is None or pid_file.status == "ready" or time.monotonic() > deadline:
            return pid_file
        time.sleep(0.05)


def _remove_stale_lock_files(cluster: Path) -> None:
    """Remove the lock files of a server that is gone (killed, or a zombie nobody reaped)."""
    stale = _read_pid_file(cluster)
    if stale is None or _live_pid_file(cluster) is not None:
        return
    # Postgres clears these itself only when their PID is gone; a zombie or a reused PID blocks the start.
    socket_lock = Path(stale.socket_dir) / f".s.PGSQL.{stale.port}.lock" if stale.socket_dir else None
    if socket_lock is not None and _lock_file_pid(socket_lock) == stale.pid:
        log.info("Removing the stale %s", socket_lock)
        socket_lock.unlink(missing_ok=True)
    log.info("Removing the stale %s", cluster / "postmaster.pid")
    (cluster / "postmaster.pid").unlink(missing_ok=True)


def _lock_file_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="utf-8").split("\n", 1)[0])
    except (OSError, ValueError):
        return None


# --- files and settings ---------------------------------------------------------------------------


def _read_settings(path: Path) -> dict[str, str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    settings: dict[str, str] = {}
    for line in lines:
        match = re.fullmatch(r"\s*(\w+)\s*=\s*(?:'((?:[^']|'')*)'|(\S+))\s*", line)
        if match:
            value = match.group(2).replace("''", "'") if match.group(2) is not None else match.group(3)
            settings[match.group(1)] = value
    return settings


def _conf_quote(value: str) -> str:
    return value.replace("'", "''")


def _pick_port() -> int:
    # Only the socket name uses the port, but a number no one else uses keeps things unambiguous.
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])
    except OSError:
        return 5432


def _rotate_log(log_file: Path) -> None:
    try:
        if log_file.stat().st_size > MAX_SERVER_LOG_BYTES:
            log_file.replace(log_file.with_name(log_file.name + ".1"))
    except FileNotFoundError:
        pass


def _make_dsn(socket_dir: str, port: int) -> str:
    return f"postgresql://{DB_USER}@/{DB_NAME}?host={quote(socket_dir, safe='/')}&port={port}"
