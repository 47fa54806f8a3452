"""The main window: the library on the left, the story (or the new-story form) in the middle, Uploads as a dock."""

from __future__ import annotations

import uuid
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
    QPalette,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import __version__
from desktop.places import log_dir
from desktop.qt.executor import QThreadPoolExecutor
from desktop.ui.common.resources import app_icon
from desktop.ui.common.thumbnails import ThumbnailLoader
from desktop.ui.window import window_state
from desktop.ui.window.frame_pacer import FramePacer

if TYPE_CHECKING:
    # What fills the frame loads in `attach`, once the frame shows: the panels, the look and the data models they use
    # (pydantic) cost more than the frame itself. The story page, the form and the dialogs load once the library has
    # shown its first page (see `_build_pages`): the story page pulls in the story service and, through it, the
    # providers.
    from desktop.config import Settings
    from desktop.models import Scene, Story, StoryRequest, StorySummary, Upload
    from desktop.services.runtime import Runtime
    from desktop.services.session import Session  # loaded with the services, once the database is up
    from desktop.services.story_service import StoryService
    from desktop.storage import Failure
    from desktop.ui.common import confirm
    from desktop.ui.compose.composer import Composer
    from desktop.ui.library.library_model import LibraryModel
    from desktop.ui.library.library_panel import LibraryPanel
    from desktop.ui.library.rename_dialog import RenameDialog
    from desktop.ui.library.story_menu import StoryMenu
    from desktop.ui.library.trash_dialog import TrashDialog
    from desktop.ui.settings.settings_dialog import SettingsDialog
    from desktop.ui.story.bible_panel import BiblePanel
    from desktop.ui.story.continue_dialog import ContinueDialog
    from desktop.ui.story.history_dialog import HistoryDialog
    from desktop.ui.story.scene_commands import SceneCommand
    from desktop.ui.story.story_view import StoryView
    from desktop.ui.uploads.uploads_panel import UploadsPanel
    from desktop.ui.viewer.image_viewer import ImageViewer
    from desktop.ui.window.empty_page import EmptyPage
    from desktop.ui.window.notices import NoticeBar
    from desktop.ui.window.window_actions import WindowActions

THUMBNAIL_WORKERS = 2
STORAGE_NOTICE = "Uploading images"  # the title of a storage problem's notice


