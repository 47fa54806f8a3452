"""Story → Rename…: a small window-modal dialog with the title to edit and one line for what went wrong."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop.models import TITLE_MAX
from desktop.services.story_errors import StoryError

Rename = Callable[[str], Awaitable[object]]
StartTask = Callable[[Coroutine[Any, Any, Any], str], object]


class RenameDialog(QDialog):
    """Opened with `open()`: the rename runs on the loop, and a refusal stays in the dialog for the writer to fix.
    Esc or Cancel leaves the title as it was."""

    def __init__(self, title: str, rename: Rename, start_task: StartTask, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rename story")
        self._rename = rename
        self._start_task = start_task
        self.title_edit = QLineEdit(title)
        self.title_edit.setAccessibleName("Story title")
        self.title_edit.setMaxLength(TITLE_MAX)
        self.title_edit.selectAll()
        self.error_label = QLabel("")
        self.error_label.setObjectName("fieldError")  # the style sheet colours a refusal like the form's
        self.error_label.setAccessibleName("Why the title was refused")
        self.error_label.hide()
        self.title_edit.textEdited.connect(lambda _: self.error_label.hide())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Rename")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Title"))
        layout.addWidget(self.title_edit)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def _submit(self) -> None:
        self.buttons.setEnabled(False)
        self._start_task(self._save(self.title_edit.text()), "Renaming the story")

    async def _save(self, title: str) -> None:
        try:
            await self._rename(title)
        except StoryError as refused:
            self.error_label.setText(str(refused))
            self.error_label.show()
            self.title_edit.setFocus()
            return
        finally:
            self.buttons.setEnabled(True)
        self.accept()
