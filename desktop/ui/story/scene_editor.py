"""Editing one scene in place: its title and text, Save (Ctrl+S) or leave (Discard, Esc; the card asks first)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from desktop.models import TITLE_MAX
from desktop.ui.common.widgets import button, small_label

CHANGED_ELSEWHERE = "Changed on another device — saving will ask which to keep"


class SceneEditor(QWidget):
    saved = Signal(str, str)  # title, text
    leave_requested = Signal()  # Discard or Esc: the card asks before unsaved changes are thrown away

    def __init__(self, text_font: QFont, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_edit = QLineEdit()
        self.title_edit.setMaxLength(TITLE_MAX)
        self.title_edit.setAccessibleName("Scene title")
        self.title_edit.setPlaceholderText("Scene title")
        self.text_edit = QPlainTextEdit()
        self.text_edit.setAccessibleName("Scene text")
        self.text_edit.setFont(text_font)
        self.text_edit.setMinimumHeight(160)
        self.text_edit.setTabChangesFocus(True)
        self.save_button = button("Save", "check", primary=True, tooltip="Save the scene (Ctrl+S)")
        self.discard_button = button("Discard", tooltip="Keep the scene as it was (Esc)")
        self.save_button.clicked.connect(self.save)
        self.discard_button.clicked.connect(self.leave_requested)
        self._started = ("", "")
        self.revision = 0  # the scene's revision these words started from: a save names it (see migration 007)
        self.note = small_label("", "fieldError")
        self.note.setAccessibleName("Note")
        self.note.hide()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title_edit)
        layout.addWidget(self.text_edit)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        for field in (self.title_edit, self.text_edit):
            field.installEventFilter(self)

    def start(self, title: str, text: str, revision: int, *, focus: bool = True) -> None:
        self.title_edit.setText(title)
        self.text_edit.setPlainText(text)
        self._started = self.typed()
        self.revision = revision
        self.show_note("")
        if focus:
            self.focus_text()

    def follow(self, title: str, text: str, revision: int) -> None:
        """A newer version of the scene while nothing has been typed: shown in place, the cursor where it was."""
        position = self.text_edit.textCursor().position()
        self.start(title, text, revision, focus=False)
        cursor = self.text_edit.textCursor()
        cursor.setPosition(min(position, len(self.text_edit.toPlainText())))
        self.text_edit.setTextCursor(cursor)

    @property
    def started_title(self) -> str:
        return self._started[0]

    @property
    def note_text(self) -> str:
        return self.note.text() if not self.note.isHidden() else ""

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setHidden(not text)

    def focus_text(self) -> None:
        self.text_edit.setFocus()

    @property
    def has_changes(self) -> bool:
        """The title or text differs from what the editor started with (spaces around them do not count)."""
        return self.typed() != self._started

    def typed(self) -> tuple[str, str]:
        return self.title_edit.text().strip(), self.text_edit.toPlainText().strip()

    def save(self) -> None:
        self.saved.emit(*self.typed())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Esc and Ctrl+S belong to the editor while it has the focus, even while the window's Esc (cancel the
        # story) is active: claiming the shortcut override turns them into plain key presses here.
        if event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and isinstance(event, QKeyEvent):
            is_escape = event.key() == Qt.Key.Key_Escape and not event.modifiers()
            is_save = event.matches(QKeySequence.StandardKey.Save)
            if is_escape or is_save:
                event.accept()
                if event.type() == QEvent.Type.KeyPress:
                    self.leave_requested.emit() if is_escape else self.save()
                return True
        return super().eventFilter(watched, event)