class MainWindow(QMainWindow):
    close_requested = Signal()

    def __init__(self, runtime: Runtime | None = None) -> None:
        """The frame — title, icon, the size and place the writer left it at — shown before the rest of the app has
        loaded; with `runtime` (or later, through `attach`) everything it holds."""
        super().__init__()
        self.attached = False
        self.setWindowTitle("Storyforge")
        self.setWindowIcon(app_icon())
        self.resize(1280, 820)
        window_state.restore_geometry(self)
        if runtime is not None:
            self.attach(runtime)

    def attach(self, runtime: Runtime) -> None:
        """Fill the frame: the library, the empty page, the Uploads dock, menus and status bar, the look."""
        from desktop.ui.library.library_panel import LibraryPanel
        from desktop.ui.uploads.uploads_panel import UploadsPanel, status_text
        from desktop.ui.window.empty_page import EmptyPage
        from desktop.ui.window.notices import NoticeBar
        from desktop.ui.window.undo_actions import UndoActions
        from desktop.ui.window.window_actions import WindowActions

        self._runtime = runtime
        self._session: Session | None = None  # the services, from the moment the database is ready
        self._closing = False
        self._leaving = False  # the questions asked before quitting are open
        self._restyling = False
        self._pending: list[StoryRequest] = []
        self._find_when_open: tuple[uuid.UUID | None, str] = (None, "")  # the library's search, for the story it opens
        self._running: dict[uuid.UUID, str] = {}
        self._palette_key = ""
        self.restyle()
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda _: QTimer.singleShot(0, self.restyle))
        self._frame_pacer = FramePacer(self)
        # Thumbnails get their own small pool so slow uploads never keep them waiting.
        self.thumbnail_executor = QThreadPoolExecutor(
            max_workers=THUMBNAIL_WORKERS, name="storyforge-thumbnails", background=True
        )
        self.thumbnails = ThumbnailLoader(self.thumbnail_executor)

        self.library_panel: LibraryPanel = LibraryPanel(self._fetch_page, runtime.tasks.start)
        self.library: LibraryModel = self.library_panel.model
        self.library_view = self.library_panel.view
        self.search_box = self.library_panel.search_box
        self.empty_page: EmptyPage = EmptyPage(runtime)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty_page)
        self._composer: Composer | None = None
        self._story_view: StoryView | None = None
        self.notices: NoticeBar = NoticeBar()
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.setSpacing(0)
        notice_holder = QWidget()
        notice_layout = QVBoxLayout(notice_holder)
        notice_layout.setContentsMargins(12, 10, 12, 0)
        notice_layout.addWidget(self.notices)
        self._notice_holder = notice_holder
        notice_holder.hide()
        self.notices.visibility.connect(notice_holder.setVisible)
        middle_layout.addWidget(notice_holder)
        middle_layout.addWidget(self.pages, 1)

        self.splitter = QSplitter()
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.library_panel)
        self.splitter.addWidget(middle)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([330, 950])
        self.library_panel.setMinimumWidth(240)
        self.setCentralWidget(self.splitter)

        self.uploads_panel: UploadsPanel = UploadsPanel(runtime, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.uploads_panel)
        self.uploads_panel.hide()
        self._uploads_height = window_state.chosen_uploads_height()  # the writer's last height for the dock
        self.viewer: ImageViewer | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.local_images_question: QMessageBox | None = None
        self._library_rows_due: dict[uuid.UUID, bool] = {}  # story id: its row must be read again
        self.quit_question: QMessageBox | None = None
        self.rename_dialog: RenameDialog | None = None
        self.story_menu: StoryMenu | None = None
        self.history_dialogs: dict[uuid.UUID, HistoryDialog] = {}
        self.trash_dialog: TrashDialog | None = None

        self.database_label = QLabel(f"Database: {runtime.database_label} (starting…)")
        self.database_label.setObjectName("muted")
        self.uploads_status = QToolButton()
        self.uploads_status.setObjectName("statusUploads")
        self.uploads_status.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.uploads_status.setAutoRaise(True)
        self.uploads_status.setToolTip("Show the Uploads panel")
        self.uploads_status.clicked.connect(self.show_uploads)
        # A fixed size, with room for a busy count: a counter whose size could change would lay the status bar out
        # again each time, and repaint it all.
        self.uploads_status.setText(status_text(88, 8))
        self.uploads_status.setFixedSize(self.uploads_status.sizeHint())
        self._upload_counts: tuple[int, int] | None = None
        self._show_upload_counts(0, 0)
        self.statusBar().addPermanentWidget(self.uploads_status)
        self.statusBar().addPermanentWidget(self.database_label)

        self.actions_: WindowActions = WindowActions(self)
        self.undo_actions = UndoActions(
            self.actions_.undo, self.actions_.redo, runtime.tasks.start, self._show_status_line, self
        )
        self._scene_actions: list[tuple[SceneCommand, QAction]] = []  # wired once the story page is built
        for action in self._scene_menu():
            action.setEnabled(False)
        self.continue_dialog: ContinueDialog | None = None
        self._connect_actions()
        self._connect_widgets()
        self.pages.currentChanged.connect(self._update_actions)
        self._update_actions()
        window_state.restore_layout(self, self.splitter)
        self.actions_.show_uploads.setChecked(self.uploads_panel.isVisible())
        self.attached = True

        runtime.database_ready.connect(self._database_ready)
        runtime.database_failed.connect(self._database_failed)
        runtime.tasks.failed.connect(self.show_error)
        if runtime.session is not None:  # the database came up before the window
            QTimer.singleShot(0, lambda: self._database_ready(runtime.database_label))

    # --- wiring ---

    def _connect_actions(self) -> None:
        actions = self.actions_
        actions.new_story.triggered.connect(self.new_story)
        actions.export.triggered.connect(lambda: self.export_story())
        actions.settings.triggered.connect(self.open_settings)
        actions.quit.triggered.connect(self.close)
        # The story page and the form may not be built yet: these ask for them (and so build them) when used.
        actions.generate.triggered.connect(lambda: self.composer.submit())
        actions.cancel.triggered.connect(lambda: self.story_view.cancel_generation())
        actions.resume.triggered.connect(lambda: self.story_view.resume())
        actions.rename_story.triggered.connect(lambda: self.rename_story())
        actions.duplicate_story.triggered.connect(lambda: self.duplicate_story())
        actions.retry_story.triggered.connect(lambda: self.story_view.retry_failed_uploads())
        actions.open_image.triggered.connect(lambda: self.open_viewer(None))
        actions.retry_all.triggered.connect(self.uploads_panel.retry_all_failed)
        actions.show_uploads.toggled.connect(self.uploads_panel.setVisible)
        actions.show_uploads.toggled.connect(self._fit_uploads)
        self.uploads_panel.visibilityChanged.connect(actions.show_uploads.setChecked)
        actions.focus_search.triggered.connect(self._focus_search)
        actions.find.triggered.connect(self.find_in_story)
        actions.copy_story.triggered.connect(lambda: self.story_view.copy_story())
        actions.continue_story.triggered.connect(self.continue_story)
        actions.open_logs.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir()))))
        actions.about.triggered.connect(self._about)
        self._connect_workbench()
        self._connect_bible()

    def _connect_widgets(self) -> None:
        self.library_panel.story_selected.connect(self._open_from_library)
        self.library_panel.view.menu_requested.connect(self._story_menu)
        self.library.modelReset.connect(self._count_stories)
        self.library.loaded.connect(self._library_arrived)
        self.empty_page.new_button.clicked.connect(self.new_story)
        self.empty_page.saved.connect(self._settings_saved)  # a local server connected from the welcome
        self.uploads_panel.counts_changed.connect(self._show_upload_counts)
        app = QApplication.instance()
        if isinstance(app, QApplication):  # the scene commands act on the card with the focus
            app.focusChanged.connect(self._focus_moved)

    # --- the pages built after the first paint ---

    def _library_arrived(self) -> None:
        # Until the library's first page is drawn, the loop belongs to the window's first frames and the database's
        # start (the server's start competes for the same processor); the pages not shown yet are built after it,
        # or at once when asked for.
        self.library.loaded.disconnect(self._library_arrived)
        self._frame_pacer.after_next_paint(self._build_pages)
        last = window_state.last_open_story()
        if last is not None:
            self._runtime.tasks.start(self._reopen(last), "Opening the story you were reading")

    async def _reopen(self, story_id: uuid.UUID) -> None:
        """The story open when the app last closed, if it still exists and the writer has not opened another."""
        session = await self._runtime.wait_ready()
        if await session.stories.summary(story_id) is None:
            return
        if self.pages.currentWidget() is self.empty_page:
            self.open_story(story_id)
            self.library_panel.select_story(story_id)

    def _build_pages(self) -> None:
        _ = self.composer, self.story_view

    @property
    def composer(self) -> Composer:
        if self._composer is None:
            from desktop.ui.compose.composer import Composer

            composer = self._composer = Composer()
            self.pages.addWidget(composer)
            composer.generate_requested.connect(self.generate)
            composer.cancelled.connect(self._close_composer)
            for field in (composer.title_edit, composer.style_edit):
                field.textChanged.connect(self._update_actions)
            composer.prompt_edit.textChanged.connect(self._update_actions)
            composer.characters_edit.textChanged.connect(self._update_actions)
            escape = QShortcut(QKeySequence("Esc"), composer)
            escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            escape.activated.connect(self._close_composer)
            composer.set_running(list(self._running.values()))
        return self._composer

    @property
    def story_view(self) -> StoryView:
        if self._story_view is None:
            from desktop.ui.story.story_view import StoryView

            view = self._story_view = StoryView(self._runtime, self.thumbnails)
            self.pages.addWidget(view)
            view.image_requested.connect(self.open_viewer)
            view.loaded.connect(self._story_loaded)
            view.status_line.connect(self._show_status_line)
            view.commands_changed.connect(self._update_actions)
            view.history_requested.connect(self.open_history)
            self._connect_scene_actions(view)
            if self._session is not None:
                self._follow_stories(self._session)
        return self._story_view

    def _follow_stories(self, session: Session) -> None:
        """The story page hears the services from the moment both it and the database exist."""
        view = self.story_view
        session.stories.scene_text.connect(view.on_scene_text)
        session.stories.story_progress.connect(view.on_story_progress)
        session.stories.image_progress.connect(view.on_image_progress)
        session.stories.scenes_arranged.connect(view.on_scenes_arranged)
        session.uploads.upload_progress.connect(view.on_upload_progress)
        view.set_session(session)

    def _database_ready(self, label: str) -> None:
        session = self._runtime.session
        assert session is not None  # set before `database_ready` is emitted
        self._session = session
        self.database_label.setText(f"Database: {label}")
        self.library_panel.reload()
        service, uploads, live = session.stories, session.uploads, session.live
        service.story_changed.connect(self._story_changed)
        service.scene_saved.connect(self._scene_saved)
        service.scene_image.connect(self._scene_image)
        service.story_removed.connect(self._story_removed)
        service.scenes_arranged.connect(lambda story_id, scenes: self.library.scenes_arranged(story_id, len(scenes)))
        uploads.upload_changed.connect(self._upload_changed)
        uploads.storage_problem.connect(self._storage_problem)
        if self._story_view is not None:
            self._follow_stories(session)
        self.uploads_panel.set_session(session)
        self.undo_actions.set_session(session)
        live.reload_needed.connect(self._reload_everything)
        if live.off_reason:
            self.notices.add_message(
                "Following other devices' changes",
                f"Live refresh is off: {live.off_reason}. Until then the library is read again each time"
                " you come back to this window.",
            )
        self._update_actions()

    def bring_to_front(self) -> None:
        """A second launch on this data folder asked for this window."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def _reload_everything(self) -> None:
        self.library_panel.reload()
        self.story_view.reload()
        self.uploads_panel.reload()

    def _database_failed(self, message: str) -> None:
        self.database_label.setText("Database: unavailable")
        self.library_panel.show_failure(message)
        self.notices.add_message("Starting the database", message)

    async def _fetch_page(self, search: str, limit: int, offset: int) -> list[StorySummary]:
        session = await self._runtime.wait_ready()
        return await session.stories.library_page(search, limit, offset)

    def _count_stories(self) -> None:
        if self._session is not None:
            self._runtime.tasks.start(self._count(self._session.stories, self.library.search), "Counting the stories")

    async def _count(self, service: StoryService, search: str) -> None:
        total = await service.count(search)
        if search == self.library.search:
            self.library_panel.set_total(total)
        if not search:  # a first run (or an emptied library) is welcomed with the local servers found
            self.empty_page.set_library_empty(total == 0)

    # --- the services' signals ---

    def _story_changed(self, story: Story) -> None:
        view = self._story_view
        if view is not None and view.story_id == story.id:
            self.setWindowTitle(f"{story.title} — Storyforge")
        is_new = self.library.summary(story.id) is None
        self.library.story_changed(story)
        if is_new:
            self._count_stories()
            if not story.status.is_running:  # back from the trash: its row learns its scenes and uploads
                self._library_rows_due[story.id] = True
                self._runtime.tasks.start(self._reload_library_row(story.id), "Updating the library")
        self.uploads_panel.set_title(story.id, story.title)
        if story.status.is_running:
            self._running[story.id] = story.title
        else:
            self._running.pop(story.id, None)
        self.composer.set_running(list(self._running.values()))
        request = story.as_request()
        if story.status.is_running and request in self._pending:
            self._pending.remove(request)
            self.composer.reset()
            self.composer.generate_button.setEnabled(True)
            self.open_story(story.id)
            self.library_panel.select_story(story.id)
            self.story_view.scroll_area.setFocus()  # the form is gone; arrows and Page Down scroll the story
        self.story_view.on_story_changed(story)
        self._update_actions()

    def _scene_saved(self, scene: Scene) -> None:
        self.library.scene_saved(scene.story_id, scene.index)
        self.story_view.on_scene_saved(scene)
        self._refresh_viewer()

    def _scene_image(self, scene: Scene) -> None:
        self.story_view.on_scene_image(scene)
        self._refresh_viewer()

    def _upload_changed(self, upload: Upload) -> None:
        self.story_view.on_upload_changed(upload)
        self._refresh_viewer()
        self._refresh_library_row(upload)

    # --- pages ---

    def new_story(self) -> None:
        self.story_view.leave_edits(self._show_composer)

    def _show_composer(self) -> None:
        self.pages.setCurrentWidget(self.composer)
        self.composer.start()
        self._update_actions()

    def _close_composer(self) -> None:
        view = self._story_view
        self.pages.setCurrentWidget(view if view is not None and view.story_id else self.empty_page)
        self._update_actions()

    def open_story(self, story_id: uuid.UUID) -> None:
        shown = self.story_view.story_id
        if shown is not None and shown != story_id:  # unsaved edits in the story on screen are asked about first
            self.story_view.leave_edits(
                lambda: self._show_story(story_id), lambda: self.library_panel.select_story(shown)
            )
        else:
            self._show_story(story_id)

    def _open_from_library(self, story_id: uuid.UUID) -> None:
        """A story chosen while the library is searched opens at the first match, highlighted (the search reaches
        into the scenes' texts)."""
        words = self.library.search.strip()
        view = self._story_view
        if view is not None and view.story is not None and view.story.id == story_id:
            self._show_story(story_id)  # already open: it is not read again
            if words:
                view.find_words(words)
            return
        self._find_when_open = (story_id, words)
        self.open_story(story_id)

    def _show_story(self, story_id: uuid.UUID) -> None:
        self.story_view.open_story(story_id)
        self.pages.setCurrentWidget(self.story_view)
        self._update_actions()

    def _story_loaded(self, story: Story) -> None:
        find_in, words = self._find_when_open
        self._find_when_open = (None, "")
        if find_in == story.id and words:
            self.story_view.find_words(words)
        self.setWindowTitle(f"{story.title} — Storyforge")
        window_state.remember_open_story(story.id)
        self._update_actions()

    def generate(self, request: StoryRequest) -> None:
        if self._session is None:
            self.statusBar().showMessage("The database is still starting — try again in a moment.", 5000)
            return
        self._pending.append(request)
        self.composer.generate_button.setEnabled(False)
        self.composer.running_label.setText("Starting…")
        self._runtime.tasks.start(self._generate(self._session.stories, request), "Writing the story")

    async def _generate(self, service: StoryService, request: StoryRequest) -> None:
        try:
            await service.generate(request)
        finally:
            if request in self._pending:  # it failed before the story existed: the form still holds it
                self._pending.remove(request)
                self.composer.validate()
                self.composer.set_running(list(self._running.values()))

    def _update_actions(self, *_: object) -> None:
        actions = self.actions_
        page = self.pages.currentWidget()
        ready = self._session is not None
        composer, view = self._composer, self._story_view
        writing = composer is not None and page is composer
        actions.generate.setEnabled(writing and ready and composer is not None and composer.generate_button.isEnabled())
        story = view.story if view is not None and page is view else None
        on_story = view is not None and story is not None
        actions.cancel.setEnabled(on_story and view is not None and view.is_generating)
        actions.resume.setEnabled(story is not None and story.status.can_resume)
        actions.retry_story.setEnabled(on_story)
        actions.export.setEnabled(on_story)
        actions.copy_story.setEnabled(on_story)
        in_hand = ready and (on_story or self.library_panel.selected_story() is not None)
        actions.rename_story.setEnabled(in_hand)
        actions.duplicate_story.setEnabled(in_hand and not (story is not None and story.status.is_running))
        actions.open_image.setEnabled(on_story and view is not None and view.has_images)
        actions.retry_all.setEnabled(ready)
        free = on_story and view is not None and view.scenes_idle
        self.undo_actions.follow(story.id if story is not None else None, free)
        actions.continue_story.setEnabled(ready and on_story and view is not None and view.can_continue)
        for command, action in self._scene_actions:
            action.setEnabled(ready and on_story and view is not None and view.can(command))
        actions.scene_history.setEnabled(ready and on_story)
        actions.delete_story.setEnabled(in_hand and not (story is not None and story.status.is_running))

    def _connect_scene_actions(self, view: StoryView) -> None:
        """The Scene menu's commands act on the story page's current scene; they exist once the page does."""
        from desktop.ui.story.scene_commands import SceneCommand

        commands = [
            SceneCommand.insert_written_before,
            SceneCommand.insert_written_after,
            SceneCommand.insert_blank_before,
            SceneCommand.insert_blank_after,
            SceneCommand.move_up,
            SceneCommand.move_down,
            SceneCommand.more_images,
            SceneCommand.repaint_same_seed,
            SceneCommand.repaint_new_seed,
            SceneCommand.delete,
        ]
        self._scene_actions = list(zip(commands, self._scene_menu(), strict=True))
        for command, action in self._scene_actions:
            action.triggered.connect(partial(view.commands.run, command))

    def _scene_menu(self) -> list[QAction]:
        """The Scene menu's commands but History (the History view wires that one)."""
        actions = self.actions_
        return [
            actions.insert_written_before,
            actions.insert_written_after,
            actions.insert_blank_before,
            actions.insert_blank_after,
            actions.move_scene_up,
            actions.move_scene_down,
            actions.more_images,
            actions.repaint_same_seed,
            actions.repaint_new_seed,
            actions.delete_scene,
        ]

    def _focus_moved(self, _old: QWidget | None, _new: QWidget | None) -> None:
        if self._story_view is not None and self.pages.currentWidget() is self._story_view:
            self._update_actions()

    def _show_status_line(self, line: str) -> None:
        self.statusBar().showMessage(line, 8000)

    def continue_story(self) -> None:
        """Story → Continue the story…: how many more scenes, then they are written after the last."""
        from desktop.ui.story.continue_dialog import ContinueDialog  # first needed here, not at start

        view, session = self._story_view, self._session
        story = view.story if view is not None else None
        if story is None or session is None or view is None or not view.can_continue:
            return
        dialog = self.continue_dialog = ContinueDialog(story.scene_count, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _: setattr(self, "continue_dialog", None))
        dialog.chosen.connect(
            lambda count: self._runtime.tasks.start(
                session.stories.continue_story(story.id, count), "Continuing the story"
            )
        )
        dialog.open()

    def _focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def find_in_story(self) -> None:
        """Ctrl+F: in the story on screen, its find bar; with no story on screen, the library's search."""
        view = self._story_view
        if view is not None and self.pages.currentWidget() is view and view.story is not None:
            view.start_find()
        else:
            self._focus_search()

    # --- the image viewer ---

    def open_viewer(self, scene_index: int | None) -> None:
        entries = self.story_view.viewer_entries()
        story = self.story_view.story
        if not entries or story is None:
            return
        position = next((i for i, entry in enumerate(entries) if entry.scene.index == scene_index), 0)
        if self.viewer is None:
            from desktop.ui.viewer.image_viewer import ImageViewer

            self.viewer = ImageViewer(self.thumbnails, self._runtime.tasks.start, self)
            # Closed: the writer is back on the scene they looked at last, in view and with the focus.
            self.viewer.closed.connect(self.story_view.focus_scene)
        self.viewer.story_id = story.id
        self.viewer.show_entries(entries, position, story.title)

    def _refresh_viewer(self) -> None:
        story = self.story_view.story
        viewer = self.viewer
        if viewer is not None and viewer.isVisible() and story is not None and viewer.story_id == story.id:
            viewer.update_entries(self.story_view.viewer_entries())
        self._update_actions()

    # --- uploads ---

    def show_uploads(self) -> None:
        self.uploads_panel.show()
        self.uploads_panel.raise_()
        self.uploads_panel.table.setFocus()

    def _fit_uploads(self, opened: bool) -> None:
        """The dock opens at the height the writer left it at, or a share of the window; closing it remembers it."""
        panel = self.uploads_panel
        if not opened:
            self._uploads_height = panel.height()
            return
        height = window_state.uploads_height(self.height(), panel.height_for_rows(3), self._uploads_height)
        self.resizeDocks([panel], [height], Qt.Orientation.Vertical)

    def _chosen_uploads_height(self) -> int | None:
        return self.uploads_panel.height() if self.uploads_panel.isVisible() else self._uploads_height

    def _refresh_library_row(self, upload: Upload) -> None:
        """The library's badge counts images not stored: read the story's row again once its uploads settle or
        queue, one query at a time per story (an image changes state three times on its way)."""
        from desktop.models import UploadStatus

        story_id = upload.story_id
        if upload.status is UploadStatus.uploading or self.library.summary(story_id) is None:
            return
        if story_id in self._library_rows_due:
            self._library_rows_due[story_id] = True
            return
        self._library_rows_due[story_id] = True
        self._runtime.tasks.start(self._reload_library_row(story_id), "Updating the library")

    async def _reload_library_row(self, story_id: uuid.UUID) -> None:
        try:
            while self._library_rows_due.get(story_id) and self._session is not None:
                self._library_rows_due[story_id] = False
                summary = await self._session.stories.summary(story_id)
                if summary is not None and self.library.summary(story_id) is not None:
                    self.library.upsert(summary)
        finally:
            self._library_rows_due.pop(story_id, None)

    def _show_upload_counts(self, pending: int, failed: int) -> None:
        from desktop.ui.common import theme
        from desktop.ui.common.widgets import set_icon
        from desktop.ui.uploads.uploads_panel import status_text

        if (pending, failed) == self._upload_counts:
            return
        self._upload_counts = (pending, failed)
        self.uploads_status.setText(status_text(pending, failed))
        if self.uploads_status.sizeHint().width() > self.uploads_status.width():  # more than the room kept
            self.uploads_status.setFixedSize(self.uploads_status.sizeHint())
        self.uploads_status.setAccessibleName(self.uploads_status.text())
        set_icon(self.uploads_status, "failed" if failed else "uploads")
        color = theme.tone_colors(theme.Tone.danger).text.name() if failed else ""
        self.uploads_status.setStyleSheet(f"color: {color};" if color else "")

    # --- settings ---

    def open_settings(self) -> None:
        from desktop.ui.settings.settings_dialog import SettingsDialog

        runtime = self._runtime
        if not runtime.secrets_read:  # the form shows the keys: saving it before they are read would erase them
            self._runtime.tasks.start(self._open_settings_once_read(), "Opening the settings")
            return
        dialog = SettingsDialog(runtime.settings, runtime.secrets, runtime.executor, runtime.tasks.start, self)
        dialog.saved.connect(self._settings_saved)
        dialog.finished.connect(dialog.deleteLater)
        self.settings_dialog = dialog
        dialog.open()

    async def _open_settings_once_read(self) -> None:
        await self._runtime.read_secrets()
        self.open_settings()

    def _settings_saved(self, settings: Settings) -> None:
        self._runtime.tasks.start(self._apply_settings(settings), "Applying the settings")

    async def _apply_settings(self, settings: Settings) -> None:
        storage_before = self._runtime.settings.storage_backend
        change = await self._runtime.apply_settings(settings)
        self.statusBar().showMessage(
            "Settings saved"
            + (" — the new database is used the next time Storyforge starts." if change.database_changed else "."),
            10_000,
        )
        self.uploads_panel.storage_changed()
        if self._bible_panel is not None:
            self._bible_panel.ask_abilities()  # another painter may keep other things alike
        if self._story_view is not None:
            self._story_view.refresh_own_providers()  # the open story may now differ from the settings, or not
        if change.storage_changed:
            self.notices.withdraw(STORAGE_NOTICE)
        # Uploads keep their storage: those not yet stored on the one left behind are offered to the new one.
        moved = settings.storage_backend != storage_before
        stranded = len(await self._session.uploads.stranded()) if self._session is not None and moved else 0
        if change.local_only_images or stranded:
            self._offer_local_images(change.local_only_images, stranded)

    def _offer_local_images(self, count: int, stranded: int = 0) -> None:
        """One question for both: images only in the local storage folder, and uploads not stored on the storage
        left."""
        where = self._session.uploads.storage_label if self._session is not None else "the chosen storage"
        lines = []
        if count:
            lines.append(f"{count} {'image is' if count == 1 else 'images are'} only in the local storage folder.")
        if stranded:
            lines.append(
                f"{stranded} {'image was' if stranded == 1 else 'images were'} not stored on the storage you left."
            )
        total = count + stranded
        box = QMessageBox(
            QMessageBox.Icon.Question,
            f"Send {total} {'image' if total == 1 else 'images'} to {where}?"
            if stranded
            else "Upload the images kept on this computer?",
            " ".join(lines) + f" Send {'it' if total == 1 else 'them'} to {where} now?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.finished.connect(
            lambda result: self._local_images_answered(result == QMessageBox.StandardButton.Yes, bool(stranded))
        )
        box.finished.connect(box.deleteLater)
        self.local_images_question = box
        box.open()

    def _local_images_answered(self, upload: bool, stranded: bool = False) -> None:
        if upload and self._session is not None:
            manager = self._session.uploads
            self._runtime.tasks.start(manager.upload_local_images(), "Uploading the local images")
            if stranded:
                self._runtime.tasks.start(manager.retarget(), "Sending the uploads to the chosen storage")

    # --- errors ---

    def _storage_problem(self, failure: Failure) -> None:
        """The storage cannot take any upload until the writer acts (a rejected key, a missing bucket)."""
        self.notices.add_message(STORAGE_NOTICE, failure.message)

    def show_error(self, title: str, error: BaseException) -> None:
        self.notices.show_error(title, error)

    def _about(self) -> None:
        from desktop.ui.window.about_dialog import AboutDialog, AboutFacts  # first needed here, not at start

        settings = self._runtime.settings
        database = self._runtime.database_label
        if settings.uses_embedded_database:
            database += f" in {settings.postgres_dir}"
        storage = self._session.uploads.storage_label if self._session is not None else "starting…"
        facts = AboutFacts(__version__, database, storage, settings.data_dir, log_dir())
        dialog = AboutDialog(facts, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _story_in_hand(self) -> uuid.UUID | None:
        """The story a Story-menu command acts on: the one on screen, else the library's selected row."""
        view = self._story_view
        if view is not None and self.pages.currentWidget() is view and view.story is not None:
            return view.story.id
        selected = self.library_panel.selected_story()
        return selected.id if selected is not None else None

    def rename_story(self, story_id: uuid.UUID | None = None) -> None:
        from desktop.ui.library.rename_dialog import RenameDialog  # first needed here, not at start

        story_id = story_id or self._story_in_hand()
        summary = self.library.summary(story_id) if story_id is not None else None
        session = self._session
        if story_id is None or session is None:
            return
        title = summary.title if summary is not None else ""

        async def rename(new_title: str) -> object:
            return await session.stories.rename(story_id, new_title)

        dialog = self.rename_dialog = RenameDialog(title, rename, self._runtime.tasks.start, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _: setattr(self, "rename_dialog", None))
        dialog.open()

    def duplicate_story(self, story_id: uuid.UUID | None = None) -> None:
        story_id = story_id or self._story_in_hand()
        if story_id is not None and self._session is not None:
            self._runtime.tasks.start(self._duplicate(self._session.stories, story_id), "Duplicating the story")

    async def _duplicate(self, service: StoryService, story_id: uuid.UUID) -> None:
        copy = await service.duplicate(story_id)
        self._library_rows_due[copy.id] = True  # its row learns how many scenes it has
        await self._reload_library_row(copy.id)
        self.open_story(copy.id)
        self.library_panel.select_story(copy.id)

    def _story_menu(self, story_id: uuid.UUID, where: QPoint) -> None:
        from desktop.ui.library.story_menu import StoryMenu  # first needed here, not at start

        summary = self.library.summary(story_id)
        if summary is None:
            return
        if self.story_menu is None:
            menu = self.story_menu = StoryMenu(self)
            menu.open_requested.connect(self._open_from_menu)
            menu.rename_requested.connect(self.rename_story)
            menu.duplicate_requested.connect(self.duplicate_story)
            menu.export_requested.connect(self.export_story)
            menu.retry_requested.connect(self._retry_story_uploads)
            menu.delete_requested.connect(self.delete_story)
        self.story_menu.show_for(summary, self._session is not None, where)

    def _open_from_menu(self, story_id: uuid.UUID) -> None:
        self.open_story(story_id)
        self.library_panel.select_story(story_id)

    def _retry_story_uploads(self, story_id: uuid.UUID) -> None:
        if self._session is not None:
            self._runtime.tasks.start(self._session.uploads.retry_story(story_id), "Retrying this story's uploads")

    def export_story(self, story_id: uuid.UUID | None = None) -> None:
        from desktop.ui.export.export_dialog import ExportDialog  # first needed here, not at start

        story = self.story_view.story if self._story_view is not None else None
        if story_id is not None:
            summary = self.library.summary(story_id)
            chosen = (summary.id, summary.title) if summary is not None else None
        else:
            chosen = (story.id, story.title) if story is not None else None
        if chosen is None or self._session is None:
            return
        dialog = ExportDialog(*chosen, self._session.exports, self._runtime.tasks.start, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # --- the workbench: a scene's history, deleting a story, the trash ---

    def _connect_workbench(self) -> None:
        self.actions_.scene_history.triggered.connect(self._history_of_focused_scene)
        self.actions_.delete_story.triggered.connect(lambda: self.delete_story())
        self.actions_.show_trash.triggered.connect(self.show_trash)
        self.library_panel.view.delete_requested.connect(self.delete_story)
        self.library_panel.trash_requested.connect(self.show_trash)

    def _history_of_focused_scene(self) -> None:
        """Ctrl+H: the History of the current scene (the card with the focus, else the first in view)."""
        view = self._story_view
        card = view.current_card() if view is not None and self.pages.currentWidget() is view else None
        if card is None or card.scene is None:
            self.statusBar().showMessage("Open a story, then choose a scene to see its history.", 5000)
            return
        self.open_history(card.scene.id)

    def open_history(self, scene_id: uuid.UUID) -> None:
        """The History window of one scene; one per scene, brought forward when it is already open."""
        from desktop.ui.story.history_dialog import HistoryDialog  # first needed here, not at start

        if self._session is None:
            return
        dialog = self.history_dialogs.get(scene_id)
        if dialog is None:
            dialog = HistoryDialog(scene_id, self._session, self.thumbnails, self._runtime.tasks.start, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.destroyed.connect(lambda _=None: self.history_dialogs.pop(scene_id, None))
            self.history_dialogs[scene_id] = dialog
            dialog.load()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def delete_story(self, story_id: uuid.UUID | None = None) -> None:
        """To the trash, without asking: View → Trash… brings it back."""
        story_id = story_id or self._story_in_hand()
        if story_id is not None and self._session is not None:
            self._runtime.tasks.start(self._delete_story(self._session, story_id), "Deleting the story")

    async def _delete_story(self, session: Session, story_id: uuid.UUID) -> None:
        from desktop.services.story_errors import StoryError

        try:
            story = await session.trash.delete_story(story_id)
        except StoryError as refused:  # being written, or already gone: one line the writer can act on
            self.statusBar().showMessage(str(refused), 10_000)
            return
        self.statusBar().showMessage(f"“{story.title}” moved to the trash — View → Trash… restores it", 10_000)

    def _story_removed(self, story_id: uuid.UUID) -> None:
        self.library.remove(story_id)
        self._count_stories()
        view = self._story_view
        if view is not None and view.story_id == story_id:
            view.reload()  # a story in the trash opens as nothing: the page empties
            if self.pages.currentWidget() is view:
                self.pages.setCurrentWidget(self.empty_page)
            self.setWindowTitle("Storyforge")
        self._update_actions()

    def show_trash(self) -> None:
        from desktop.ui.library.trash_dialog import TrashDialog  # first needed here, not at start

        if self._session is None:
            return
        if self.trash_dialog is None:
            dialog = self.trash_dialog = TrashDialog(self._session, self._runtime.tasks.start, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.destroyed.connect(lambda _=None: setattr(self, "trash_dialog", None))
            dialog.load()
        self.trash_dialog.show()
        self.trash_dialog.raise_()
        self.trash_dialog.activateWindow()

    # --- the story bible (issue 18): a dock beside the story, built when first shown ---

    def _connect_bible(self) -> None:
        self._bible_panel: BiblePanel | None = None
        self.actions_.show_bible.toggled.connect(self._show_bible)

    def _show_bible(self, shown: bool) -> None:
        if shown or self._bible_panel is not None:  # hiding a panel never shown does not build it
            self.bible_panel.setVisible(shown)
            if shown:
                self.bible_panel.raise_()

    @property
    def bible_panel(self) -> BiblePanel:
        if self._bible_panel is None:
            from desktop.ui.story.bible_panel import BiblePanel

            panel = self._bible_panel = BiblePanel(self._runtime, self.thumbnails, self)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, panel)
            panel.visibilityChanged.connect(self.actions_.show_bible.setChecked)
            view = self.story_view
            view.loaded.connect(panel.show_story)
            if view.story is not None:
                panel.show_story(view.story)
        return self._bible_panel

    # --- look and feel ---

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if not self.attached:  # the frame alone: `attach` gives it its look
            return
        if event.type() in (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange):
            self.restyle()
        elif event.type() == QEvent.Type.ActivationChange and self.isActiveWindow() and self._live_refresh_off():
            self._reload_everything()  # no change is announced: what is shown is read again instead

    def _live_refresh_off(self) -> bool:
        return self._session is not None and bool(self._session.live.off_reason)

    def restyle(self) -> None:
        """The system switched between light and dark: new colours for the style sheet, icons and badges."""
        from desktop.ui.common import theme
        from desktop.ui.common.widgets import retint_all

        app = QApplication.instance()
        if self._restyling or not isinstance(app, QApplication):
            return
        key = (
            app.palette().color(QPalette.ColorRole.Window).name() + app.palette().color(QPalette.ColorRole.Base).name()
        )
        if key == self._palette_key:
            return
        self._restyling = True
        try:
            self._palette_key = key
            theme.apply(app)
            retint_all()
            self.update()
        finally:
            self._restyling = False

    # --- leaving ---

    def selected_story(self) -> StorySummary | None:
        return self.library_panel.selected_story()

    def shutdown(self) -> None:
        """Remember the layout and stop the thumbnail workers; the runtime stops the rest."""
        window_state.save(self, self.splitter, self._chosen_uploads_height())
        if self.viewer is not None:
            self.viewer.close()
        self.thumbnail_executor.shutdown(wait=True, cancel_futures=True, timeout=2.0)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Quitting is a coroutine (cancel, settle uploads, close the pool): the app ends the loop when it is done.
        # Unsaved edits, then a story being written, are asked about first.
        event.ignore()
        if not self.attached:  # the frame alone: nothing to ask about, and quitting starts with the app
            return
        if not self._closing and not self._leaving:
            self._leaving = True
            self.story_view.leave_edits(self._ask_quit_while_writing, self._stay)

    def _ask_quit_while_writing(self) -> None:
        session = self._session
        writing = [
            title
            for story_id, title in self._running.items()
            if session is not None and session.stories.is_running(story_id)
        ]
        if writing:
            from desktop.ui.common import confirm

            self.quit_question = confirm.ask_quit_while_writing(self, writing, self._quit_answered)
        else:
            self._quit()

    def _quit_answered(self, answer: confirm.Answer) -> None:
        from desktop.ui.common import confirm

        self.quit_question = None
        self._quit() if answer is confirm.Answer.go_ahead else self._stay()

    def _stay(self) -> None:
        self._leaving = False

    def _quit(self) -> None:
        self._closing, self._leaving = True, False
        window_state.save(self, self.splitter, self._chosen_uploads_height())
        self.close_requested.emit()
