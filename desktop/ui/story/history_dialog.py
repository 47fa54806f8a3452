"""Scene → Scene history… (Ctrl+H): one scene's versions, newest first, each compared with the current one.

A non-modal window: the writer may keep it open beside the story. The versions are a list model drawn by one view
(a scene may have a thousand), and only the chosen version is compared, word by word, with the current text; its
image is shown beside the current one. "Restore this version" makes a new version from it; the list follows the
scene's changes (stories.scene_saved / scene_image), made here or anywhere else.
"""

from __future__ import annotations

import asyncio
import html
import os
import uuid
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QEvent, QModelIndex, QPersistentModelIndex, QSize, Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.models import Scene, SceneVersion
from desktop.services.story_errors import StoryError
from desktop.ui.common import theme
from desktop.ui.common.thumbnails import ThumbnailLoader
from desktop.ui.common.when import friendly_time
from desktop.ui.common.widgets import button, small_label
from desktop.ui.story.word_diff import as_html, word_diff

if TYPE_CHECKING:
    from desktop.services.session import Session

Start = Callable[[Coroutine[Any, Any, None], str], object]  # TaskRunner.start: failures reach the window's notices
AnyIndex = QModelIndex | QPersistentModelIndex
VersionRole = Qt.ItemDataRole.UserRole + 1
PICTURE = QSize(220, 165)


def version_line(version: SceneVersion, current: bool) -> str:
    """ "Version 3 — edited, 5 minutes ago — current"."""
    line = f"Version {version.number} — {version.what_made_it}, {friendly_time(version.created_at)}"
    return f"{line} — current" if current else line


