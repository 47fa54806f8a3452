"""The Uploads dock: every upload with its reason, Retry / Cancel / Retry all failed, and a filter by state."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QAccessible, QAction, QGuiApplication, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.models import Upload, UploadStatus
from desktop.services.runtime import Runtime
from desktop.ui.common.widgets import button, field_label, small_label
from desktop.ui.uploads.uploads_model import Column, ProgressRole, UploadRole, UploadsFilter, UploadsModel, target_name

if TYPE_CHECKING:
    from desktop.services.session import Session  # loaded with the services, once the database is up
    from desktop.services.story_service import StoryService
    from desktop.services.upload_manager import UploadManager

# Of the finished uploads the panel opens with the latest this many (all waiting and failed ones are always there):
# after months of writing there are tens of thousands, and each would be read and validated on the loop at start.
SHOWN_UPLOADED = 1000

FILTERS: list[tuple[str, UploadStatus | None]] = [
    ("All uploads", None),
    ("Queued", UploadStatus.queued),
    ("Uploading", UploadStatus.uploading),
    ("Uploaded", UploadStatus.uploaded),
    ("Failed", UploadStatus.failed),
    ("Cancelled", UploadStatus.cancelled),
]
AnyIndex = QModelIndex | QPersistentModelIndex
CELL_PADDING = 6
LEFT_MIDDLE = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT_MIDDLE = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ELIDE_RIGHT = Qt.TextElideMode.ElideRight


def fill_selection(painter: QPainter, option: QStyleOptionViewItem) -> bool:
    """A selected cell's highlight (not every platform style draws it behind the row); True if selected."""
    selected = bool(option.state & QStyle.StateFlag.State_Selected)
    if selected:
        painter.fillRect(option.rect, option.palette.highlight())
    return selected


