"""View → Trash…: the stories and scenes the writer deleted, to restore or to remove for good.

Non-modal, like the History view. It reads the trash again whenever something goes in or comes out
(`session.trash.changed`), from this window or another. Emptying asks first (confirm.ask, never a nested exec()).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.models import TrashedScene, TrashedStory
from desktop.services.story_errors import StoryError
from desktop.services.trash import KEPT_DAYS, TrashContents
from desktop.ui.common import confirm, theme
from desktop.ui.common.when import friendly_time
from desktop.ui.common.widgets import button, small_label

if TYPE_CHECKING:
    from desktop.services.session import Session

Start = Callable[[Coroutine[Any, Any, None], str], object]  # TaskRunner.start: failures reach the window's notices
ItemRole = Qt.ItemDataRole.UserRole + 1


class Kind(StrEnum):
    story = "story"
    scene = "scene"


@dataclass(frozen=True)
class Trashed:
    kind: Kind
    id: uuid.UUID


def story_line(story: TrashedStory) -> str:
    scenes = f"{story.scenes} {'scene' if story.scenes == 1 else 'scenes'}"
    return f"{story.title} — {scenes} — deleted {friendly_time(story.deleted_at)}"


def scene_line(scene: TrashedScene) -> str:
    return f"Scene {scene.number} “{scene.title}” of {scene.story_title} — deleted {friendly_time(scene.deleted_at)}"


def counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def stories_and_scenes(stories: int, scenes: int) -> str:
    """ "2 stories and 1 scene", "3 scenes"; "" for none."""
    parts = [
        counted(stories, "story", "stories") if stories else "",
        counted(scenes, "scene", "scenes") if scenes else "",
    ]
    return " and ".join(part for part in parts if part)


class TrashDialog(QDialog):
    def __init__(self, session: Session, start: Start, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trashDialog")
        self.setWindowTitle("Trash")
        self.setModal(False)
        self.resize(620, 460)
        self._session = session
        self._start = start
        self.contents = TrashContents([], [])
        self.loads = 0  # how many times the trash was read (tests wait on it)
        self.question: QMessageBox | None = None

        heading = QLabel("Trash")
        heading.setFont(theme.scaled_font(1.1, bold=True))
        self.kept_line = small_label(
            f"Deleted stories and scenes wait here for {KEPT_DAYS} days, then are removed for good.", "muted"
        )
        self.list = QListWidget()
        self.list.setAccessibleName("Deleted stories and scenes")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setUniformItemSizes(True)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.empty_label = QLabel("The trash is empty.")
        self.empty_label.setObjectName("muted")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack = QStackedWidget()
        self._stack.addWidget(self.empty_label)
        self._stack.addWidget(self.list)

        self.status_line = QLabel("")
        self.status_line.setObjectName("hint")
        self.status_line.setWordWrap(True)
        self.restore_button = button("&Restore", "undo", primary=True, tooltip="Put the chosen items back")
        self.empty_button = button("&Empty trash…", "delete")
        self.close_button = button("&Close")
        self.restore_button.clicked.connect(self.restore_selected)
        self.empty_button.clicked.connect(self.ask_to_empty)
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.empty_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.restore_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.addWidget(heading)
        layout.addWidget(self.kept_line)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self.status_line)
        layout.addLayout(buttons)
        self._update_buttons()

        self._loading = False
        self._load_again = False
        self._reload_soon = QTimer(self, singleShot=True, interval=0)
        self._reload_soon.timeout.connect(self.load)
        session.trash.changed.connect(self._reload_soon.start)  # dropped by Qt when the dialog is deleted

    # --- reading ---

    def load(self) -> None:
        if self._loading:
            self._load_again = True
            return
        self._loading = True
        self._start(self._load(), "Reading the trash")

    async def _load(self) -> None:
        try:
            while True:
                self._load_again = False
                contents = await self._session.trash.contents()
                if not self._load_again:
                    break
        finally:
            self._loading = False
        self._fill(contents)
        self.loads += 1

    def _fill(self, contents: TrashContents) -> None:
        chosen = {item.data(ItemRole) for item in self.list.selectedItems()}
        self.contents = contents
        self.list.clear()
        for title, entries in (
            ("Stories", [(Trashed(Kind.story, s.id), story_line(s)) for s in contents.stories]),
            ("Scenes", [(Trashed(Kind.scene, s.id), scene_line(s)) for s in contents.scenes]),
        ):
            if not entries:
                continue
            header = QListWidgetItem(title)
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading, not something to restore
            header.setFont(theme.scaled_font(1.0, bold=True))
            self.list.addItem(header)
            for trashed, line in entries:
                item = QListWidgetItem(line)
                item.setData(ItemRole, trashed)
                self.list.addItem(item)
                item.setSelected(trashed in chosen)
        self._stack.setCurrentWidget(self.empty_label if contents.empty else self.list)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.restore_button.setEnabled(bool(self.selected()))
        self.empty_button.setEnabled(not self.contents.empty)

    def selected(self) -> list[Trashed]:
        return [item.data(ItemRole) for item in self.list.selectedItems() if item.data(ItemRole) is not None]

    def item_of(self, item_id: uuid.UUID) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            trashed = item.data(ItemRole)
            if trashed is not None and trashed.id == item_id:
                return item
        return None

    # --- restoring ---

    def restore_selected(self) -> None:
        chosen = self.selected()
        if chosen:
            self.restore_button.setEnabled(False)
            self._start(self._restore(chosen), "Restoring from the trash")

    async def _restore(self, chosen: list[Trashed]) -> None:
        trash, refused = self._session.trash, []
        restored = 0
        for trashed in chosen:
            try:
                if trashed.kind is Kind.story:
                    await trash.restore_story(trashed.id)
                else:
                    await trash.restore_scene(trashed.id)
                restored += 1
            except StoryError as exc:
                refused.append(str(exc))
        lines = [f"Restored {counted(restored, 'item', 'items')}."] if restored else []
        self._say(" ".join(lines + refused), error=bool(refused))
        self._update_buttons()

    # --- emptying ---

    def ask_to_empty(self) -> None:
        stories, scenes = len(self.contents.stories), len(self.contents.scenes)
        if not stories and not scenes:
            return
        what = stories_and_scenes(stories, scenes)
        self.question = confirm.ask(
            self,
            f"Remove {what} for good?",
            [
                confirm.Option("Empty trash", QMessageBox.ButtonRole.DestructiveRole, confirm.Answer.go_ahead),
                confirm.Option("Cancel", QMessageBox.ButtonRole.RejectRole, confirm.Answer.stay),
            ],
            self._empty_answered,
            informative="Their texts, versions and images are deleted, from this computer and from storage. "
            "This cannot be undone.",
            title="Empty trash",
        )

    def _empty_answered(self, answer: confirm.Answer) -> None:
        self.question = None
        if answer is confirm.Answer.go_ahead:
            self.empty_button.setEnabled(False)
            self._start(self._empty(), "Emptying the trash")

    async def _empty(self) -> None:
        purged = await self._session.trash.empty()
        removed = stories_and_scenes(purged.stories, purged.scenes) or "Nothing"
        self._say(f"{removed} removed for good.")
        self.load()

    def _say(self, line: str, *, error: bool = False) -> None:
        self.status_line.setObjectName("fieldError" if error else "hint")
        self.status_line.style().unpolish(self.status_line)
        self.status_line.style().polish(self.status_line)
        self.status_line.setText(line)
