"""The left side: a search box over the paged story list, with loading and empty states that say what to do."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAccessible, QContextMenuEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.models import StorySummary
from desktop.ui.common import theme
from desktop.ui.common.resources import icon
from desktop.ui.common.widgets import icon_pixmap, set_icon, small_label, tool_button
from desktop.ui.library.library_delegate import LibraryDelegate
from desktop.ui.library.library_model import AnyIndex, LibraryModel, StartTask, StoryIdRole

SEARCH_DELAY_MS = 180
ROW_REPAINT_DELAY_MS = 100
FetchPage = Callable[[str, int, int], Awaitable[list[StorySummary]]]


class StoryList(QListView):
    """The stories, one uniform row each; a story that changed repaints its own row only, a moment later.

    QListView repaints the whole list when any one row changes: every visible row drawn again each time the story
    being written saves a scene. Rows are all one height, so a changed row never moves another. The row waits a few
    frames: the story page changes in the same turn (a new title, the progress line, the next card), and the row,
    which the writer is not reading, need not be drawn in that frame too. With a screen reader listening, Qt's own
    handling tells it about the change at once.
    """

    menu_requested = Signal(object, QPoint)  # the row's story id, where its menu opens (global)
    delete_requested = Signal(object)  # the current row's story id (the Delete key)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._changed_rows: set[int] = set()
        self._repaint_rows = QTimer(self, singleShot=True, interval=ROW_REPAINT_DELAY_MS)
        self._repaint_rows.timeout.connect(self._repaint_changed_rows)

    def dataChanged(self, top_left: AnyIndex, bottom_right: AnyIndex, roles: Sequence[int] = ()) -> None:
        if top_left == bottom_right and top_left.isValid() and not QAccessible.isActive():
            self._changed_rows.add(top_left.row())
            if not self._repaint_rows.isActive():
                self._repaint_rows.start()
            return
        super().dataChanged(top_left, bottom_right, list(roles))

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        # The Menu key opens the current row's menu at that row; a right-click, the menu of the row under the mouse.
        if event.reason() == QContextMenuEvent.Reason.Keyboard:
            index = self.currentIndex()
            where = self.visualRect(index).center()
        else:
            where = event.pos()
            index = self.indexAt(where)
        if not index.isValid():
            return
        self.menu_requested.emit(index.data(StoryIdRole), self.viewport().mapToGlobal(where))
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        if event.key() == Qt.Key.Key_Delete and event.modifiers() == Qt.KeyboardModifier.NoModifier and index.isValid():
            self.delete_requested.emit(index.data(StoryIdRole))
            event.accept()
            return
        super().keyPressEvent(event)

    def _repaint_changed_rows(self) -> None:
        model = self.model()
        for row in self._changed_rows:
            if row < model.rowCount():
                self.update(model.index(row, 0))
        self._changed_rows.clear()


class LibraryPanel(QWidget):
    story_selected = Signal(object)  # uuid.UUID
    trash_requested = Signal()

    def __init__(self, fetch_page: FetchPage, start_task: StartTask, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("libraryPanel")
        self.model = LibraryModel(fetch_page, start_task)

        heading = QLabel("Library")
        heading.setFont(theme.scaled_font(1.15, bold=True))
        heading.setAccessibleName("Library")
        self.count_label = small_label("", "muted")
        self.count_label.setWordWrap(False)

        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search stories")
        self.search_box.setAccessibleName("Search stories")
        self.search_box.setClearButtonEnabled(True)
        search_icon = self.search_box.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        set_icon(search_icon, "search")
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_search)
        self.search_box.textChanged.connect(lambda _: self._search_timer.start())
        self.search_box.returnPressed.connect(self._apply_search)

        self.view = StoryList()
        self.view.setAccessibleName("Stories")
        self.view.setModel(self.model)
        self.view.setItemDelegate(LibraryDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setMouseTracking(True)
        self.view.setSpacing(0)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)

        self.notice_icon = QLabel()
        self.notice_icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice_icon.setPixmap(icon_pixmap("library", 40, theme.muted_text()))
        self.notice = QLabel("Loading the library…")
        self.notice.setObjectName("muted")
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        notice_page = QWidget()
        notice_layout = QVBoxLayout(notice_page)
        notice_layout.addStretch(1)
        notice_layout.addWidget(self.notice_icon)
        notice_layout.addWidget(self.notice)
        notice_layout.addStretch(2)
        self._stack = QStackedWidget()
        self._stack.addWidget(notice_page)
        self._stack.addWidget(self.view)
        self._notice_page = notice_page

        self.trash_button = tool_button("Trash", "delete", tooltip="Deleted stories and scenes, to restore")
        self.trash_button.setAutoRaise(True)
        self.trash_button.clicked.connect(self.trash_requested)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addStretch(1)
        bottom.addWidget(self.trash_button)

        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 6, 6)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.search_box)
        layout.addWidget(self._stack, 1)
        layout.addLayout(bottom)

        self.model.loaded.connect(self._show_state)
        self.model.modelReset.connect(self._show_state)
        self.model.rowsInserted.connect(self._show_state)
        self._failed = False
        self._total: int | None = None

    def _apply_search(self) -> None:
        self._search_timer.stop()
        text = self.search_box.text().strip()
        if text != self.model.search:
            self.model.reload(text)

    def reload(self) -> None:
        self._failed = False
        self.model.reload(self.search_box.text().strip())

    def set_total(self, total: int | None) -> None:
        self._total = total
        if not total:
            self.count_label.setText("")
        else:
            self.count_label.setText(f"{total:,} {'story' if total == 1 else 'stories'}")

    def show_failure(self, message: str) -> None:
        self._failed = True
        self.notice.setText(message)
        self.notice_icon.setPixmap(icon_pixmap("error", 40, theme.muted_text()))
        self._stack.setCurrentWidget(self._notice_page)

    def _show_state(self, *_: object) -> None:
        if self._failed:
            return
        if self.model.rowCount() > 0:
            self._stack.setCurrentWidget(self.view)
            return
        if not self.model.has_loaded:
            self.notice.setText("Loading the library…")
        elif self.model.search:
            self.notice.setText(f"No story matches “{self.model.search}”. Try fewer or shorter words.")
        else:
            self.notice.setText("No stories yet — press Ctrl+N to write your first.")
        self._stack.setCurrentWidget(self._notice_page)

    def _selection_changed(self, selected: QItemSelection, _: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes:
            self.story_selected.emit(indexes[0].data(StoryIdRole))

    def select_story(self, story_id: uuid.UUID) -> None:
        row = self.model.row_of(story_id)
        if row is None:
            self.view.clearSelection()
            return
        index: QModelIndex = self.model.index(row)
        if self.view.currentIndex() != index:
            self.view.setCurrentIndex(index)
        self.view.scrollTo(index)

    def selected_story(self) -> StorySummary | None:
        index = self.view.currentIndex()
        return self.model.summary(index.data(StoryIdRole)) if index.isValid() else None
