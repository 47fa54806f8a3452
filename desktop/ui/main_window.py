"""The main window: the library on the left, the story in the middle, the database named in the status bar."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import __version__
from desktop.config import log_dir
from desktop.models import StorySummary
from desktop.services.runtime import Runtime
from desktop.ui.library_model import LibraryModel


class MainWindow(QMainWindow):
    close_requested = Signal()

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self._runtime = runtime
        self._closing = False
        self.setWindowTitle("Storyforge")
        self.resize(1100, 720)

        self.library = LibraryModel(self._fetch_page, runtime.tasks.start)
        self.library_view = QListView()
        self.library_view.setAccessibleName("Library")
        self.library_view.setModel(self.library)
        self.library_view.setUniformItemSizes(True)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search stories")
        self.search_box.setAccessibleName("Search stories")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(self.library.reload)
        self.library_notice = QLabel("Loading the library…")
        self.library_notice.setWordWrap(True)
        self.library_notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._library_stack = QStackedWidget()
        self._library_stack.addWidget(self.library_notice)
        self._library_stack.addWidget(self.library_view)
        self.library.loaded.connect(self._show_library_state)
        self.library.rowsInserted.connect(self._show_library_state)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 6, 6)
        left_layout.addWidget(self.search_box)
        left_layout.addWidget(self._library_stack)
        self.story_area = QLabel("Choose a story on the left, or press Ctrl+N to write a new one.")
        self.story_area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.story_area)
        self.splitter.setStretchFactor(1, 3)
        self.setCentralWidget(self.splitter)

        self.database_label = QLabel(f"Database: {runtime.database_label} (starting…)")
        self.statusBar().addPermanentWidget(self.database_label)
        self._build_menus()

        runtime.database_ready.connect(self._database_ready)
        runtime.database_failed.connect(self._database_failed)
        runtime.tasks.failed.connect(self.show_error)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        open_logs = QAction("Open &log folder", self)
        open_logs.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir()))))
        help_menu.addAction(open_logs)
        about = QAction("&About Storyforge", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    async def _fetch_page(self, search: str, limit: int, offset: int) -> list[StorySummary]:
        await self._runtime.wait_ready()
        assert self._runtime.stories is not None
        return await self._runtime.stories.list(search, limit=limit, offset=offset)

    def _database_ready(self, label: str) -> None:
        self.database_label.setText(f"Database: {label}")
        self.library.reload(self.search_box.text())

    def _database_failed(self, message: str) -> None:
        self.database_label.setText("Database: unavailable")
        self.library_notice.setText(message)
        self._library_stack.setCurrentWidget(self.library_notice)

    def _show_library_state(self, *_: object) -> None:
        if self.library.rowCount() > 0:
            self._library_stack.setCurrentWidget(self.library_view)
        elif self.search_box.text():
            self.library_notice.setText("No story matches this search.")
            self._library_stack.setCurrentWidget(self.library_notice)
        else:
            self.library_notice.setText("No stories yet — press Ctrl+N to write your first.")
            self._library_stack.setCurrentWidget(self.library_notice)

    def show_error(self, title: str, error: BaseException) -> None:
        self.statusBar().showMessage(f"{title} failed: {error}", 15_000)

    def _about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "About Storyforge", f"Storyforge {__version__}", parent=self)
        box.open()

    def selected_story(self) -> StorySummary | None:
        index: QModelIndex = self.library_view.currentIndex()
        return index.data(Qt.ItemDataRole.UserRole + 1) if index.isValid() else None

    def closeEvent(self, event: QCloseEvent) -> None:
        # Quitting is a coroutine (cancel, settle uploads, close the pool): the app ends the loop when it is done.
        event.ignore()
        if not self._closing:
            self._closing = True
            self.close_requested.emit()
