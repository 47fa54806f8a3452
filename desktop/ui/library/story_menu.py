"""The library row's context menu (right-click, or the Menu key on the current row): what can be done to that story."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QPoint, Signal
from PySide6.QtWidgets import QMenu, QWidget

from desktop.models import StorySummary
from desktop.ui.common.widgets import set_icon


class StoryMenu(QMenu):
    open_requested = Signal(object)  # uuid.UUID
    rename_requested = Signal(object)
    duplicate_requested = Signal(object)
    export_requested = Signal(object)
    retry_requested = Signal(object)
    delete_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.story_id: uuid.UUID | None = None
        self.open_action = self.addAction("&Open")
        self.rename_action = self.addAction("Re&name…")
        self.duplicate_action = self.addAction("&Duplicate")
        self.addSeparator()
        self.export_action = self.addAction("&Export…")
        self.retry_action = self.addAction("Retry &failed uploads")
        self.addSeparator()
        self.delete_action = self.addAction("De&lete")
        for action, name in (
            (self.rename_action, "edit"),
            (self.duplicate_action, "copy"),
            (self.export_action, "save"),
            (self.retry_action, "retry"),
            (self.delete_action, "delete"),
        ):
            set_icon(action, name)
        for action, signal in (
            (self.open_action, self.open_requested),
            (self.rename_action, self.rename_requested),
            (self.duplicate_action, self.duplicate_requested),
            (self.export_action, self.export_requested),
            (self.retry_action, self.retry_requested),
            (self.delete_action, self.delete_requested),
        ):
            action.triggered.connect(lambda _=False, signal=signal: signal.emit(self.story_id))

    def prepare(self, story: StorySummary, ready: bool) -> None:
        """Enabled as the row's story allows: a story being written can be opened and exported, not copied."""
        self.story_id = story.id
        self.rename_action.setEnabled(ready)
        self.duplicate_action.setEnabled(ready and not story.status.is_running)
        self.export_action.setEnabled(ready and story.scenes_written > 0)
        self.retry_action.setEnabled(ready and story.uploads_failed > 0)
        self.retry_action.setVisible(story.uploads_failed > 0)
        self.delete_action.setEnabled(ready and not story.status.is_running)  # cancel a story before deleting it

    def show_for(self, story: StorySummary, ready: bool, where: QPoint) -> None:
        self.prepare(story, ready)
        self.popup(where)
