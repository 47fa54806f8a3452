"""Where Storyforge keeps its settings, its log and (unless told otherwise) its data: plain paths, cheap to work out
before the window shows."""

from __future__ import annotations

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
