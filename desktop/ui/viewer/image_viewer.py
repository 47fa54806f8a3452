"""A scene's image full size: fit, 100 % and wheel zoom; previous and next scene; copy URL, open folder, save as."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QGuiApplication,
    QHideEvent,
    QKeySequence,
    QPainter,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.common import theme
from desktop.ui.common.thumbnails import ThumbnailLoader
from desktop.ui.common.widgets import small_label, tool_button
from desktop.ui.story.story_view import ViewerEntry

StartTask = Callable[[Coroutine[Any, Any, Any], str], object]
ZOOM_STEP = 1.2
ZOOM_MIN, ZOOM_MAX = 0.05, 16.0
CAPTION_MIN_WIDTH = 160


class ImageCanvas(QGraphicsView):
    """Fit to the window until the writer zooms; the wheel zooms around the pointer.

    Fit shrinks a large image and leaves a small one at 100 %: enlarged, it would only look blurred. Zooming in
    stays the writer's choice.
    """

    zoom_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform | QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Image")
        self.setBackgroundBrush(QColor("#2a2b2f"))  # a quiet dark surround, in light and dark themes alike
        self.fitting = True

    def set_pixmap(self, pixmap: QPixmap) -> None:
        self.item.setPixmap(pixmap)
        self.scene().setSceneRect(self.item.boundingRect())
        if self.fitting:
            self.fit()

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        self.fitting = True
        if not self.item.pixmap().isNull():
            self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)
            if self.zoom > 1:
                self.resetTransform()
        self.zoom_changed.emit()

    def actual_size(self) -> None:
        self.fitting = False
        self.resetTransform()
        self.zoom_changed.emit()

    def zoom_by(self, factor: float) -> None:
        target = min(ZOOM_MAX, max(ZOOM_MIN, self.zoom * factor))
        self.fitting = False
        self.scale(target / self.zoom, target / self.zoom)
        self.zoom_changed.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(ZOOM_STEP**steps)
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fitting:
            self.fit()


class Caption(QLabel):
    """The scene's number and title on one line, cut short with "…" to the room the bar leaves it (the full
    title in its tooltip). A label that asks for room for all of its text widened the whole window on a long title,
    and the window stayed that wide on the next scene."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(CAPTION_MIN_WIDTH)

    def text(self) -> str:  # the whole caption, as a screen reader says it
        return self._full

    def setText(self, text: str) -> None:
        self._full = text
        self.setAccessibleName(text)
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.width()))


