"""Geometry, splitter and dock positions, remembered between runs with QSettings."""

from __future__ import annotations

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


def restore(window: QMainWindow, splitter: QSplitter) -> bool:
    """Put the window back as it was; False on a first run (nothing remembered yet)."""
    store = window_settings()
    geometry = _bytes(store.value("window/geometry"))
    state = _bytes(store.value("window/state"))
    split = _bytes(store.value("window/splitter"))
    if geometry is not None:
        window.restoreGeometry(geometry)
    if state is not None:
        window.restoreState(state, STATE_VERSION)
    if split is not None:
        splitter.restoreState(split)
    return geometry is not None


def save(window: QMainWindow, splitter: QSplitter, uploads_height: int | None = None) -> None:
    store = window_settings()
    if uploads_height:
        store.setValue("window/uploads_height", uploads_height)
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/state", window.saveState(STATE_VERSION))
    store.setValue("window/splitter", splitter.saveState())
    store.sync()
