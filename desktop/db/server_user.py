"""Whom the embedded server runs as, and running its commands as that user.

PostgreSQL refuses to run as root. Run as root (a container, a kiosk), Storyforge runs the server as an unprivileged
system user (`postgres` if there is one, else `storyforge-db`, created when first needed) and makes the folders and
files that user needs, owned by it. As a normal user, everything runs as that user.
"""

from __future__ import annotations

import logging
import os
import pwd
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SERVICE_USER = "storyforge-db"


class EmbeddedPostgresError(RuntimeError):
    """A failure the user can read; technical details are in `__cause__` and the log."""


class CommandFailed(Exception):
    """Output of a failed command, chained as the cause of an EmbeddedPostgresError."""


@dataclass(frozen=True)
class RunAs:
    uid: int
    gid: int
    name: str

    @property
    def is_other_user(self) -> bool:
        return self.uid != os.geteuid()


def run_as(
    command: Sequence[str],
    user: RunAs,
    *,
    timeout: float,
    stdin_text: str | None = None,
    new_session: bool = False,
) -> subprocess.CompletedProcess[str]:
    # PG* variables (PGDATA, PGPORT, ...) from the user's shell would override what we pass.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    try:
        return subprocess.run(
            list(command),
            input=stdin_text,
            stdin=None if stdin_text is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd="/",
            env=env,
            start_new_session=new_session,
            check=False,
            user=user.uid if user.is_other_user else None,
            group=user.gid if user.is_other_user else None,
            extra_groups=[] if user.is_other_user else None,
        )
    except subprocess.TimeoutExpired as exc:
        name = Path(command[0]).name
        raise EmbeddedPostgresError(f"The database command {name} did not finish in time.") from exc
    except OSError as exc:
        raise EmbeddedPostgresError(f"The database command {command[0]} could not be run.") from exc


def describe(result: subprocess.CompletedProcess[str]) -> str:
    command = " ".join(map(str, result.args))
    return f"$ {command}\nexit code {result.returncode}\n{result.stdout}{result.stderr}"


def server_user(cluster: Path) -> RunAs:
    if os.geteuid() != 0:
        return RunAs(os.geteuid(), os.getegid(), pwd.getpwuid(os.geteuid()).pw_name)
    # An existing cluster keeps running as whoever owns it.
    try:
        owner = cluster.stat().st_uid
    except FileNotFoundError:
        owner = 0
    if owner != 0:
        entry = pwd.getpwuid(owner)
        return RunAs(entry.pw_uid, entry.pw_gid, entry.pw_name)
    for name in ("postgres", SERVICE_USER):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return RunAs(entry.pw_uid, entry.pw_gid, entry.pw_name)
    return _create_service_user()


_USERADD_FAILED = f"Could not create the system user {SERVICE_USER} to run the database."


def _create_service_user() -> RunAs:
    log.info("Creating the system user %s to run PostgreSQL", SERVICE_USER)
    command = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EmbeddedPostgresError(_USERADD_FAILED) from exc
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise EmbeddedPostgresError(_USERADD_FAILED) from CommandFailed(describe(result))
    return RunAs(entry.pw_uid, entry.pw_gid, entry.pw_name)


def make_dir(path: Path, mode: int, owner: RunAs | None = None, *, must_be_private: bool = False) -> None:
    """Create `path` with `mode` (and `owner`); an existing folder is never changed, only checked if asked."""
    try:
        path.mkdir(mode=mode)
    except FileExistsError:
        if must_be_private:
            _check_private_dir(path, owner)
        return
    path.chmod(mode)  # mkdir's mode is filtered by the umask
    if owner is not None and os.geteuid() == 0:
        os.chown(path, owner.uid, owner.gid)


def _check_private_dir(path: Path, owner: RunAs | None) -> None:
    info = path.lstat()
    expected_uid = owner.uid if owner is not None else os.geteuid()
    if not path.is_dir() or path.is_symlink() or info.st_uid != expected_uid or info.st_mode & 0o077:
        raise EmbeddedPostgresError(
            f"The database socket folder {path} is not a private folder of user {expected_uid}; "
            "remove it and try again."
        )


def write_owned(path: Path, text: str, owner: RunAs) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    if os.geteuid() == 0:
        os.chown(path, owner.uid, owner.gid)
