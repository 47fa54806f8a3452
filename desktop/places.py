"""Where Storyforge keeps its settings, its log and (unless told otherwise) its data: plain paths, cheap to work out
before the window shows."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import platformdirs

APP_NAME = "storyforge"


def config_dir() -> Path:
    override = os.environ.get("STORYFORGE_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def log_dir() -> Path:
    override = os.environ.get("STORYFORGE_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME))


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


# Held by the window that owns a data folder (desktop/qt/single_instance.py).
WINDOW_LOCK = ".window.lock"


def data_dir_hint(given: Path | None) -> Path:
    """The data folder as far as it can be known before the settings are read: --data-dir, STORYFORGE_DATA_DIR, or
    the default. Only a hint (a data_dir in the settings file is not looked at): the settings decide."""
    if given is not None:
        return given.expanduser()
    override = os.environ.get("STORYFORGE_DATA_DIR", "").strip()
    return Path(override).expanduser() if override else default_data_dir()


def window_open_for(data_dir: Path) -> bool:
    """Whether another Storyforge window holds `data_dir` right now: a second launch then shows no frame of its
    own before it brings that window forward."""
    try:
        with (data_dir / WINDOW_LOCK).open("r") as handle:  # "r": a folder or lock file that is not there is no one's
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False
