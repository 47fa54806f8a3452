"""Every upload as a table row: story, scene, state, attempts, progress and the reason in plain words."""

from __future__ import annotations

import uuid
from collections import Counter
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from desktop.models import Upload, UploadStatus
from desktop.ui.common import theme

UploadRole = Qt.ItemDataRole.UserRole + 1
ProgressRole = Qt.ItemDataRole.UserRole + 2
StatusRole = Qt.ItemDataRole.UserRole + 3
AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    story = 0
    scene = 1
    target = 2
    state = 3
    attempts = 4
    progress = 5
    reason = 6


COLUMNS = tuple(Column)
ANSWERED_ROLES = frozenset(
    int(role)
    for role in (
        UploadRole,
        StatusRole,
        ProgressRole,
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
    )
)


HEADERS = {
    Column.story: "Story",
    Column.scene: "Scene",
    Column.target: "Storage",
    Column.state: "State",
    Column.attempts: "Attempts",
    Column.progress: "Progress",
    Column.reason: "Reason",
}


TARGET_NAMES = {"supabase": "Supabase", "local": "Local folder"}  # as Settings names them


def target_name(backend: str) -> str:
    return TARGET_NAMES.get(backend, backend)


def is_stranded(upload: Upload, chosen: str) -> bool:
    """Waiting or failed on a storage that is no longer the chosen one: nothing sends it until it is sent on."""
    return bool(chosen) and upload.backend != chosen and upload.status in (UploadStatus.queued, UploadStatus.failed)


def first_line(text: str, limit: int = 140) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