class CellDelegate(QStyledItemDelegate):
    """A cell's one line of text, drawn directly.

    The platform style lays each cell's text out anew and asks the model for seven roles per cell, and the table is
    painted whole each time an upload joins it at the top.
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        palette = option.palette
        selected = fill_selection(painter, option)  # alternate rows' background is the view's own
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if text:
            column = index.column()
            color = palette.highlightedText().color() if selected else palette.text().color()
            if column == Column.state and not selected:
                color = index.data(Qt.ItemDataRole.ForegroundRole) or color
            alignment = RIGHT_MIDDLE if column in (Column.scene, Column.attempts) else LEFT_MIDDLE
            room = option.rect.adjusted(CELL_PADDING, 0, -CELL_PADDING, 0)
            painter.save()
            painter.setFont(option.font)
            painter.setPen(color)
            painter.drawText(room, alignment, option.fontMetrics.elidedText(text, ELIDE_RIGHT, room.width()))
            painter.restore()
        if option.state & QStyle.StateFlag.State_HasFocus:
            painter.save()
            painter.setPen(palette.highlight().color())
            painter.drawRect(option.rect.adjusted(0, 0, -1, -1))
            painter.restore()


class ProgressDelegate(CellDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        done, total = index.data(ProgressRole) or (0, 0)
        if not total:
            super().paint(painter, option, index)
            return
        fill_selection(painter, option)
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(option.rect.adjusted(6, 7, -6, -7))
        bar.minimum, bar.maximum, bar.progress = 0, 1000, round(1000 * done / total)
        bar.text = f"{round(100 * done / total)} %"
        bar.textVisible = False
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        bar.palette = option.palette
        style = option.widget.style() if option.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)


class UploadTable(QTableView):
    """The uploads, a row each; an upload that changed repaints its own row only.

    QTableView repaints everything in sight when a change spans more than one cell, as an upload's does (its
    state, attempts, progress and reason together), several times for every image a story uploads. With a screen
    reader listening, Qt's own handling tells it about the change.
    """

    def dataChanged(self, top_left: AnyIndex, bottom_right: AnyIndex, roles: Sequence[int] = ()) -> None:
        row = top_left.row()
        if top_left.isValid() and bottom_right.row() == row and not QAccessible.isActive():
            self.viewport().update(0, self.rowViewportPosition(row), self.viewport().width(), self.rowHeight(row))
            return
        super().dataChanged(top_left, bottom_right, list(roles))


class UploadsPanel(QDockWidget):
    counts_changed = Signal(int, int)  # pending, failed

    def __init__(self, runtime: Runtime, parent: QWidget | None = None) -> None:
        super().__init__("Uploads", parent)
        self.setObjectName("uploadsDock")
        self._runtime = runtime
        self._session: Session | None = None  # the panel shows its uploads once the database is ready
        self.model = UploadsModel()
        self.filter = UploadsFilter()
        self.filter.setSourceModel(self.model)
        self.model.counts_changed.connect(self.counts_changed)
        self.model.counts_changed.connect(self._update_summary)
        self.model.titles_wanted.connect(self._fetch_titles)
        self._asked_titles: set[uuid.UUID] = set()

        self.filter_box = QComboBox()
        for label, _ in FILTERS:
            self.filter_box.addItem(label)
        self.filter_box.currentIndexChanged.connect(lambda row: self.filter.set_status(FILTERS[row][1]))
        show_label = field_label("Sho&w", self.filter_box)
        self.retry_button = button("Retry", "retry", tooltip="Upload the selected images again now")
        self.cancel_button = button("Cancel", "cancel", tooltip="Stop the selected uploads; the images stay on disk")
        self.retry_all_button = button("Retry all failed", "retry", tooltip="Upload every failed image again (Ctrl+R)")
        self.retry_button.clicked.connect(self.retry_selected)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.retry_all_button.clicked.connect(self.retry_all_failed)
        # Shown only while uploads wait on a storage that is no longer chosen (the writer switched storage).
        self.send_button = button("Send to chosen storage", "retry")
        self.send_button.clicked.connect(self.send_to_chosen_storage)
        self.send_button.hide()
        self.summary = small_label("", "muted")
        self.summary.setWordWrap(False)

        self.table = UploadTable()
        self.table.setAccessibleName("Uploads")
        self.table.setModel(self.filter)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 14)
        self.table.setItemDelegate(CellDelegate(self.table))
        self.table.setItemDelegateForColumn(Column.progress, ProgressDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for column, width in (
            (Column.story, 200),
            (Column.scene, 60),
            (Column.target, 130),
            (Column.state, 100),
            (Column.attempts, 80),
        ):
            self.table.setColumnWidth(column, width)
        self.table.setColumnWidth(Column.progress, 120)
        header.setSectionResizeMode(Column.reason, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.filter.rowsInserted.connect(self._update_buttons)
        self.filter.dataChanged.connect(self._update_buttons)
        self.filter.modelReset.connect(self._update_buttons)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.copy_action = QAction("Copy reason", self.table)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(self.copy_reasons)
        self.table.addAction(self.copy_action)

        self.empty = QLabel("No uploads yet — each image is uploaded as soon as it is painted.")
        self.empty.setObjectName("muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self._stack = QStackedWidget()
        self._stack.addWidget(self.empty)
        self._stack.addWidget(self.table)
        self.filter.rowsInserted.connect(self._show_state)
        self.filter.rowsRemoved.connect(self._show_state)
        self.filter.modelReset.connect(self._show_state)
        self.filter.layoutChanged.connect(self._show_state)

        bar = QHBoxLayout()
        bar.setSpacing(6)
        bar.addWidget(show_label)
        bar.addWidget(self.filter_box)
        bar.addSpacing(12)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.retry_button)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.retry_all_button)
        bar.addWidget(self.send_button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(10, 6, 10, 10)
        layout.setSpacing(6)
        layout.addLayout(bar)
        layout.addWidget(self._stack, 1)
        self.setWidget(body)
        self._update_buttons()
        self._update_summary(0, 0)

    def height_for_rows(self, rows: int) -> int:
        """The dock's height that shows `rows` uploads under its bar and the table's header."""
        table = self.table
        table_height = (
            table.horizontalHeader().sizeHint().height()
            + rows * table.verticalHeader().defaultSectionSize()
            + 2 * table.frameWidth()
        )
        return self.minimumSizeHint().height() - self._stack.minimumSizeHint().height() + table_height

    # --- following the UploadManager ---

    def set_session(self, session: Session) -> None:
        """The database is ready: follow the UploadManager and show what it holds."""
        self._session = session
        manager = session.uploads
        manager.upload_changed.connect(self.model.upsert)
        manager.upload_progress.connect(self.model.set_progress)
        manager.upload_removed.connect(self.model.remove)
        self.storage_changed()
        self.reload()

    def storage_changed(self) -> None:
        """The settings chose another storage: rows of the one left behind are marked, and can be sent on."""
        if self._session is not None:
            manager = self._session.uploads
            self.model.set_chosen_backend(manager.backend_name)
            self.send_button.setToolTip(f"Send every upload waiting for another storage to {manager.storage_label}")

    def reload(self) -> None:
        if self._session is not None:
            self._runtime.tasks.start(self._load(self._session.uploads), "Loading the uploads")

    async def _load(self, manager: UploadManager) -> None:
        stored = await manager.uploads(uploaded_limit=SHOWN_UPLOADED)
        live = {upload.id: upload for upload in self.model.uploads()}  # changes that arrived while loading win
        merged = {upload.id: upload for upload in stored} | live
        self.model.set_uploads(list(merged.values()))

    def _fetch_titles(self, story_ids: set[uuid.UUID]) -> None:
        wanted = story_ids - self._asked_titles
        if wanted and self._session is not None:
            self._asked_titles |= wanted
            self._runtime.tasks.start(self._load_titles(self._session.stories, wanted), "Naming the uploads' stories")

    async def _load_titles(self, service: StoryService, story_ids: set[uuid.UUID]) -> None:
        for story_id in story_ids:
            title = await service.title(story_id)
            self.model.set_title(story_id, title if title is not None else "(deleted story)")

    def set_title(self, story_id: uuid.UUID, title: str) -> None:
        self._asked_titles.add(story_id)
        self.model.set_title(story_id, title)

    # --- actions ---

    def selected_uploads(self) -> list[Upload]:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return [self.filter.index(row, 0).data(UploadRole) for row in sorted(rows)]

    def retry_selected(self) -> None:
        if self._session is None:
            return
        for upload in self.selected_uploads():
            if upload.status.can_retry:
                self._runtime.tasks.start(self._session.uploads.retry(upload.id), "Retrying an upload")

    def cancel_selected(self) -> None:
        if self._session is None:
            return
        for upload in self.selected_uploads():
            if upload.status.can_cancel:
                self._runtime.tasks.start(self._session.uploads.cancel(upload.id), "Cancelling an upload")

    def retry_all_failed(self) -> None:
        if self._session is not None:
            self._runtime.tasks.start(self._session.uploads.retry_all_failed(), "Retrying the failed uploads")

    def send_to_chosen_storage(self) -> None:
        if self._session is not None:
            self._runtime.tasks.start(self._session.uploads.retarget(), "Sending the uploads to the chosen storage")

    def copy_reasons(self) -> None:
        reasons = [upload.error_message for upload in self.selected_uploads() if upload.error_message]
        if reasons:
            QGuiApplication.clipboard().setText("\n".join(reasons))

    def _context_menu(self, position: QPoint) -> None:
        menu = QMenu(self.table)
        menu.addAction(self.copy_action)
        retry = menu.addAction("Retry")
        retry.triggered.connect(self.retry_selected)
        cancel = menu.addAction("Cancel")
        cancel.triggered.connect(self.cancel_selected)
        selected = self.selected_uploads()
        self.copy_action.setEnabled(any(upload.error_message for upload in selected))
        retry.setEnabled(any(upload.status.can_retry for upload in selected))
        cancel.setEnabled(any(upload.status.can_cancel for upload in selected))
        menu.popup(self.table.viewport().mapToGlobal(position))

    def _update_buttons(self, *_: object) -> None:
        selected = self.selected_uploads()
        self.retry_button.setEnabled(any(upload.status.can_retry for upload in selected))
        self.cancel_button.setEnabled(any(upload.status.can_cancel for upload in selected))
        self.retry_all_button.setEnabled(self.model.counts()[1] > 0)
        stranded = self.model.stranded_count()
        self.send_button.setVisible(stranded > 0)
        if stranded and self._session is not None:
            name = target_name(self._session.uploads.backend_name)
            text = f"Send {stranded} to {name}"
            if self.send_button.text() != text:
                self.send_button.setText(text)
                self.send_button.setAccessibleName(text)

    def _update_summary(self, pending: int, failed: int) -> None:
        total = self.model.rowCount()
        parts = [f"{total} {'upload' if total == 1 else 'uploads'}"]
        if pending:
            parts.append(f"{pending} pending")
        if failed:
            parts.append(f"{failed} failed")
        stranded = self.model.stranded_count()
        if stranded:
            parts.append(f"{stranded} not sent to the chosen storage")
        self.summary.setText(" · ".join(parts))
        self._update_buttons()

    def _show_state(self, *_: object) -> None:
        if self.filter.rowCount() > 0:
            self._stack.setCurrentWidget(self.table)
            return
        if self.model.rowCount() > 0:
            shown = FILTERS[self.filter_box.currentIndex()][0].lower()
            self.empty.setText(f"No {shown} uploads. Choose “All uploads” to see every one.")
        else:
            self.empty.setText("No uploads yet — each image is uploaded as soon as it is painted.")
        self._stack.setCurrentWidget(self.empty)


def status_text(pending: int, failed: int) -> str:
    """The status bar's counter."""
    if not pending and not failed:
        return "Uploads: all done"
    parts = []
    if pending:
        parts.append(f"{pending} pending")
    if failed:
        parts.append(f"{failed} failed")
    return "Uploads: " + " · ".join(parts)
