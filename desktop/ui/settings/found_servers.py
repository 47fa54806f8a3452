"""The local servers that answered, one row each: what it is, where, its models, and a button that uses it.

Shown by the Settings dialog (Find local servers → Use) and by the welcome page on an empty library (→ Connect).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.services.discovery import FoundServer, Probe, find_servers, uses_model
from desktop.ui.common.widgets import button, small_label

StartTask = Callable[[Coroutine[Any, Any, Any], str], object]

NOTHING_FOUND = (
    "Nothing answered. For text, start Ollama: ollama serve, then ollama pull llama3.2.\n"
    "For pictures, start ComfyUI: python main.py in its folder (it listens on port 8188)."
)


class ServerRow:
    """One found server's widgets, in a row of the list's grid."""

    def __init__(self, server: FoundServer, action: str) -> None:
        self.server = server
        self.name = QLabel(server.product)
        bold = QFont(self.name.font())
        bold.setBold(True)
        self.name.setFont(bold)
        self.where = small_label(f"{'Text' if server.kind == 'text' else 'Pictures'} · {server.address}", "muted")
        self.where.setWordWrap(False)
        self.label = QWidget()  # the name over where it answers: two short lines keep the row narrow
        column = QVBoxLayout(self.label)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.name)
        column.addWidget(self.where)
        self.models = QComboBox()
        self.models.addItems(server.models)
        self.models.setAccessibleName(f"{server.product} model")
        self.models.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.note = small_label("", "muted")
        self.note.setWordWrap(False)
        self.button: QPushButton = button(action, tooltip=f"{action} {server.product} at {server.address}")
        if not uses_model(server):
            self.models.hide()
            self.note.setText("paints with the model it has loaded")
        elif not server.models:
            self.models.hide()
            self.note.setText("no model yet" + (" — ollama pull llama3.2" if server.probe is Probe.ollama else ""))
            self.button.setEnabled(False)
        if not self.note.text():
            self.note.hide()  # it shares the models' cell: an empty one must not cover the list

    @property
    def model(self) -> str:
        return self.models.currentText() if uses_model(self.server) else ""


class FoundServersList(QWidget):
    chosen = Signal(object, str)  # FoundServer, the model picked ("" where the server keeps its own)

    def __init__(self, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._action = action
        self.rows: list[ServerRow] = []
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(12)
        self._grid.setVerticalSpacing(6)
        self._grid.setColumnStretch(1, 1)

    def show_servers(self, servers: list[FoundServer]) -> None:
        self.clear()
        for number, server in enumerate(servers):
            row = ServerRow(server, self._action)
            self._grid.addWidget(row.label, number, 0)
            self._grid.addWidget(row.models, number, 1, Qt.AlignmentFlag.AlignLeft)
            self._grid.addWidget(row.note, number, 1)
            self._grid.addWidget(row.button, number, 2)
            row.button.clicked.connect(lambda _=False, row=row: self.chosen.emit(row.server, row.model))
            self.rows.append(row)
        self.setVisible(bool(servers))

    def clear(self) -> None:
        for row in self.rows:
            for widget in (row.label, row.models, row.note, row.button):
                self._grid.removeWidget(widget)
                widget.deleteLater()
        self.rows = []

    def row(self, product: str) -> ServerRow:
        return next(row for row in self.rows if row.server.product == product)


class FindServers(QWidget):
    """Settings' "Find local servers": the button, what it found, and a Use per server."""

    def __init__(self, start_task: StartTask, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._start_task = start_task
        self.button: QPushButton = button(
            "Find local servers", tooltip="Ask this computer's usual ports for Ollama, LM Studio, ComfyUI…"
        )
        self.button.clicked.connect(self.look)
        self.status = small_label("", "muted")
        self.status.setWordWrap(False)  # two explicit lines at most: a wrapped label in a form leaves gaps
        self.status.hide()
        self.servers = FoundServersList("Use")
        self.servers.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.servers)
        layout.addWidget(self.status)

    @property
    def chosen(self) -> SignalInstance:
        return self.servers.chosen

    def look(self) -> None:
        self.button.setEnabled(False)
        self.status.setText("Looking…")
        self.status.show()
        self._start_task(self._look(), "Looking for AI servers on this computer")

    async def _look(self) -> None:
        try:
            found = await find_servers()
        finally:
            if shiboken6.isValid(self):
                self.button.setEnabled(True)
        if not shiboken6.isValid(self):  # Settings was closed while the ports were asked
            return
        self.servers.show_servers(found)
        if found:
            self.status.setText(f"{len(found)} found — Use fills the fields below; Save keeps them.")
        else:
            self.status.setText(NOTHING_FOUND)
