"""What the middle shows before a story is chosen: what to do next, in one line and one button.

On an empty library (a first run) it also welcomes: the offline writer is only a sketch, and an AI server running on
this computer is one click away — the servers that answer are listed, and Connect saves the settings at once.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.ui.common import theme
from desktop.ui.common.resources import app_icon
from desktop.ui.common.widgets import button, small_label

if TYPE_CHECKING:
    from desktop.services.discovery import FoundServer
    from desktop.services.runtime import Runtime
    from desktop.ui.settings.found_servers import FoundServersList

HINT = "Choose a story in the library, or press Ctrl+N to write a new one."
FIRST_HINT = "Press Ctrl+N to write your first story."
SKETCH = "The offline writer is a sketch for trying Storyforge without any AI; for real stories, connect a local model:"


class EmptyPage(QWidget):
    saved = Signal(object)  # Settings, written to the settings file: the window applies them as the dialog's

    def __init__(self, runtime: Runtime | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._runtime = runtime
        mark = QLabel()
        mark.setPixmap(app_icon().pixmap(QSize(72, 72)))
        mark.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heading = QLabel("Write a story, scene by scene")
        self.heading.setFont(theme.serif_font(theme.scaled_font(1.6).pointSizeF()))
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = small_label(HINT, "muted")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.new_button = button("New story", "new-story", primary=True, tooltip="Write a new story (Ctrl+N)")
        self.welcome: Welcome | None = None  # built when the library is first seen empty
        self._layout = layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(mark)
        layout.addSpacing(8)
        layout.addWidget(self.heading)
        layout.addWidget(self.hint)
        layout.addSpacing(14)
        layout.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def set_library_empty(self, empty: bool) -> None:
        """An empty library gets the welcome (and its first look for servers); a library with stories, the hint."""
        self.hint.setText(FIRST_HINT if empty else HINT)
        if empty and self.welcome is None and self._runtime is not None:
            self.welcome = Welcome(self._runtime)
            self.welcome.saved.connect(self.saved)
            # Centred between two stretches rather than by alignment: an aligned widget gets its size hint, and
            # its wrapped lines would be cut; this way it takes the page's width up to its maximum.
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(self.welcome, 100)
            row.addStretch(1)
            self._layout.insertSpacing(self._layout.count() - 1, 22)
            self._layout.insertLayout(self._layout.count() - 1, row)
            self.welcome.look()
        if self.welcome is not None:
            self.welcome.setVisible(empty)


class Welcome(QWidget):
    """The sketch line, the servers found, Connect, and Look again."""

    saved = Signal(object)  # Settings

    def __init__(self, runtime: Runtime) -> None:
        from desktop.ui.settings.found_servers import FoundServersList  # httpx and the settings: not before needed

        super().__init__()
        self._runtime = runtime
        self.setMaximumWidth(720)
        self.sketch = small_label(SKETCH, "muted")
        self.sketch.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status = small_label("", "checkResult")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.servers: FoundServersList = FoundServersList("Connect")
        self.servers.hide()
        self.servers.chosen.connect(self.connect_server)
        self.look_again = button("Look again", tooltip="Ask this computer's usual ports again")
        self.look_again.clicked.connect(self.look)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.sketch)
        layout.addWidget(self.servers, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.status)
        layout.addWidget(self.look_again, 0, Qt.AlignmentFlag.AlignHCenter)

    def look(self) -> None:
        self.look_again.setEnabled(False)
        self._say("Looking for AI servers on this computer…")
        self._runtime.tasks.start(self._look(), "Looking for AI servers on this computer")

    async def _look(self) -> None:
        from desktop.services.discovery import already_connected, connected_line, find_servers
        from desktop.ui.settings.found_servers import NOTHING_FOUND

        try:
            found = await find_servers()
        finally:
            self.look_again.setEnabled(True)
        self.servers.show_servers(found)
        if (connected := already_connected(self._runtime.settings, found)) is not None:
            self._say(connected_line(*connected), ok=True)
        else:
            self._say("" if found else NOTHING_FOUND)

    def connect_server(self, server: FoundServer, model: str) -> None:
        self._runtime.tasks.start(self._connect(server, model), f"Connecting {server.product}")

    async def _connect(self, server: FoundServer, model: str) -> None:
        from desktop.config import save_settings
        from desktop.explain import plain_words
        from desktop.services.discovery import connected_line, connected_settings

        current = await self._runtime.read_secrets()  # saving before the keys are read would erase them
        try:
            settings = connected_settings(current, server, model)
        except ValueError as exc:
            self._say(str(exc), ok=False)
            return
        self._say(f"Connecting {server.product}…")
        self.servers.setEnabled(False)  # one connection at a time: a second click must not race the first save
        try:
            await asyncio.wrap_future(self._runtime.executor.submit(save_settings, settings, self._runtime.secrets))
        except Exception as exc:
            self._say(f"The settings could not be saved: {plain_words(exc)}", ok=False)
            raise
        finally:
            self.servers.setEnabled(True)
        self.saved.emit(settings)
        self._say(connected_line(server, model), ok=True)

    def _say(self, text: str, ok: bool | None = None) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        self.status.setProperty("ok", ok)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
