"""Geometry, splitter and dock positions, remembered between runs with QSettings."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

ORGANIZATION = "Storyforge"
APPLICATION = "Storyforge"
STATE_VERSION = 1


def window_settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def _bytes(value: object) -> QByteArray | None:
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


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


def save(window: QMainWindow, splitter: QSplitter) -> None:
    store = window_settings()
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/state", window.saveState(STATE_VERSION))
    store.setValue("window/splitter", splitter.saveState())
    store.sync()
