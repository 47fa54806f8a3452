"""One scene as a card: its number and title, the text as it streams in, the thumbnail, the upload badge, actions."""

from __future__ import annotations

import html
import uuid

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter, QPainterPath, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.models import ImageStatus, Scene, Upload, UploadStatus
from desktop.ui import theme
from desktop.ui.resources import svg_image
from desktop.ui.scene_editor import SceneEditor
from desktop.ui.widgets import Badge, small_label, tool_button

THUMB_SIZE = QSize(240, 160)
STREAM_FRAME_MS = 40
CARD_RADIUS = 10  # as the style sheet's QFrame#sceneCard


_placeholders: dict[tuple[int, int, str, str, str, float, bool], QPixmap] = {}


def placeholder_pixmap(size: QSize, text: str, icon_name: str, tone: theme.Tone, ratio: float) -> QPixmap:
    """A calm stand-in while an image is painted (or when there is none); one shared pixmap per kind."""
    key = (size.width(), size.height(), text, icon_name, tone.value, ratio, theme.is_dark())
    found = _placeholders.get(key)
    if found is None:
        found = _placeholders[key] = _draw_placeholder(size, text, icon_name, tone, ratio)
    return found


def _draw_placeholder(size: QSize, text: str, icon_name: str, tone: theme.Tone, ratio: float) -> QPixmap:
    image = QImage(size * ratio, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(Qt.GlobalColor.transparent)
    colors = theme.tone_colors(tone)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    rect = QRectF(0.5, 0.5, size.width() - 1, size.height() - 1)
    painter.setPen(colors.border)
    painter.setBrush(colors.background)
    painter.drawRoundedRect(rect, 8, 8)
    glyph = svg_image(icon_name, 28, colors.text, ratio)
    painter.drawImage(QPointF(rect.center().x() - 14, rect.center().y() - 26), glyph)
    painter.setPen(colors.text)
    painter.drawText(
        QRectF(rect.left() + 10, rect.center().y() + 8, rect.width() - 20, 40),
        Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
        text,
    )
    painter.end()
    return QPixmap.fromImage(image)


def rounded_pixmap(image: QImage, size: QSize, ratio: float) -> QPixmap:
    """The thumbnail centred in the card's image well, with rounded corners."""
    canvas = QImage(size * ratio, QImage.Format.Format_ARGB32_Premultiplied)
    canvas.setDevicePixelRatio(ratio)
    canvas.fill(Qt.GlobalColor.transparent)
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    shown = QSize(image.width(), image.height()) / max(image.devicePixelRatio(), 1.0)
    fitted = shown.scaled(size, Qt.AspectRatioMode.KeepAspectRatio)
    target = QRectF(
        (size.width() - fitted.width()) / 2, (size.height() - fitted.height()) / 2, fitted.width(), fitted.height()
    )
    clip = QPainterPath()
    clip.addRoundedRect(target, 8, 8)
    painter.setClipPath(clip)
    painter.drawImage(target, image)
    painter.end()
    return QPixmap.fromImage(canvas)


class WrappedLabel(QLabel):
    """A word-wrapped label that remembers its height for each width until its text, font or style changes.

    Each layout pass of the story's scroll area asks every card's labels for their height at several widths (the
    scroll bar shown or not, minimum and preferred sizes); a rich-text QLabel lays its whole text out again for
    each answer. With a dozen cards and one of them streaming, that was most of the GUI thread's time.

    Its size hints come from those heights too: QLabel's own lay the text out at three more widths, one of them
    0 (a word to a line), after every change of the text; a streamed update took a third longer with them.
    """

    MIN_WIDTH = 120
    PREFERRED_WIDTH = 480  # a comfortable reading column; the layouts give it the width there is

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._heights: dict[int, int] = {}

    def setText(self, text: str) -> None:
        self._heights.clear()
        super().setText(text)

    def heightForWidth(self, width: int) -> int:
        height = self._heights.get(width)
        if height is None:
            height = self._heights[width] = super().heightForWidth(width)
        return height

    def sizeHint(self) -> QSize:
        return QSize(self.PREFERRED_WIDTH, self.heightForWidth(self.PREFERRED_WIDTH))

    def minimumSizeHint(self) -> QSize:
        return QSize(self.MIN_WIDTH, self.fontMetrics().lineSpacing())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.ContentsRectChange):
            self._heights.clear()
        super().changeEvent(event)


