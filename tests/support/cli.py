"""Running `storyforge` as a script runs it: a real process on the test session's database and a data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def storyforge(data_dir: Path, database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`storyforge --data-dir DATA_DIR ARGS…` with STORYFORGE_DATABASE_URL set (and `env`), its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "desktop", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        env={**os.environ, "STORYFORGE_DATABASE_URL": database_url, **env},
        capture_output=True,
        text=True,
        timeout=90,
    )
