"""Find in the open story (Ctrl+F on the story page): a line above the scenes that steps through every match."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QWidget

from desktop.ui.common.widgets import small_label, tool_button


class FindBar(QWidget):
    searched = Signal(str)  # the words typed, as they change
    next_requested = Signal()
    previous_requested = Signal()
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findBar")
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Find in this story")
        self.edit.setAccessibleName("Find in this story")
        self.edit.setClearButtonEnabled(True)
        self.count = small_label("", "muted")
        self.previous_button = tool_button("Previous match", "previous", tooltip="Previous match (Shift+Enter)")
        self.next_button = tool_button("Next match", "next", tooltip="Next match (Enter)")
        self.close_button = tool_button("Close", "close", tooltip="Close (Esc)", text_beside=False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(28, 6, 28, 6)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.next_button)
        layout.addWidget(self.close_button)
        self.edit.textChanged.connect(self.searched)
        self.edit.installEventFilter(self)  # Enter: the next match; Shift+Enter: the one before
        self.next_button.clicked.connect(self.next_requested)
        self.previous_button.clicked.connect(self.previous_requested)
        self.close_button.clicked.connect(self.close_bar)
        self.hide()

    def open_bar(self) -> None:
        self.show()
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.closed.emit()

    def show_count(self, current: int, total: int) -> None:
        """`current` counts from 1; 0 with a total of 0: nothing matches."""
        words = self.edit.text().strip()
        self.count.setText("" if not words else "No match" if total == 0 else f"{current} of {total}")
        self.previous_button.setEnabled(total > 1)
        self.next_button.setEnabled(total > 1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                backwards = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                (self.previous_requested if backwards else self.next_requested).emit()
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(watched, event)
