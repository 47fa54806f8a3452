"""The library as a model paged from the database, so ten thousand stories open and scroll smoothly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from desktop.models import StorySummary

PAGE_SIZE = 200

FetchPage = Callable[[str, int, int], Awaitable[list[StorySummary]]]
StartTask = Callable[[Awaitable[Any], str], object]

StoryRole = Qt.ItemDataRole.UserRole + 1
AnyIndex = QModelIndex | QPersistentModelIndex


class LibraryModel(QAbstractListModel):
    loaded = Signal()

    def __init__(self, fetch_page: FetchPage, start_task: StartTask) -> None:
        super().__init__()
        self._fetch_page = fetch_page
        self._start_task = start_task
        self._stories: list[StorySummary] = []
        self._search = ""
        self._exhausted = False
        self._loading = False
        self._generation = 0  # a new search makes pages of the old one stale

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._stories)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._stories):
            return None
        story = self._stories[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return story.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{story.title}\n{story.status.value} · {story.scene_count} scenes"
        if role == StoryRole:
            return story
        return None

    @property
    def is_loading(self) -> bool:
        return self._loading

    def reload(self, search: str = "") -> None:
        self._generation += 1
        self.beginResetModel()
        self._stories = []
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
        if page:
            first = len(self._stories)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._stories.extend(page)
            self.endInsertRows()
        self.loaded.emit()

    def upsert(self, story: StorySummary) -> None:
        """A story changed or was created: update its row, or put it first."""
        for row, known in enumerate(self._stories):
            if known.id == story.id:
                self._stories[row] = story
                index = self.index(row)
                self.dataChanged.emit(index, index)
                return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._stories.insert(0, story)
        self.endInsertRows()
