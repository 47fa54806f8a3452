"""One list of the story bible's entries (its characters, or its places) with Add / Remove, and a small form below
it that edits the selected entry. The entries are kept as the writer typed them (plain dicts, unknown keys
included): they are checked only when the bible is saved, so nothing typed is lost to a rule. Keys the writer does
not type (a character's portrait) can be taken from the stored bible without touching what is typed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.common.widgets import button

# (key, label, one line?) for each field of an entry; a character also has a role.
NAME = ("name", "Name", True)
ROLE = ("role", "Role", True)
DESCRIPTION = ("description", "Description", False)
LOOK = ("look", "Look", False)
CHARACTER_FIELDS = (NAME, ROLE, DESCRIPTION, LOOK)
PLACE_FIELDS = (NAME, DESCRIPTION, LOOK)
UNNAMED = "(no name)"


def field_text(field: QLineEdit | QPlainTextEdit) -> str:
    return field.toPlainText() if isinstance(field, QPlainTextEdit) else field.text()


class EntryList(QWidget):
    edited = Signal()  # the writer changed an entry, added or removed one
    shown = Signal()  # another entry (or none) is shown in the form, or the shown one changed

    def __init__(
        self,
        kind: str,
        fields: tuple[tuple[str, str, bool], ...],
        extra: tuple[str, QWidget] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`extra`: a labelled row below the fields (a character's portrait), kept up to date by its owner."""
        super().__init__(parent)
        self.kind = kind  # "character" or "place", for the buttons and messages
        self._entries: list[dict[str, Any]] = []
        self._filling = False  # fields set by the panel, not typed: no `edited`
        self.list = QListWidget()
        self.list.setAccessibleName(f"{kind.capitalize()}s")
        self.list.setMaximumHeight(120)
        self.add_button = button(f"Add {kind}", "new-story")
        self.remove_button = button("Remove", "delete")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        form = QFormLayout()
        self.fields: dict[str, QLineEdit | QPlainTextEdit] = {}
        for key, label, one_line in fields:
            field: QLineEdit | QPlainTextEdit
            if one_line:
                field = QLineEdit()
                field.textEdited.connect(lambda _=None, key=key: self._typed(key))
            else:
                field = QPlainTextEdit()
                field.setTabChangesFocus(True)
                field.setFixedHeight(field.fontMetrics().lineSpacing() * 3 + 14)
                field.textChanged.connect(lambda key=key: self._typed(key))
            field.setAccessibleName(f"{kind.capitalize()}'s {label.lower()}")
            self.fields[key] = field
            form.addRow(label, field)
        if extra is not None:
            form.addRow(*extra)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addLayout(form)
        self.list.currentRowChanged.connect(self._show_row)
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        self._show_row(-1)

    def entries(self) -> list[dict[str, Any]]:
        return [dict(entry) for entry in self._entries]

    def current(self) -> dict[str, Any] | None:
        """The entry shown in the form, as typed."""
        row = self.list.currentRow()
        return dict(self._entries[row]) if 0 <= row < len(self._entries) else None

    def keep_stored(self, keys: tuple[str, ...], stored: list[dict[str, Any]]) -> None:
        """`keys` of each entry taken from the stored entry of the same name; every typed field stays as it is."""
        by_name = {str(entry.get("name") or "").strip(): entry for entry in stored}
        for entry in self._entries:
            found = by_name.get(str(entry.get("name") or "").strip())
            if found is not None:
                entry.update({key: found.get(key) for key in keys if key in found})
        self.shown.emit()

    def set_entries(self, entries: list[dict[str, Any]]) -> None:
        row = self.list.currentRow()
        self._entries = [dict(entry) for entry in entries]
        # Quiet while the list is rebuilt: the form (and a portrait) is shown once, not blanked and shown again.
        self.list.blockSignals(True)
        try:
            self.list.clear()
            self.list.addItems([self._label(entry) for entry in self._entries])
            self.list.setCurrentRow(min(max(row, 0), len(self._entries) - 1))
        finally:
            self.list.blockSignals(False)
        self._show_row(self.list.currentRow())

    def add(self) -> None:
        self._entries.append({key: "" for key in self.fields})
        self.list.addItem(UNNAMED)
        self.list.setCurrentRow(len(self._entries) - 1)
        self.edited.emit()
        self.fields["name"].setFocus()

    def remove(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        del self._entries[row]
        self.list.takeItem(row)
        self._show_row(self.list.currentRow())
        self.edited.emit()

    def select(self, row: int) -> None:
        self.list.setCurrentRow(row)

    def _show_row(self, row: int) -> None:
        entry = self._entries[row] if 0 <= row < len(self._entries) else None
        self._filling = True
        try:
            for key, field in self.fields.items():
                text = str(entry.get(key) or "") if entry is not None else ""
                if field_text(field) != text:  # setting the same text would move the writer's cursor
                    field.setPlainText(text) if isinstance(field, QPlainTextEdit) else field.setText(text)
                field.setEnabled(entry is not None)
        finally:
            self._filling = False
        self.remove_button.setEnabled(entry is not None)
        self.shown.emit()

    def _typed(self, key: str) -> None:
        row = self.list.currentRow()
        if self._filling or not 0 <= row < len(self._entries):
            return
        field = self.fields[key]
        self._entries[row][key] = field_text(field)
        if key == "name":
            item = self.list.item(row)
            if item is not None:
                item.setText(self._label(self._entries[row]))
        self.edited.emit()
        if key in ("name", "look"):
            self.shown.emit()  # what the entry's extra row says may depend on them (saved or not)

    @staticmethod
    def _label(entry: dict[str, Any]) -> str:
        return str(entry.get("name") or "").strip() or UNNAMED