class VersionList(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._versions: list[SceneVersion] = []
        self._current: uuid.UUID | None = None

    def set_versions(self, versions: list[SceneVersion], current: uuid.UUID | None) -> None:
        self.beginResetModel()
        self._versions, self._current = versions, current
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._versions)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._versions):
            return None
        version = self._versions[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return version_line(version, version.id == self._current)
        if role == Qt.ItemDataRole.FontRole and version.id == self._current:
            return theme.scaled_font(1.0, bold=True)
        if role == VersionRole:
            return version
        return None

    def row_of(self, version_id: uuid.UUID) -> int | None:
        return next((row for row, version in enumerate(self._versions) if version.id == version_id), None)

    def version(self, row: int) -> SceneVersion:
        return self._versions[row]


class PicturePane(QWidget):
    """One version's image, or a line saying why there is none."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = small_label(caption, "muted")
        self.picture = QLabel()
        self.picture.setObjectName("historyPicture")
        self.picture.setFixedSize(PICTURE)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setWordWrap(True)
        self.picture.setFrameShape(QLabel.Shape.StyledPanel)
        self.path = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.picture)

    @property
    def note(self) -> str:
        return self.picture.text()

    def show_note(self, text: str) -> None:
        self.picture.setPixmap(QPixmap())
        self.picture.setText(text)
        self.picture.setAccessibleName(f"{self.caption.text()}: {text}")

    def show_image(self, pixmap: QPixmap) -> None:
        self.picture.setText("")
        self.picture.setPixmap(pixmap)
        self.picture.setAccessibleName(f"{self.caption.text()}: image")


class HistoryDialog(QDialog):
    def __init__(
        self,
        scene_id: uuid.UUID,
        session: Session,
        thumbnails: ThumbnailLoader,
        start: Start,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("historyDialog")
        self.setWindowTitle("Scene history")
        self.setModal(False)
        self.resize(980, 640)
        self.scene_id = scene_id
        self.scene: Scene | None = None
        self._session = session
        self._thumbnails = thumbnails
        self._start = start
        self._loading = False
        self._load_again = False
        self._shown: uuid.UUID | None = None  # the version compared on the right
        self._show_current = False  # a restore is on its way: the list shows the new current version next
        self._pictures_for: uuid.UUID | None = None
        self._current: SceneVersion | None = None
        self.loads = 0  # how many times the versions were read (tests wait on it)

        self.heading = QLabel("Loading the versions…")
        self.heading.setFont(theme.scaled_font(1.1, bold=True))
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.model = VersionList(self)
        self.list_view = QListView()
        self.list_view.setAccessibleName("Versions")
        self.list_view.setModel(self.model)
        self.list_view.setUniformItemSizes(True)  # a thousand rows are laid out without measuring each
        self.list_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # long lines are elided
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.selectionModel().currentChanged.connect(lambda current, _: self._show_row(current.row()))

        self.compared_label = small_label("", "muted")
        self.text_view = QTextBrowser()
        self.text_view.setAccessibleName("This version's text compared with the current version")
        self.text_view.setOpenLinks(False)
        self.this_picture = PicturePane("This version's image")
        self.current_picture = PicturePane("Current image")
        pictures = QHBoxLayout()
        pictures.addWidget(self.this_picture)
        pictures.addWidget(self.current_picture)
        pictures.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.compared_label)
        right_layout.addWidget(self.text_view, 1)
        right_layout.addLayout(pictures)
        splitter = QSplitter()
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.list_view)
        splitter.addWidget(right)
        splitter.setSizes([360, 640])
        # A wider window gives its room to the text being compared, not to the list of versions.
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)

        self.status_line = QLabel("")
        self.status_line.setObjectName("fieldError")
        self.status_line.setWordWrap(True)
        self.status_line.hide()
        self.restore_button = button("&Restore this version", "undo", primary=True)
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self.restore)
        self.close_button = button("&Close")
        self.close_button.clicked.connect(self.close)
        buttons = QGridLayout()
        buttons.addWidget(self.status_line, 0, 0)
        buttons.setColumnStretch(0, 1)
        buttons.addWidget(self.restore_button, 0, 1)
        buttons.addWidget(self.close_button, 0, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.addWidget(self.heading)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)

        # The dialog's own slots: Qt drops these connections when it is deleted (it closes with WA_DeleteOnClose).
        # A restore emits both signals: one read answers both (and any change made while a read was on its way).
        self._reload_soon = QTimer(self, singleShot=True, interval=0)
        self._reload_soon.timeout.connect(self.load)
        session.stories.scene_saved.connect(self._scene_changed)
        session.stories.scene_image.connect(self._scene_changed)

    # --- reading ---

    def load(self) -> None:
        if self._loading:
            self._load_again = True
            return
        self._loading = True
        self._start(self._load(), "Reading the scene's history")

    async def _load(self) -> None:
        try:
            while True:
                self._load_again = False
                try:
                    found = await self._session.history.versions(self.scene_id)
                except StoryError as exc:
                    self._say(str(exc))
                    self.restore_button.setEnabled(False)
                    return
                if not self._load_again:
                    break
        finally:
            self._loading = False
        self.loads += 1
        self._fill(found.scene, found.versions, found.current)

    def _fill(self, scene: Scene, versions: list[SceneVersion], current: SceneVersion | None) -> None:
        self.scene, self._current = scene, current
        title = f"Scene {scene.number} “{scene.title}”"
        self.setWindowTitle(f"History of {title}")
        count = len(versions)
        self.heading.setText(f"{title} — {count} {'version' if count == 1 else 'versions'}")
        chosen = current.id if self._show_current and current is not None else self._shown
        self._show_current = False
        self.model.set_versions(versions, current.id if current else None)
        row = self.model.row_of(chosen) if chosen is not None else None
        if row is None:  # first read: the version before the current one, what the writer most likely looks for
            current_row = self.model.row_of(current.id) if current is not None else 0
            row = min((current_row or 0) + 1, count - 1) if count else None
        self._shown = None  # compared again: the current version may be another one now
        if row is not None:
            self.list_view.setCurrentIndex(self.model.index(row))
            self.list_view.scrollTo(self.model.index(row))

    def _scene_changed(self, scene: Scene) -> None:
        if scene.id == self.scene_id:
            self._reload_soon.start()

    # --- one version ---

    def _show_row(self, row: int) -> None:
        if row < 0 or row >= self.model.rowCount():
            return
        version = self.model.version(row)
        current = self._current
        self._shown = version.id
        is_current = current is not None and version.id == current.id
        self.restore_button.setEnabled(not is_current and self.scene is not None and self.scene.deleted_at is None)
        self.status_line.hide()
        diff = word_diff(current.text if current else "", version.text)
        if is_current:
            self.compared_label.setText(f"Version {version.number} is the current version.")
        else:
            self.compared_label.setText(
                f"Version {version.number} compared with the current version: underlined words are only in this "
                f"version, struck words only in the current one. {diff.summary}"
            )
        self.text_view.setHtml(
            f"<h3>{html.escape(version.title)}</h3>"
            + as_html(
                diff,
                added_color=theme.tone_colors(theme.Tone.success).text.name(),
                deleted_color=theme.tone_colors(theme.Tone.danger).text.name(),
            )
        )
        self._start(self._show_pictures(version, current), "Showing the version's image")

    async def _show_pictures(self, version: SceneVersion, current: SceneVersion | None) -> None:
        self._pictures_for = version.id
        for pane, path in (
            (self.this_picture, version.image_path),
            (self.current_picture, current.image_path if current else ""),
        ):
            pane.path = path
            if not path:
                pane.show_note("No image")
                continue
            pane.show_note("Loading…")
            pixmap = await self._thumbnails.pixmap(path, PICTURE, self.devicePixelRatioF())
            if self._pictures_for != version.id:
                return  # another version was chosen meanwhile
            if pixmap is None:
                # Asked on the thumbnails' workers: a slow or unplugged disk never holds the loop.
                gone = not await asyncio.wrap_future(self._thumbnails.executor.submit(os.path.exists, path))
                pane.show_note("The image file is missing from this computer." if gone else "The image can't be read.")
                continue
            pane.show_image(pixmap)

    # --- restoring ---

    def restore(self) -> None:
        row = self.list_view.currentIndex().row()
        if row < 0:
            return
        version = self.model.version(row)
        self.restore_button.setEnabled(False)
        self._start(self._restore(version), "Restoring the version")

    async def _restore(self, version: SceneVersion) -> None:
        # The scene's signals may bring the new list before this returns: whichever read comes first shows it.
        self._show_current = True
        try:
            await self._session.history.restore(version.id)
        except StoryError as exc:
            self._show_current = False
            self._say(str(exc))
            self.restore_button.setEnabled(True)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # Light to dark or back: the comparison is drawn again in colours that read on the new background.
        if event.type() in (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange) and self.scene:
            self._show_row(self.list_view.currentIndex().row())

    def _say(self, line: str) -> None:
        self.status_line.setText(line)
        self.status_line.show()
