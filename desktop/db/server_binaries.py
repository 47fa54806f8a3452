"""Finding a PostgreSQL server to run: the system's packages (newest first), else the `pgserver` wheel's binaries
(or the copy a PyInstaller bundle carries), and the one whose major version matches an existing cluster."""

from __future__ import annotations

import importlib.util
import logging
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from desktop.db.server_user import EmbeddedPostgresError, RunAs, run_as

log = logging.getLogger(__name__)

SYSTEM_PG_ROOT = Path("/usr/lib/postgresql")
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")


@dataclass(frozen=True)
class Binaries:
    bin_dir: Path
    major: str

    def __call__(self, name: str) -> str:
        return str(self.bin_dir / name)


def _has_server_binaries(bin_dir: Path) -> bool:
    return all((bin_dir / name).is_file() for name in SERVER_BINARIES)


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split("."))


def system_bin_dirs() -> list[Path]:
    dirs: list[Path] = []
    if SYSTEM_PG_ROOT.is_dir():
        versions = [p for p in SYSTEM_PG_ROOT.iterdir() if re.fullmatch(r"\d+(\.\d+)?", p.name)]
        dirs = [p / "bin" for p in sorted(versions, key=lambda p: _version_key(p.name), reverse=True)]
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            result = None
        if result is not None and result.returncode == 0 and result.stdout.strip():
            bin_dir = Path(result.stdout.strip())
            if bin_dir not in dirs:
                dirs.append(bin_dir)
    return [d for d in dirs if _has_server_binaries(d)]


def pgserver_bin_dir() -> Path | None:
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle is not None:
        # A PyInstaller bundle carries pgserver's server there (build_spec/storyforge.spec), not the package.
        bin_dir = Path(bundle) / "pgserver" / "pginstall" / "bin"
        return bin_dir if _has_server_binaries(bin_dir) else None
    # find_spec locates the package without importing it; importing pgserver has side effects.
    try:
        spec = importlib.util.find_spec("pgserver")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        bin_dir = Path(location) / "pginstall" / "bin"
        if _has_server_binaries(bin_dir):
            return bin_dir
    return None


def _server_major(bin_dir: Path, user: RunAs) -> str | None:
    """Major version of `bin_dir/postgres`, or None if `user` cannot run it."""
    try:
        result = run_as([str(bin_dir / "postgres"), "--version"], user, timeout=30)
    except EmbeddedPostgresError:
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)(?:\.(\d+))?", result.stdout)
    if result.returncode != 0 or match is None:
        return None
    major = int(match.group(1))
    return str(major) if major >= 10 else f"{major}.{match.group(2)}"


def choose_binaries(cluster_version: str | None, user: RunAs) -> Binaries:
    bundled = pgserver_bin_dir()
    candidates = system_bin_dirs() + ([bundled] if bundled else [])
    if not candidates:
        raise EmbeddedPostgresError(
            "No PostgreSQL server was found; install the PostgreSQL server package (for example "
            "'apt install postgresql') or the 'pgserver' Python package."
        )
    for bin_dir in candidates:
        major = _server_major(bin_dir, user)
        if major is None:
            log.info("Skipping %s: user %s cannot run its postgres", bin_dir, user.name)
        elif cluster_version is None or major == cluster_version:
            return Binaries(bin_dir, major)
    if cluster_version is not None:
        raise EmbeddedPostgresError(
            f"The database was created with PostgreSQL {cluster_version}, which is not installed or cannot "
            f"be run; install the PostgreSQL {cluster_version} server package."
        )
    hint = "install the PostgreSQL server package (for example 'apt install postgresql')"
    if bundled is not None and user.is_other_user:
        # As root the server runs as another user, who must be able to enter every folder above the binaries.
        hint += f", or let user {user.name} read {bundled} and every folder above it (install Storyforge in /opt)"
    raise EmbeddedPostgresError(f"None of the PostgreSQL servers found can be run by user {user.name}; {hint}.")
