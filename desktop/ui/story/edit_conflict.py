"""A scene changed on another device while the writer edited it: both texts side by side, and the writer keeps
theirs, the other's, or both. Nothing is chosen for them, and closing the view goes back to the editor unsaved.

Opened with `open()` and answered through a callback, like every question (see confirm.py): never `exec()`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from desktop.models import Scene
from desktop.ui.common.confirm import scene_name
from desktop.ui.common.widgets import button, small_label

# Between the other device's text and the writer's when both are kept: plain text that reads as a break everywhere.
BOTH_SEPARATOR = "\n\n——— Both versions kept: the other device's above, the one edited here below ———\n\n"


class Choice(StrEnum):
    mine = "mine"  # my words over the newer version
    theirs = "theirs"  # the newer version stays; my words are dropped
    both = "both"  # the newer version, then mine after a separator
    undecided = "undecided"  # closed: back to my words in the editor, nothing saved


Chosen = Callable[[Choice, Scene], None]  # the choice, and the other version as last shown


def both_texts(theirs: str, mine: str) -> str:
    return theirs.rstrip() + BOTH_SEPARATOR + mine.strip()


def both_titles(theirs: str, mine: str, opened: str) -> str:
    """A title the writer did not touch gives way to the other device's; one they changed is theirs to keep."""
    return theirs if mine == opened else mine


def _text_view(text: str, name: str) -> QPlainTextEdit:
    view = QPlainTextEdit(text)
    view.setReadOnly(True)
    view.setAccessibleName(name)
    view.setMinimumSize(320, 220)
    view.setTabChangesFocus(True)
    return view


class EditConflictView(QDialog):
    """The two versions of one scene and the three ways out."""

    def __init__(self, parent: QWidget, current: Scene, title: str, text: str, chosen: Chosen) -> None:
        super().__init__(parent)
        self.setWindowTitle("Changed on another device")
        self.choice = Choice.undecided
        self.current = current
        self._chosen = chosen
        heading = QLabel(f"{scene_name(current)} was changed on another device while you edited it.")
        heading.setTextFormat(Qt.TextFormat.PlainText)  # the title is the writer's
        heading.setWordWrap(True)
        hint = small_label("Your version is not saved yet. Keep one of them, or both: yours goes after theirs.")
        self.theirs_label = QLabel(f"On the other device: “{current.title}”")
        self.mine_label = QLabel(f"Yours, not saved: “{title}”")
        for label in (self.theirs_label, self.mine_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
        self.theirs_view = _text_view(current.text, "The other device's text")
        self.mine_view = _text_view(text, "Your text")
        side_by_side = QGridLayout()
        side_by_side.addWidget(self.theirs_label, 0, 0)
        side_by_side.addWidget(self.mine_label, 0, 1)
        side_by_side.addWidget(self.theirs_view, 1, 0)
        side_by_side.addWidget(self.mine_view, 1, 1)

        self.mine_button = button("Keep mine", tooltip="Save your version over theirs")
        self.theirs_button = button("Keep theirs", tooltip="Keep the other device's version; yours is dropped")
        self.both_button = button("Keep both", primary=True, tooltip="Save theirs, then yours after a separator")
        self.back_button = button("Back to editing", tooltip="Decide later: your words stay in the editor (Esc)")
        for made, choice in (
            (self.mine_button, Choice.mine),
            (self.theirs_button, Choice.theirs),
            (self.both_button, Choice.both),
        ):
            made.setAutoDefault(False)
            made.clicked.connect(lambda _=False, choice=choice: self._choose(choice))
        self.back_button.setAutoDefault(False)
        self.back_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.theirs_button)
        buttons.addWidget(self.mine_button)
        buttons.addWidget(self.both_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addLayout(side_by_side, 1)
        layout.addLayout(buttons)
        self.finished.connect(self._finished)

    def show_theirs(self, current: Scene) -> None:
        """Changed once more while the writer compares: the newest version is the one kept or kept beside."""
        self.current = current
        self.theirs_label.setText(f"On the other device: “{current.title}”")
        self.theirs_view.setPlainText(current.text)

    def _choose(self, choice: Choice) -> None:
        self.choice = choice
        self.accept()

    def _finished(self, _: int) -> None:
        self._chosen(self.choice, self.current)
        self.deleteLater()


def show_edit_conflict(parent: QWidget, current: Scene, title: str, text: str, chosen: Chosen) -> EditConflictView:
    """Open the view and return at once; `chosen` gets the writer's choice (`undecided` if it is closed)."""
    view = EditConflictView(parent, current, title, text, chosen)
    view.open()
    view.mine_view.setFocus()
    return view
