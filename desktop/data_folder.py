"""A cheap look at the data folder before anything starts: one plain line when it cannot hold a library."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from pathlib import Path

# Below this the embedded database cannot even create its cluster (initdb writes ~40 MB) and images fail at once.
MIN_FREE_BYTES = 64 * 1024 * 1024
_HOW = "choose another with --data-dir or STORYFORGE_DATA_DIR"


def check_data_dir(path: Path, *, min_free_bytes: int = MIN_FREE_BYTES) -> str | None:
    """Make the folder, write and remove a probe file, check the free space; why it cannot be used, or None."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"The data folder {path} is a file, not a folder — move the file away or {_HOW}."
    except NotADirectoryError:
        return f"The data folder {path} is inside a file, not a folder — {_HOW}."
    except OSError as exc:
        return _os_problem(path, exc)
    if not path.is_dir():
        return f"The data folder {path} is a file, not a folder — move the file away or {_HOW}."
    probe = path / f".storyforge-probe-{uuid.uuid4().hex}"
    try:
        with probe.open("wb") as file:
            file.write(b"storyforge")
            file.flush()
            os.fsync(file.fileno())
    except OSError as exc:
        return _os_problem(path, exc)
    finally:
        with contextlib.suppress(OSError):  # a read-only disk refuses even removing what is not there
            probe.unlink()
    try:
        free = shutil.disk_usage(path).free
    except OSError as exc:
        return _os_problem(path, exc)
    if free < min_free_bytes:
        return (
            f"The disk of the data folder {path} is almost full ({_megabytes(free)} free, Storyforge needs "
            f"{_megabytes(min_free_bytes)}) — free some space or {_HOW}."
        )
    return None


def _os_problem(path: Path, exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk of the data folder {path} is full — free some space or {_HOW}."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Storyforge may not write in the data folder {path} — check its permissions or {_HOW}."
    reason = exc.strerror or type(exc).__name__
    return f"The data folder {path} cannot be used ({reason.lower()}) — {_HOW}."


def _megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):.0f} MB"
