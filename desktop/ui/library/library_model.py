"""The library as a model paged from the database, so ten thousand stories open and scroll smoothly."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from desktop.models import Story, StorySummary

PAGE_SIZE = 200

FetchPage = Callable[[str, int, int], Awaitable[list[StorySummary]]]
StartTask = Callable[[Coroutine[Any, Any, Any], str], object]

StoryRole = Qt.ItemDataRole.UserRole + 1
StoryIdRole = Qt.ItemDataRole.UserRole + 2
AnyIndex = QModelIndex | QPersistentModelIndex


def summary_of(story: Story, known: StorySummary | None) -> StorySummary:
    """The story's row after it changed; what the row already knew of its scenes and uploads stays."""
    return StorySummary(
        id=story.id,
        title=story.title,
        status=story.status,
        scene_count=story.scene_count,
        scenes_written=known.scenes_written if known else 0,
        created_at=story.created_at,
        updated_at=story.updated_at,
        uploads_failed=known.uploads_failed if known else 0,
        images_not_stored=known.images_not_stored if known else 0,
    )


def storage_note(story: StorySummary) -> str:
    """What the row says of images not stored where they were sent ("" when all are, or while it is written)."""
    if story.status.is_running:
        return ""
    if story.uploads_failed:
        return f"{story.uploads_failed} {'upload' if story.uploads_failed == 1 else 'uploads'} failed"
    if story.images_not_stored:
        return f"{story.images_not_stored} {'image' if story.images_not_stored == 1 else 'images'} not stored"
    return ""


class LibraryModel(QAbstractListModel):
    """Newest first; rows arrive a page at a time as the view scrolls, and live changes update rows in place."""

    loaded = Signal()

    def __init__(self, fetch_page: FetchPage, start_task: StartTask) -> None:
        super().__init__()
        self._fetch_page = fetch_page
        self._start_task = start_task
        self._stories: list[StorySummary] = []
        self._rows: dict[uuid.UUID, int] = {}
        self._search = ""
        self._exhausted = False
        self._loading = False
        self._ever_loaded = False
        self._generation = 0  # a new search makes pages of the old one stale

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._stories)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._stories):
            return None
        story = self._stories[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return story.title
        if role == Qt.ItemDataRole.AccessibleTextRole:
            note = storage_note(story)
            text = f"{story.title}, {story.status.value}, {story.scenes_written} of {story.scene_count} scenes"
            return f"{text}, {note}" if note else text
        if role == Qt.ItemDataRole.ToolTipRole:
            return story.title
        if role == StoryRole:
            return story
        if role == StoryIdRole:
            return story.id
        return None

    @property
    def is_loading(self) -> bool:
        return self._loading

    @property
    def has_loaded(self) -> bool:
        """At least one page arrived (it may have been empty)."""
        return self._ever_loaded

    @property
    def search(self) -> str:
        return self._search

    def reload(self, search: str = "") -> None:
        self._generation += 1
        self.beginResetModel()
        self._stories = []
        self._rows = {}
        self._search = search
        self._exhausted = False
        self._loading = False
        self.endResetModel()
        self.fetchMore(QModelIndex())

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._loading = True
        self._start_task(self._load_page(self._generation), "Loading the library")

    async def _load_page(self, generation: int) -> None:
        try:
            page = await self._fetch_page(self._search, PAGE_SIZE, len(self._stories))
        finally:
            if generation == self._generation:
                self._loading = False
        if generation != self._generation:
            return
        self._exhausted = len(page) < PAGE_SIZE
        fresh = [story for story in page if story.id not in self._rows]  # a live insert may have come first
        if fresh:
            first = len(self._stories)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            for offset, story in enumerate(fresh):
                self._rows[story.id] = first + offset
            self._stories.extend(fresh)
            self.endInsertRows()
        self._ever_loaded = True
        self.loaded.emit()

    def row_of(self, story_id: uuid.UUID) -> int | None:
        return self._rows.get(story_id)

    def summary(self, story_id: uuid.UUID) -> StorySummary | None:
        row = self._rows.get(story_id)
        return None if row is None else self._stories[row]

    def upsert(self, story: StorySummary) -> None:
        """A story changed or was created: update its row, or put it first (when no search hides it)."""
        row = self._rows.get(story.id)
        if row is not None:
            self._stories[row] = story
            index = self.index(row)
            self.dataChanged.emit(index, index)
            return
        if self._search:
            return  # it may not match; the next search shows it if it does
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._stories.insert(0, story)
        self._rows = {known.id: position for position, known in enumerate(self._stories)}
        self.endInsertRows()
        self.loaded.emit()

    def remove(self, story_id: uuid.UUID) -> None:
        """The story went to the trash (or was purged): its row goes; a restore brings it back through upsert."""
        row = self._rows.get(story_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._stories[row]
        self._rows = {known.id: position for position, known in enumerate(self._stories)}
        self.endRemoveRows()

    def story_changed(self, story: Story) -> None:
        self.upsert(summary_of(story, self.summary(story.id)))

    def scenes_arranged(self, story_id: uuid.UUID, scenes: int) -> None:
        """A scene was inserted, deleted or restored: the row counts the story's scenes as they are now."""
        known = self.summary(story_id)
        if known is not None and known.scenes_written != scenes:
            self.upsert(known.model_copy(update={"scenes_written": scenes}))

    def scene_saved(self, story_id: uuid.UUID, index: int) -> None:
        # Scenes are written in order, so the highest index seen tells how many exist.
        known = self.summary(story_id)
        if known is not None and known.scenes_written < index + 1:
            self.upsert(known.model_copy(update={"scenes_written": index + 1}))