class UploadsModel(QAbstractTableModel):
    counts_changed = Signal(int, int)  # pending, failed
    titles_wanted = Signal(object)  # set of story ids with no known title

    def __init__(self) -> None:
        super().__init__()
        self._uploads: list[Upload] = []
        self._positions: dict[uuid.UUID, int] = {}  # where each upload is in `_uploads` (oldest first)
        self._progress: dict[uuid.UUID, tuple[int, int]] = {}
        self._titles: dict[uuid.UUID, str] = {}
        self._statuses: Counter[UploadStatus] = Counter()
        self._targets: Counter[tuple[str, UploadStatus]] = Counter()  # the stranded count without a walk
        self._chosen = ""  # the storage the settings name

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._uploads)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # The table asks each cell for seven roles each time it paints it, most of them answered by none: those
        # go first.
        if role not in ANSWERED_ROLES or not index.isValid():
            return None
        upload = self.upload_at(index.row())
        column = COLUMNS[index.column()]
        if role == UploadRole:
            return upload
        if role == StatusRole:
            return upload.status.value
        if role == ProgressRole:
            return self.progress_of(upload)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._display(upload, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == Column.reason and upload.error_message:
                return upload.error_message
            if column == Column.story:
                return self._titles.get(upload.story_id, str(upload.story_id))
            if column == Column.state and upload.url:
                return upload.url
            if column == Column.target and is_stranded(upload, self._chosen):
                return (
                    f"Sent to {target_name(upload.backend)}, which is no longer the chosen storage: "
                    "send it to the chosen one, or choose this storage again."
                )
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column == Column.state:
            return theme.tone_colors(theme.UPLOAD_TONES[upload.status]).text
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (Column.scene, Column.attempts):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, upload: Upload, column: Column) -> str:
        match column:
            case Column.story:
                return self._titles.get(upload.story_id, "…")
            case Column.scene:
                return str(upload.scene_index + 1)
            case Column.target:
                name = target_name(upload.backend)
                return f"{name} (not chosen)" if is_stranded(upload, self._chosen) else name
            case Column.state:
                return theme.UPLOAD_LABELS[upload.status]
            case Column.attempts:
                return str(upload.attempts)
            case Column.progress:
                done, total = self.progress_of(upload)
                return f"{round(100 * done / total)} %" if total else ""
            case Column.reason:
                return first_line(upload.error_message)

    def progress_of(self, upload: Upload) -> tuple[int, int]:
        if upload.status is UploadStatus.uploading:
            return self._progress.get(upload.id, (0, 0))
        return (0, 0)

    # --- changes ---

    def set_uploads(self, uploads: list[Upload]) -> None:
        """`uploads` oldest first, as the manager lists them; the table shows them newest first."""
        self.beginResetModel()
        self._uploads = sorted(uploads, key=lambda upload: upload.created_at)
        self._positions = {upload.id: position for position, upload in enumerate(self._uploads)}
        self._statuses = Counter(upload.status for upload in self._uploads)
        self._targets = Counter((upload.backend, upload.status) for upload in self._uploads)
        self.endResetModel()
        self._want_titles({upload.story_id for upload in self._uploads})
        self.counts_changed.emit(*self.counts())

    def upsert(self, upload: Upload) -> None:
        """A new upload is appended to the list and so shows as the table's first row: O(1) per change."""
        position = self._positions.get(upload.id)
        if position is not None:
            self._statuses[self._uploads[position].status] -= 1
            self._targets[self._uploads[position].backend, self._uploads[position].status] -= 1
            self._uploads[position] = upload
            row = self._row(position)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))
        else:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._positions[upload.id] = len(self._uploads)
            self._uploads.append(upload)
            self.endInsertRows()
        self._statuses[upload.status] += 1
        self._targets[upload.backend, upload.status] += 1
        if upload.status is not UploadStatus.uploading:
            self._progress.pop(upload.id, None)
        self._want_titles({upload.story_id})
        self.counts_changed.emit(*self.counts())

    def remove(self, upload_id: uuid.UUID) -> None:
        """An upload merged into its scene's row on another storage."""
        position = self._positions.get(upload_id)
        if position is None:
            return
        row = self._row(position)
        self.beginRemoveRows(QModelIndex(), row, row)
        upload = self._uploads.pop(position)
        self._positions = {known.id: index for index, known in enumerate(self._uploads)}
        self._statuses[upload.status] -= 1
        self._targets[upload.backend, upload.status] -= 1
        self._progress.pop(upload_id, None)
        self.endRemoveRows()
        self.counts_changed.emit(*self.counts())

    def set_chosen_backend(self, backend: str) -> None:
        if backend == self._chosen:
            return
        self._chosen = backend
        if self._uploads:
            self.dataChanged.emit(self.index(0, Column.target), self.index(len(self._uploads) - 1, Column.target))
        self.counts_changed.emit(*self.counts())

    def stranded_count(self) -> int:
        """Uploads waiting or failed on a storage that is no longer the chosen one."""
        return sum(
            count
            for (backend, status), count in self._targets.items()
            if self._chosen and backend != self._chosen and status in (UploadStatus.queued, UploadStatus.failed)
        )

    def _row(self, position: int) -> int:
        return len(self._uploads) - 1 - position

    def set_progress(self, upload_id: uuid.UUID, done: int, total: int) -> None:
        self._progress[upload_id] = (done, total)
        position = self._positions.get(upload_id)
        if position is not None:
            index = self.index(self._row(position), Column.progress)
            self.dataChanged.emit(index, index)

    def set_title(self, story_id: uuid.UUID, title: str) -> None:
        if self._titles.get(story_id) == title:
            return
        self._titles[story_id] = title
        for position, upload in enumerate(self._uploads):
            if upload.story_id == story_id:
                index = self.index(self._row(position), Column.story)
                self.dataChanged.emit(index, index)

    def _want_titles(self, story_ids: set[uuid.UUID]) -> None:
        missing = {story_id for story_id in story_ids if story_id not in self._titles}
        if missing:
            self.titles_wanted.emit(missing)

    def counts(self) -> tuple[int, int]:
        pending = self._statuses[UploadStatus.queued] + self._statuses[UploadStatus.uploading]
        return pending, self._statuses[UploadStatus.failed]

    def upload_at(self, row: int) -> Upload:
        return self._uploads[len(self._uploads) - 1 - row]

    def uploads(self) -> list[Upload]:
        """Newest first, as shown."""
        return self._uploads[::-1]


class UploadsFilter(QSortFilterProxyModel):
    """One state, or every state (`None`)."""

    def __init__(self) -> None:
        super().__init__()
        self._status: UploadStatus | None = None
        self.setFilterRole(StatusRole)

    @property
    def status(self) -> UploadStatus | None:
        return self._status

    def set_status(self, status: UploadStatus | None) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt ≥ 6.10, where invalidateFilter() is deprecated
            self.beginFilterChange()
            self._status = status
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._status = status
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        if self._status is None:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        return bool(index.data(StatusRole) == self._status.value)
