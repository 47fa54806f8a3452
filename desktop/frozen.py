"""What differs when Storyforge runs from its PyInstaller bundle (build_spec/storyforge.spec)."""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def resources_dir() -> Path:
    """`resources/` beside the package in a checkout, or inside the bundle when frozen (build_spec/storyforge.spec
    puts it there)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def restore_users_library_path(environ: MutableMapping[str, str] = os.environ) -> None:
    """Give child processes the user's own LD_LIBRARY_PATH back.

    The bundle's loader points it at the bundle's libraries (keeping the user's in LD_LIBRARY_PATH_ORIG); every
    program we start — a system PostgreSQL, the desktop's URL opener — must load the system's libssl, libz …
    instead. This process is unaffected: the dynamic loader read the variable when the process started.
    """
    environ.pop("LD_LIBRARY_PATH", None)
    if "LD_LIBRARY_PATH_ORIG" in environ:
        environ["LD_LIBRARY_PATH"] = environ.pop("LD_LIBRARY_PATH_ORIG")
