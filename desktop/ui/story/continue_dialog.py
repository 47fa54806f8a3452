"""Story → Continue the story…: how many more scenes to write after the last one."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QSpinBox, QVBoxLayout, QWidget

from desktop.models import SCENES_MAX

MOST_AT_ONCE = 10
DEFAULT_MORE = 3


class ContinueDialog(QDialog):
    """Opened with `open()`; `chosen(count)` once the writer presses Continue. The writing itself runs on the loop,
    with the story page showing it as for a new story."""

    chosen = Signal(int)

    def __init__(self, scene_count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Continue the story")
        room = max(1, SCENES_MAX - scene_count)
        self.count_spin = QSpinBox()
        self.count_spin.setAccessibleName("How many more scenes")
        self.count_spin.setRange(1, min(MOST_AT_ONCE, room))
        self.count_spin.setValue(min(DEFAULT_MORE, room))
        self.count_spin.setSuffix(" scenes")
        hint = QLabel(
            f"They follow scene {scene_count}, written from the story so far. "
            f"A story has at most {SCENES_MAX} scenes; this one can take {room} more."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Continue")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.accepted.connect(lambda: self.chosen.emit(self.count_spin.value()))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("How many more scenes?"))
        layout.addWidget(self.count_spin)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(380)
        self.count_spin.setFocus()