def reading_html(text: str) -> str:
    """Paragraphs with room between the lines: long text reads better than in a plain label."""
    paragraphs = [html.escape(part).replace("\n", "<br>") for part in text.split("\n\n") if part.strip()]
    return "".join(f'<p style="line-height: 145%; margin: 0 0 9px 0;">{part}</p>' for part in paragraphs)


def upload_badge_text(upload: Upload, done: int = 0, total: int = 0) -> str:
    label = theme.UPLOAD_LABELS[upload.status]
    if upload.status is UploadStatus.uploading and total > 0:
        return f"{label} {round(100 * done / total)} %"
    if upload.status is UploadStatus.queued and upload.attempts > 0:
        return f"{label} · retry {upload.attempts}"
    return label


class SceneCard(QFrame):
    edit_saved = Signal(object, str, str)  # scene id, title, text
    regenerate_text = Signal(object)  # scene id
    regenerate_image = Signal(object)  # scene id
    open_image = Signal(int)  # scene index
    retry_upload = Signal(object)  # upload id

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.scene: Scene | None = None
        self.upload: Upload | None = None
        self.thumbnail_key: tuple[str, str] | None = None
        self._text = ""
        self._streamed: str | None = None
        self._stream_timer = QTimer(self, singleShot=True, interval=STREAM_FRAME_MS)
        self._stream_timer.timeout.connect(self._show_streamed)
        self._busy = ""
        self._story_running = False
        self._live = False
        self.setObjectName("sceneCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)

        self.thumbnail = QToolButton()
        self.thumbnail.setObjectName("thumbnail")
        self.thumbnail.setFixedSize(THUMB_SIZE)
        self.thumbnail.setIconSize(THUMB_SIZE)
        self.thumbnail.setText("Open image")
        self.thumbnail.setAccessibleName("Open image")
        self.thumbnail.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.thumbnail.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.thumbnail.setCursor(Qt.CursorShape.PointingHandCursor)
        self.thumbnail.clicked.connect(self._thumbnail_clicked)

        self.number_label = QLabel(f"SCENE {index + 1}")
        self.number_label.setObjectName("sceneNumber")
        self.number_label.setFont(theme.scaled_font(0.8, bold=True))
        self.badge = Badge()
        self.title_label = WrappedLabel("")
        self.title_label.setFont(theme.serif_font(theme.scaled_font(1.3).pointSizeF()))
        self.title_label.setWordWrap(True)
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        title_font = self.title_label.font()
        title_font.setWeight(title_font.Weight.DemiBold)
        self.title_label.setFont(title_font)
        self.text_label = WrappedLabel("")
        self.text_label.setFont(theme.serif_font(theme.scaled_font(1.06).pointSizeF()))
        self.text_label.setWordWrap(True)
        self.text_label.setTextFormat(Qt.TextFormat.RichText)  # for the line height; the text is escaped
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.error_label = small_label("", "sceneError")
        self.error_label.hide()

        self.editor: SceneEditor | None = None

        self.edit_button = tool_button("Edit", "edit", tooltip="Edit the scene's title and text")
        self.rewrite_button = tool_button("Regenerate text", "regenerate-text", tooltip="Write this scene again")
        self.repaint_button = tool_button("Regenerate image", "regenerate-image", tooltip="Paint this scene again")
        self.retry_button = tool_button("Retry upload", "retry", tooltip="Try the upload again now")
        self.edit_button.clicked.connect(self.start_editing)
        self.rewrite_button.clicked.connect(lambda: self.scene and self.regenerate_text.emit(self.scene.id))
        self.repaint_button.clicked.connect(lambda: self.scene and self.regenerate_image.emit(self.scene.id))
        self.retry_button.clicked.connect(lambda: self.upload and self.retry_upload.emit(self.upload.id))
        self.busy_label = small_label("", "muted")
        self.busy_label.setWordWrap(False)
        self.action_bar = QWidget()
        actions_layout = QHBoxLayout(self.action_bar)
        actions_layout.setContentsMargins(0, 0, 0, 0)
        actions_layout.setSpacing(2)
        for widget in (self.edit_button, self.rewrite_button, self.repaint_button, self.retry_button):
            actions_layout.addWidget(widget)
        actions_layout.addStretch(1)
        actions_layout.addWidget(self.busy_label)

        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.number_label)
        top.addStretch(1)
        top.addWidget(self.badge)
        body = QVBoxLayout()
        body.setSpacing(6)
        body.addLayout(top)
        body.addWidget(self.title_label)
        body.addWidget(self.text_label)
        self._body = body
        body.addWidget(self.error_label)
        body.addStretch(1)
        body.addWidget(self.action_bar)
        thumb_column = QVBoxLayout()
        thumb_column.addWidget(self.thumbnail)
        thumb_column.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.setSpacing(18)
        layout.addLayout(thumb_column)
        layout.addLayout(body, 1)
        self.setTabOrder(self.thumbnail, self.edit_button)
        self._refresh()

    # --- state from the services ---

    @property
    def text(self) -> str:
        """The scene's text as shown (while it streams, the part written so far)."""
        return self._text

    def _set_text(self, text: str) -> None:
        self._text = text
        self.text_label.setText(reading_html(text))

    def set_streaming_text(self, text: str) -> None:
        # A provider may stream a hundred pieces a second; laying out the text at most every STREAM_FRAME_MS
        # keeps the loop free and still reads as live.
        self._streamed = text
        if not self._stream_timer.isActive():
            self._stream_timer.start()

    def _show_streamed(self) -> None:
        if self._streamed is None:
            return
        self._set_text(self._streamed)
        self._streamed = None
        self._set_live(True)
        self._refresh()

    def set_scene(self, scene: Scene) -> None:
        self._streamed = None
        self._stream_timer.stop()
        self.scene = scene
        self.title_label.setText(scene.title)
        self._set_text(scene.text)
        self._set_live(False)
        self._refresh()

    def set_upload(self, upload: Upload | None, done: int = 0, total: int = 0) -> None:
        self.upload = upload
        self._refresh_upload(done, total)
        self._refresh()

    def set_upload_progress(self, done: int, total: int) -> None:
        self._refresh_upload(done, total)

    def set_thumbnail(self, image: QImage | None) -> None:
        if image is None:
            self._show_placeholder("The image file is missing", "failed", theme.Tone.warning)
            return
        self.thumbnail_key = None
        self.thumbnail.setIcon(rounded_pixmap(image, THUMB_SIZE, self.devicePixelRatioF()))
        self.thumbnail.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.thumbnail.setCursor(Qt.CursorShape.PointingHandCursor)
        self.thumbnail.setToolTip("Open the image full size")

    def _thumbnail_clicked(self) -> None:
        if self.thumbnail_key is None:
            self.open_image.emit(self.index)

    def set_busy(self, text: str) -> None:
        self._busy = text
        self._refresh()

    def set_story_running(self, running: bool) -> None:
        self._story_running = running
        self._refresh()

    @property
    def has_image(self) -> bool:
        return self.scene is not None and self.scene.image_status is ImageStatus.painted and bool(self.scene.image_path)

    # --- editing ---

    def start_editing(self) -> None:
        if self.scene is None:
            return
        if self.editor is None:  # made on first use: most cards are never edited
            self.editor = SceneEditor(self.text_label.font())
            self.editor.saved.connect(self._save)
            self.editor.discarded.connect(self.stop_editing)
            self._body.insertWidget(self._body.indexOf(self.text_label) + 1, self.editor)
        self.error_label.hide()
        self.editor.show()
        self.text_label.hide()
        self.title_label.hide()
        self.action_bar.hide()
        self.editor.start(self.scene.title, self.scene.text)

    def stop_editing(self) -> None:
        if self.editor is not None:
            self.editor.hide()
        self.text_label.show()
        self.title_label.show()
        self.action_bar.show()
        self.edit_button.setFocus()
        self._refresh()

    @property
    def is_editing(self) -> bool:
        return self.editor is not None and not self.editor.isHidden()

    def _save(self, title: str, text: str) -> None:
        if self.scene is None or not self.is_editing:
            return
        if not text:
            self.error_label.setText("A scene needs some text — write at least a sentence, or press Discard.")
            self.error_label.show()
            return
        title = title or self.scene.title
        self.stop_editing()
        self.title_label.setText(title)
        self._set_text(text)
        self.set_busy("Saving…")
        self.edit_saved.emit(self.scene.id, title, text)

    # --- drawing the state ---

    def _set_live(self, live: bool) -> None:
        # Drawn here rather than by a style-sheet property: re-polishing the card re-styled every child and laid
        # its text out again, 4 ms on the GUI thread each time a scene started or finished streaming.
        if self._live != live:
            self._live = live
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._live and not self.hasFocus():  # focus draws its own, wider border
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(theme.accent(), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), CARD_RADIUS, CARD_RADIUS)
            painter.end()

    @property
    def is_live(self) -> bool:
        """True while the scene's text is streaming in (the card's border shows it)."""
        return self._live

    def _refresh_upload(self, done: int, total: int) -> None:
        upload = self.upload
        if upload is None:
            self.badge.set_state("", theme.Tone.neutral)
            return
        self.badge.set_state(
            upload_badge_text(upload, done, total), theme.UPLOAD_TONES[upload.status], theme.UPLOAD_ICONS[upload.status]
        )
        self.badge.setToolTip(upload.error_message or upload.url or theme.UPLOAD_LABELS[upload.status])

    def _refresh(self) -> None:
        scene = self.scene
        saved = scene is not None
        busy = bool(self._busy)
        self.edit_button.setEnabled(saved and not busy)
        self.rewrite_button.setEnabled(saved and not busy and not self._story_running)
        self.repaint_button.setEnabled(saved and not busy and not self._story_running)
        self.retry_button.setVisible(self.upload is not None and self.upload.status.can_retry)
        self.busy_label.setText(self._busy)
        errors = []
        if scene is not None and scene.image_status is ImageStatus.failed and scene.image_error:
            errors.append(f"Image: {scene.image_error}")
        if self.upload is not None and self.upload.status is UploadStatus.failed and self.upload.error_message:
            errors.append(f"Upload: {self.upload.error_message}")
        if errors and not self.is_editing:
            self.error_label.setText("\n".join(errors))
            self.error_label.show()
        elif not self.is_editing:
            self.error_label.hide()
        if not saved and not self.title_label.text():
            self.title_label.setText("Writing…")
        self._refresh_thumbnail_placeholder()

    def _refresh_thumbnail_placeholder(self) -> None:
        scene = self.scene
        if scene is not None and scene.image_status is ImageStatus.painted and scene.image_path:
            return  # the real thumbnail arrives from the loader
        if scene is None or scene.image_status is ImageStatus.pending:
            self._show_placeholder("Waiting for the text", "image", theme.Tone.neutral)
        elif scene.image_status is ImageStatus.painting:
            self._show_placeholder("Painting…", "generate", theme.Tone.progress)
        else:
            self._show_placeholder("No image — press Regenerate image", "failed", theme.Tone.danger)

    def _show_placeholder(self, text: str, icon_name: str, tone: theme.Tone) -> None:
        key = (text, tone.value)
        if self.thumbnail_key == key:
            return
        self.thumbnail_key = key
        self.thumbnail.setIcon(placeholder_pixmap(THUMB_SIZE, text, icon_name, tone, self.devicePixelRatioF()))
        self.thumbnail.setToolTip(text)
        self.thumbnail.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.thumbnail.unsetCursor()

    @property
    def placeholder_text(self) -> str | None:
        """What the image well says while there is no thumbnail (None once the image shows)."""
        return self.thumbnail_key[0] if self.thumbnail_key is not None else None


def scene_id_of(card: SceneCard) -> uuid.UUID | None:
    return card.scene.id if card.scene is not None else None
