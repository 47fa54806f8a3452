"""More images: the pictures just painted for a scene, beside the one it shows, to pick from (issue 18).

Picking one shows it on the scene as a new version (uploaded like any new picture, undone with Ctrl+Z); the ones not
picked stay in the scene's History, where any of them can still be restored. Closing picks nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.models import ImageRecord, Scene, SceneVersion
from desktop.ui.common.confirm import scene_name
from desktop.ui.common.thumbnails import ThumbnailLoader
from desktop.ui.common.widgets import button, small_label

if TYPE_CHECKING:
    from desktop.services.session import Session

StartTask = Callable[[Coroutine[Any, Any, Any], str], object]
PICTURE = QSize(300, 200)


def seed_words(made: ImageRecord) -> str:
    return f"seed {made.seed}" if made.seed is not None else "no seed"


class _Choice(QWidget):
    """One picture with what made it, and the button that picks it (none for the one shown now)."""

    def __init__(self, caption: str, made: ImageRecord, pick_label: str = "") -> None:
        super().__init__()
        self.picture = QLabel("Loading…")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(PICTURE)
        self.picture.setFrameShape(QLabel.Shape.StyledPanel)
        self.picture.setAccessibleName(caption)
        self.caption = QLabel(caption)
        self.details = small_label(seed_words(made) if not made.empty else "")
        self.pick_button = button(pick_label or "Use this picture")
        if not pick_label:  # the picture shown now: no button, but its row as tall, so the pictures line up
            policy = self.pick_button.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            self.pick_button.setSizePolicy(policy)
            self.pick_button.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.picture)
        row = QHBoxLayout()
        row.addWidget(self.details)
        row.addStretch(1)
        row.addWidget(self.pick_button)
        layout.addLayout(row)

    def show_pixmap(self, pixmap: QPixmap | None) -> None:
        if pixmap is None:
            self.picture.setText("The picture file is gone from this computer.")
        else:
            self.picture.setText("")
            self.picture.setPixmap(pixmap)


class CandidatesDialog(QDialog):
    picked = Signal(object)  # Scene: the candidate is shown on the scene now

    def __init__(
        self,
        scene: Scene,
        candidates: list[SceneVersion],
        session: Session,
        thumbnails: ThumbnailLoader,
        start_task: StartTask,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"More images — {scene_name(scene)}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.scene = scene
        self.candidates = candidates
        self._session = session
        self._thumbnails = thumbnails
        self._start = start_task
        self.current = _Choice("Shown now", scene.image_made)
        self.choices: dict[uuid.UUID, _Choice] = {}
        grid = QGridLayout()
        grid.addWidget(self.current, 0, 0)
        columns = 4 if len(candidates) < 4 else 3  # one row for up to three candidates, else two rows
        for place, candidate in enumerate(candidates, start=1):
            choice = _Choice(f"Picture {place}", candidate.image_made, "Use this picture")
            choice.pick_button.clicked.connect(lambda _=False, version=candidate: self.pick(version))
            self.choices[candidate.id] = choice
            grid.addWidget(choice, place // columns, place % columns)
        self.status = small_label("The pictures you don't use stay in the scene's History (Ctrl+H).")
        self.close_button = button("Keep the current picture")
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        self._start(self._load_pictures(), "Showing the pictures")

    async def _load_pictures(self) -> None:
        shown = [(self.current, self.scene.image_path)]
        shown += [(self.choices[c.id], c.image_path) for c in self.candidates]
        for choice, path in shown:
            pixmap = await self._thumbnails.pixmap(path, PICTURE, self.devicePixelRatioF()) if path else None
            choice.show_pixmap(pixmap)

    def pick(self, candidate: SceneVersion) -> None:
        for choice in self.choices.values():
            choice.pick_button.setEnabled(False)
        self.status.setText("Using the picture…")
        self._start(self._pick(candidate), "Using the picture")

    async def _pick(self, candidate: SceneVersion) -> None:
        try:
            scene = await self._session.history.pick(candidate.id)
        except BaseException:
            for choice in self.choices.values():
                choice.pick_button.setEnabled(True)
            self.status.setText("That picture could not be used — see the notice.")
            raise
        self.picked.emit(scene)
        self.close()
