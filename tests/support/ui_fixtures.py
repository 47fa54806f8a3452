"""Fixtures for the ui tests: the real window on a real Runtime, on the test's own database and data folder."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QWidget,
)

from desktop.config import Settings
from desktop.models import StoryStatus
from desktop.secrets import SecretStore
from desktop.services.runtime import Runtime
from desktop.services.session import Session
from desktop.ui.common.widgets import plain
from desktop.ui.story.scene_card import SceneCard
from desktop.ui.story.story_view import StoryView
from desktop.ui.window.main_window import MainWindow
from tests.support.ui_servers import ModelListServer

Run = Callable[..., Any]


@pytest.fixture(autouse=True)
def window_settings_in_tmp(tmp_path: Path) -> None:
    """QSettings (window geometry, splitter, docks) write under the test's folder, never the writer's."""
    folder = str(tmp_path / "qsettings")
    for settings_format in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, folder)
        QSettings.setPath(settings_format, QSettings.Scope.SystemScope, folder)


@pytest.fixture(autouse=True)
def no_real_servers_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """The welcome page and Settings look for AI servers on this computer's ports: in the tests they ask none but
    the fakes a test names (tests/test_ui_welcome.py)."""
    from desktop.services import discovery

    monkeypatch.setattr(discovery, "TARGETS", ())


class WriterApp:
    """One run of the app as a writer meets it: a Runtime and its window."""

    def __init__(self, settings: Settings, run: Run, qtbot: Any) -> None:
        self.settings = settings
        self._run = run
        self.runtime = Runtime(settings, SecretStore())
        self.window = MainWindow(self.runtime)
        self.closed = False

    @property
    def session(self) -> Session:
        """The services, once the database is ready (after `start`)."""
        session = self.runtime.session
        assert session is not None, "the app's database is not ready yet"
        return session

    def start(self) -> WriterApp:
        self.window.show()
        assert self._run(self.runtime.start_database(), timeout=60), self.runtime.database_error
        return self

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.window.shutdown()
        self._run(self.runtime.shutdown(), timeout=30)
        self.window.hide()
        self.window.deleteLater()


@pytest.fixture
def ui_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        user_id=uuid.uuid4(),
        offline_delay=0.02,
    )


@pytest.fixture
def open_app(ui_settings: Settings, run: Run, qtbot: Any) -> Iterator[Callable[..., WriterApp]]:
    """`open_app()` starts the app (again) on the same database and data folder; all are closed at the end."""
    apps: list[WriterApp] = []

    def open_one(**changes: Any) -> WriterApp:
        for app in apps:
            app.close()
        settings = ui_settings.model_copy(update=changes) if changes else ui_settings
        app = WriterApp(settings, run, qtbot)
        apps.append(app)
        return app.start()

    yield open_one
    for app in apps:
        app.close()


@pytest.fixture
def writer_app(open_app: Callable[..., WriterApp]) -> WriterApp:
    return open_app()


@pytest.fixture
def model_list_server() -> Iterator[ModelListServer]:
    with ModelListServer() as server:
        yield server


def write_story(window: MainWindow, qtbot: Any, title: str, prompt: str, scenes: int) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.composer
    qtbot.waitUntil(lambda: form.title_edit.hasFocus())
    qtbot.keyClicks(form.title_edit, title)
    qtbot.keyClicks(form.prompt_edit, prompt)
    form.scenes_spin.setValue(scenes)
    qtbot.keyClick(form.prompt_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Generate


def written_story(app: WriterApp, qtbot: Any, title: str, prompt: str, scenes: int) -> StoryView:
    """A story written from the form, finished and with every thumbnail shown; its page."""
    write_story(app.window, qtbot, title, prompt, scenes)
    view = app.window.story_view
    qtbot.waitUntil(
        lambda: view.story is not None and view.story.title == title and view.story.status is StoryStatus.complete,
        timeout=30_000,
    )
    qtbot.waitUntil(lambda: all_thumbnails_shown(app.window, scenes), timeout=15_000)
    return view


def card_menu(card: SceneCard, qtbot: Any) -> tuple[QMenu, dict[str, QAction]]:
    """A scene card's context menu, opened by a right-click beside its picture (not on the text), and its actions
    by their words."""
    where = card.thumbnail.geometry().bottomRight() + QPoint(8, 8)
    QApplication.sendEvent(card, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, where, card.mapToGlobal(where)))
    menu = card.findChild(QMenu)
    assert menu is not None
    qtbot.waitUntil(menu.isVisible)
    return menu, {plain(action.text()): action for action in menu.actions() if not action.isSeparator()}


def all_thumbnails_shown(window: MainWindow, count: int) -> bool:
    cards = window.story_view.cards
    return len(cards) == count and all(card.placeholder_text is None for card in cards.values())


def unnamed_controls(root: QWidget) -> list[str]:
    """Focusable controls whose accessible name is missing or differs from their visible label."""
    problems = []
    for widget in root.findChildren(QWidget):
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or not widget.isVisibleTo(root):
            continue
        if isinstance(widget, QAbstractButton):
            label = plain(widget.text()) or widget.toolTip()
            if not widget.accessibleName() or widget.accessibleName() != label:
                problems.append(f"{type(widget).__name__} {label!r} named {widget.accessibleName()!r}")
        elif isinstance(widget, QLineEdit | QPlainTextEdit | QComboBox | QAbstractSpinBox):
            if widget.parent() is not None and isinstance(widget.parent(), QAbstractSpinBox | QComboBox):
                continue  # the line edit inside a spin box or combo box; its owner carries the name
            if not widget.accessibleName():
                problems.append(f"{type(widget).__name__} without a name")
    return problems
