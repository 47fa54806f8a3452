"""Geometry, splitter and dock positions, remembered between runs with QSettings."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

ORGANIZATION = "Storyforge"
APPLICATION = "Storyforge"
STATE_VERSION = 1
# The Uploads dock opens at this share of the window, and never takes more than the larger one: the story keeps the
# rest to be read.
UPLOADS_SHARE = 0.30
UPLOADS_MOST = 0.45


def window_settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def _bytes(value: object) -> QByteArray | None:
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def uploads_height(window_height: int, rows_height: int, chosen: int | None) -> int:
    """The Uploads dock's height as it opens: the writer's last choice or a share of the window, never less than
    `rows_height` (a few rows to read) and never so much that the story is squeezed."""
    wanted = chosen if chosen else round(window_height * UPLOADS_SHARE)
    return max(rows_height, min(wanted, round(window_height * UPLOADS_MOST)))


def chosen_uploads_height() -> int | None:
    value = window_settings().value("window/uploads_height")
    try:
        return int(value) if value is not None and int(value) > 0 else None
    except (TypeError, ValueError):
        return None


def restore_geometry(window: QMainWindow) -> bool:
    """Put the window back where it was, at its size; False on a first run (nothing remembered yet)."""
    geometry = _bytes(window_settings().value("window/geometry"))
    if geometry is not None:
        window.restoreGeometry(geometry)
    return geometry is not None


def restore_layout(window: QMainWindow, splitter: QSplitter) -> None:
    """Put the docks and the splitter back as they were."""
    store = window_settings()
    state = _bytes(store.value("window/state"))
    split = _bytes(store.value("window/splitter"))
    if state is not None:
        window.restoreState(state, STATE_VERSION)
    if split is not None:
        splitter.restoreState(split)


def save(window: QMainWindow, splitter: QSplitter, uploads_height: int | None = None) -> None:
    store = window_settings()
    if uploads_height:
        store.setValue("window/uploads_height", uploads_height)
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/state", window.saveState(STATE_VERSION))
    store.setValue("window/splitter", splitter.saveState())
    store.sync()


def remember_open_story(story_id: uuid.UUID) -> None:
    """The story on screen, opened again at the next start."""
    store = window_settings()
    store.setValue("window/open_story", str(story_id))
    store.sync()


def last_open_story() -> uuid.UUID | None:
    value = window_settings().value("window/open_story")
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