class ImageViewer(QDialog):
    """Esc closes it; the focus then goes back to where the writer was (the scene's thumbnail, usually), and
    `closed` names the scene last shown, for the story to bring that scene into view."""

    closed = Signal(int)  # the index of the scene shown last

    def __init__(self, thumbnails: ThumbnailLoader, start_task: StartTask, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Image")
        self.setWindowFlag(Qt.WindowType.Window)
        self.setModal(False)
        self.resize(960, 720)
        self._loader = thumbnails
        self._start_task = start_task
        self.entries: list[ViewerEntry] = []
        self.position = 0
        self.story_title = ""
        self.story_id: uuid.UUID | None = None
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl  # tests record instead of opening
        self._save_dialog: QFileDialog | None = None
        self._came_from: QWidget | None = None  # had the focus when the viewer opened

        self.canvas = ImageCanvas()
        self.canvas.zoom_changed.connect(self._update_zoom_label)
        self.caption = Caption()
        self.caption.setFont(theme.scaled_font(1.05, bold=True))
        self.zoom_label = small_label("", "muted")
        self.zoom_label.setWordWrap(False)
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("1600 %") + 6)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.status = small_label("", "muted")
        self.status.setWordWrap(False)
        # Its image path may be long: the line takes the room there is, rather than widening the window.
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.previous_button = tool_button("Previous scene", "previous", tooltip="Previous scene (Left)")
        self.next_button = tool_button("Next scene", "next", tooltip="Next scene (Right)")
        self.fit_button = tool_button("Fit", "fit", tooltip="Fit the image to the window (F)")
        self.actual_button = tool_button("100 %", "actual-size", tooltip="Show the image at 100 % (1)")
        self.copy_button = tool_button("Copy URL", "link", tooltip="Copy the image's storage URL (Ctrl+Shift+C)")
        self.folder_button = tool_button("Open folder", "folder", tooltip="Show the image file in its folder")
        self.save_button = tool_button("Save as…", "save", tooltip="Save a copy of the image (Ctrl+S)")
        self.previous_button.clicked.connect(self.previous)
        self.next_button.clicked.connect(self.next)
        self.fit_button.clicked.connect(self._fit)
        self.actual_button.clicked.connect(self._actual)
        self.copy_button.clicked.connect(self.copy_url)
        self.folder_button.clicked.connect(self.open_folder)
        self.save_button.clicked.connect(self.save_as)

        bar = QHBoxLayout()
        bar.setContentsMargins(12, 8, 12, 8)
        bar.setSpacing(4)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        bar.addSpacing(8)
        bar.addWidget(self.caption, 1)
        bar.addSpacing(12)
        bar.addWidget(self.zoom_label)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.actual_button)
        bar.addSpacing(8)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.folder_button)
        bar.addWidget(self.save_button)
        footer = QHBoxLayout()
        footer.setContentsMargins(12, 4, 12, 8)
        footer.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(footer)

        shortcuts: list[tuple[QKeySequence | QKeySequence.StandardKey | str, Callable[[], object]]] = [
            (QKeySequence(Qt.Key.Key_Left), self.previous),
            (QKeySequence(Qt.Key.Key_Right), self.next),
            ("F", self._fit),
            ("1", self._actual),
            (QKeySequence.StandardKey.ZoomIn, lambda: self._zoom(ZOOM_STEP)),
            ("+", lambda: self._zoom(ZOOM_STEP)),
            (QKeySequence.StandardKey.ZoomOut, lambda: self._zoom(1 / ZOOM_STEP)),
            ("Ctrl+Shift+C", self.copy_url),
            (QKeySequence.StandardKey.Save, self.save_as),
        ]
        for key, slot in shortcuts:
            QShortcut(QKeySequence(key), self).activated.connect(slot)

    # --- what is shown ---

    def show_entries(self, entries: list[ViewerEntry], position: int, story_title: str) -> None:
        self.entries = entries
        self.story_title = story_title
        self.position = max(0, min(position, len(entries) - 1))
        self.canvas.fitting = True
        self._show_current()
        if not self.isVisible():
            focused = QApplication.focusWidget()
            self._came_from = focused if focused is not None and focused.window() is not self else None
        self.show()
        self.raise_()
        self.activateWindow()

    def update_entries(self, entries: list[ViewerEntry]) -> None:
        """The story changed (an image arrived, an upload finished): keep showing the same scene."""
        current = self.current
        self.entries = entries
        if current is not None:
            for position, entry in enumerate(entries):
                if entry.scene.index == current.scene.index:
                    self.position = position
                    if entry.scene.image_path != current.scene.image_path:
                        self._show_current()
                    break
        self._update_controls()

    @property
    def current(self) -> ViewerEntry | None:
        return self.entries[self.position] if 0 <= self.position < len(self.entries) else None

    def previous(self) -> None:
        if self.position > 0:
            self.position -= 1
            self._show_current()

    def next(self) -> None:
        if self.position < len(self.entries) - 1:
            self.position += 1
            self._show_current()

    def _show_current(self) -> None:
        entry = self.current
        self._update_controls()
        if entry is None:
            return
        self.status.setText("Loading the image…")
        self._start_task(self._load(entry), "Opening the image")

    async def _load(self, entry: ViewerEntry) -> None:
        image = await self._loader.full_image(entry.scene.image_path)
        if self.current is not entry:
            return
        if image is None:
            self.canvas.set_pixmap(QPixmap())
            self.status.setText(f"The image file is missing: {entry.scene.image_path}")
            return
        self.canvas.set_pixmap(QPixmap.fromImage(image))
        self.status.setText(f"{image.width()} × {image.height()} px · {entry.scene.image_path}")
        self.status.setToolTip(entry.scene.image_path)

    def _update_controls(self) -> None:
        entry = self.current
        total = len(self.entries)
        if entry is not None:
            scene = entry.scene
            self.caption.setText(f"Scene {scene.number} · {scene.title}")
            self.setWindowTitle(f"{self.story_title} — scene {scene.number}")
        self.previous_button.setEnabled(self.position > 0)
        self.next_button.setEnabled(self.position < total - 1)
        has_url = entry is not None and bool(entry.url)
        self.copy_button.setEnabled(has_url)
        self.copy_button.setToolTip(
            "Copy the image's storage URL (Ctrl+Shift+C)"
            if has_url
            else "Not uploaded yet — the URL comes with the upload"
        )
        self.folder_button.setEnabled(entry is not None)
        self.save_button.setEnabled(entry is not None)

    def _update_zoom_label(self) -> None:
        self.zoom_label.setText(f"{round(self.canvas.zoom * 100)} %")

    def _fit(self) -> None:
        self.canvas.fit()

    def _actual(self) -> None:
        self.canvas.actual_size()

    def _zoom(self, factor: float) -> None:
        self.canvas.zoom_by(factor)

    # --- actions ---

    def copy_url(self) -> None:
        entry = self.current
        if entry is None or not entry.url:
            return
        if entry.fresh_url is None:
            self._put_on_clipboard(entry.url)
        else:  # a signed link near its end is made again first: a copied link must work for a while yet
            self._start_task(self._copy_fresh_url(entry), "Copying the image's link")

    async def _copy_fresh_url(self, entry: ViewerEntry) -> None:
        assert entry.fresh_url is not None
        url = await entry.fresh_url()
        if url:
            self._put_on_clipboard(url)
        else:
            self.status.setText("The link could not be made just now — try again in a moment.")

    def _put_on_clipboard(self, url: str) -> None:
        QGuiApplication.clipboard().setText(url)
        self.status.setText("URL copied to the clipboard.")

    def open_folder(self) -> None:
        entry = self.current
        if entry is not None:
            self.open_url(QUrl.fromLocalFile(str(Path(entry.scene.image_path).parent)))

    def save_as(self) -> None:
        entry = self.current
        if entry is None:
            return
        source = Path(entry.scene.image_path)
        suggested = Path.home() / f"{_safe_name(self.story_title)}-scene-{entry.scene.number:02d}{source.suffix}"
        dialog = QFileDialog(self, "Save the image as", str(suggested))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, QGuiApplication.platformName() == "offscreen")
        dialog.fileSelected.connect(
            lambda target: self._start_task(self._copy(source, Path(target)), "Saving the image")
        )
        self._save_dialog = dialog
        dialog.open()

    async def _copy(self, source: Path, target: Path) -> None:
        await asyncio.wrap_future(self._loader.executor.submit(shutil.copyfile, source, target))
        self.status.setText(f"Saved to {target}")

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        came_from, self._came_from = self._came_from, None
        if came_from is not None and shiboken6.isValid(came_from) and came_from.isVisible():
            came_from.window().activateWindow()
            came_from.setFocus(Qt.FocusReason.OtherFocusReason)
        entry = self.current
        if entry is not None:
            self.closed.emit(entry.scene.index)

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)


def _safe_name(title: str) -> str:
    cleaned = "".join(char if char.isalnum() or char in " -_" else "" for char in title).strip()
    return "-".join(cleaned.lower().split())[:60] or "story"
