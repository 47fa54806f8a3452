"""One scene as a card: its number and title, the text as it streams in, the thumbnail, the upload badge, actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

import shiboken6
from PySide6.QtCore import QEvent, QMargins, QMimeData, QPoint, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QDrag,
    QFocusEvent,
    QFont,
    QGuiApplication,
    QHelpEvent,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
)
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QScrollArea, QSizePolicy, QToolTip, QWidget

from desktop.models import ImageStatus, Scene, Upload, UploadStatus
from desktop.ui.common import confirm, theme
from desktop.ui.common.widgets import badge_font, badge_pixmap, badge_size, font_metrics, plain, small_font
from desktop.ui.story.card_pixmaps import paint_frame, rounded_pixmap
from desktop.ui.story.edit_conflict import Choice, EditConflictView, both_texts, both_titles, show_edit_conflict
from desktop.ui.story.flat_buttons import PADDING_X, FlatButton, ImageButton
from desktop.ui.story.scene_editor import CHANGED_ELSEWHERE, SceneEditor
from desktop.ui.story.text_block import TextBlock

THUMB_SIZE = QSize(240, 160)
STREAM_FRAME_MS = 40
MARGINS = QMargins(16, 16, 16, 12)
COLUMN_GAP = 18  # between the thumbnail and the text
ROW_GAP = 6
ACTION_GAP = 2  # between two actions
ACTIONS_GAP = 6  # above the row of actions, on top of ROW_GAP
ACTION_LINE_GAP = 2  # between two lines of actions, when they wrap
PREFERRED_WIDTH = 900
MIN_TEXT_WIDTH = 120
MIN_WIDTH = MARGINS.left() + THUMB_SIZE.width() + COLUMN_GAP + MIN_TEXT_WIDTH + MARGINS.right()
OUTDATED_NOTE = "Out of date — the text changed"
WAITING_FOR_TEXT = "Waiting for the text"
WAITING_TO_PAINT = "Waiting to be painted"
NOT_PAINTED = "Not painted yet — press Paint image"
LOADING_IMAGE = "Painted — showing it…"
SCENE_MIME = "application/x-storyforge-scene"  # a dragged card carries its scene's id
GRIP_WIDTH = 14  # the dots left of the scene's number that say the card can be dragged


def upload_badge_text(upload: Upload, done: int = 0, total: int = 0) -> str:
    label = theme.UPLOAD_LABELS[upload.status]
    if upload.status is UploadStatus.uploading and total > 0:
        return f"{label} {round(100 * done / total)} %"
    if upload.status is UploadStatus.queued and upload.attempts > 0:
        return f"{label} · retry {upload.attempts}"
    return label


@dataclass(frozen=True)
class _Ink:
    """A card's colours in one palette."""

    background: QColor
    border: QColor
    live_border: QColor
    muted: QColor
    text: QColor
    danger: QColor
    warning: QColor


def _ink(palette: QPalette) -> _Ink:
    return _Ink(
        theme.card_background(palette),
        theme.card_border(palette),
        theme.accent(palette),
        theme.muted_text(palette),
        palette.color(QPalette.ColorRole.WindowText),
        theme.tone_colors(theme.Tone.danger, palette).text,
        theme.tone_colors(theme.Tone.warning, palette).text,
    )


BadgeLook = tuple[str, theme.Tone, str | None]  # text, tone, icon


class _Drawn(NamedTuple):
    """What a card draws itself (its controls repaint on their own)."""

    text: str
    title: str
    error: str
    busy: str
    badge: BadgeLook
    live: bool
    editing: bool
    outdated: bool


@dataclass(frozen=True)
class _Rows:
    """Where a card's parts go at one width (the thumbnail sits at the top left, the rest in a column beside it)."""

    body_left: int
    body_width: int
    header_height: int
    title_top: int
    text_top: int
    editor_top: int
    editor_height: int
    error_top: int
    actions_top: int
    action_lines: tuple[int, ...]  # how many actions each line holds, top to bottom
    outdated_top: int  # the out-of-date note under the thumbnail
    height: int


def older(scene: Scene, than: Scene) -> bool:
    # The revision counts changes of the text; updated_at never goes back on a row (every write keeps the later).
    return (scene.revision, scene.updated_at) < (than.revision, than.updated_at)


class SceneCard(QWidget):
    """A scene's card, drawn by itself except for its controls (the thumbnail, the actions, the editor).

    Its rows are laid out by hand: while a scene streams in, a text that grows without needing another line only
    repaints the card, where labels in layouts re-ran every layout up to the window. `heightForWidth` answers for
    the story's column.
    """

    edit_saved = Signal(object, str, str, int)  # scene id, title, text, the revision they were written from
    regenerate_text = Signal(object)  # scene id
    regenerate_image = Signal(object)  # scene id
    open_image = Signal(int)  # scene index
    retry_upload = Signal(object)  # upload id
    # The card's context menu, before it opens: the story page adds the scene commands (insert, move, delete…).
    menu_opening = Signal(object)  # QMenu

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.scene: Scene | None = None
        self.upload: Upload | None = None
        self.thumbnail_key: tuple[str, str] | None = None
        self.requested_image = ""  # the file whose thumbnail was last asked for (StoryView loads it)
        self._missing_image = ""  # a file the thumbnail loader could not read
        self._streamed: str | None = None
        self._stream_timer = QTimer(self, singleShot=True, interval=STREAM_FRAME_MS)
        self._stream_timer.timeout.connect(self._show_streamed)
        self._busy = ""
        self._painted_fraction: float | None = None  # how far the picture being painted is, when the painter says
        self._story_running = False
        self._live = False
        self._badge: BadgeLook = ("", theme.Tone.neutral, None)
        self._badge_tooltip = ""
        self._errors = ""
        self._edit_error = ""
        # The card's one memo, by width: each time a card grows the column asks every card for its height, and
        # answering without it lays out each card's text again (tests/bench/bench_pictures.py).
        self._rows: dict[int, _Rows] = {}
        self._shown: _Drawn | None = None
        # Text the writer selects with the mouse: (anchor, cursor) in the text as shown; copied with Ctrl+C.
        self._selection: tuple[int, int] | None = None
        self._selecting = False
        self._drag_from: QPointF | None = None  # pressed on the grip: a drag starts once the pointer moves enough
        self.setMouseTracking(True)  # an I-beam over the text says it can be selected
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

        self._number_font = theme.scaled_font(0.8, bold=True)
        self._number_font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 1)
        title_font = theme.serif_font(theme.scaled_font(1.3).pointSizeF())
        title_font.setWeight(QFont.Weight.DemiBold)
        self._title = TextBlock(title_font)
        self._text = TextBlock(
            theme.serif_font(theme.scaled_font(1.06).pointSizeF()), line_height=1.45, paragraph_gap=9
        )
        self._error = TextBlock(small_font())
        self._title.set_text("Writing…")

        self.thumbnail = ImageButton(THUMB_SIZE, "Open image", self)
        self.thumbnail.clicked.connect(self._thumbnail_clicked)
        self.edit_button = FlatButton("Edit", "edit", tooltip="Edit the scene's title and text", parent=self)
        self.rewrite_button = FlatButton(
            "Regenerate text", "regenerate-text", tooltip="Write this scene again", parent=self
        )
        self.repaint_button = FlatButton(
            "Regenerate image", "regenerate-image", tooltip="Paint this scene again", parent=self
        )
        self.retry_button = FlatButton("Retry upload", "retry", tooltip="Try the upload again now", parent=self)
        self.outdated_button = FlatButton(
            "Repaint", "regenerate-image", tooltip="Paint the image again from the scene as it is now", parent=self
        )
        self.outdated_button.clicked.connect(lambda: self.scene and self.regenerate_image.emit(self.scene.id))
        self.edit_button.clicked.connect(self.start_editing)
        self.rewrite_button.clicked.connect(self._regenerate_text_clicked)
        self.repaint_button.clicked.connect(lambda: self.scene and self.regenerate_image.emit(self.scene.id))
        self.retry_button.clicked.connect(lambda: self.upload and self.retry_upload.emit(self.upload.id))
        self._actions = (self.edit_button, self.rewrite_button, self.repaint_button, self.retry_button)
        in_order = (self.thumbnail, self.outdated_button, *self._actions)
        for before, after in pairwise(in_order):
            QWidget.setTabOrder(before, after)
        # The action that had the focus when the card went busy (Save, Regenerate): the card holds the focus
        # meanwhile, and gives it back once the work is done. A disabled button hands the focus to the next
        # control in the window, which for the last card was the library's search box.
        self._focus_back: FlatButton | None = None
        self.editor: SceneEditor | None = None
        self.question: QDialog | None = None  # open while the card asks the writer something
        self.conflict: EditConflictView | None = None  # open while the writer chooses between two versions
        self._leave_waiters: list[tuple[Callable[[], None], Callable[[], None]]] = []  # (left, stayed)
        self._refresh()

    # --- what it shows (the tests and the window read these) ---

    @property
    def text(self) -> str:
        """The scene's text as shown (while it streams, the part written so far)."""
        return self._text.text

    @property
    def title(self) -> str:
        return self._title.text

    @property
    def number_text(self) -> str:
        return f"SCENE {self.index + 1}"

    @property
    def badge_text(self) -> str:
        return self._badge[0]

    @property
    def error_text(self) -> str:
        """What went wrong, as the card shows it: the image's or the upload's failure, or while editing, the edit's."""
        return self._edit_error if self.is_editing else self._errors

    @property
    def busy_text(self) -> str:
        return self._busy

    @property
    def is_live(self) -> bool:
        """True while the scene's text is streaming in (the card's border shows it)."""
        return self._live

    @property
    def has_image(self) -> bool:
        return self.scene is not None and self.scene.image_status is ImageStatus.painted and bool(self.scene.image_path)

    @property
    def image_file(self) -> str:
        """The file of the image to show ("" while there is none).

        A new image's upload is queued just before the scene is marked painted (so that a crash never leaves a
        painted image no upload will pick up), and the upload may start at once: an upload of another file than the
        scene's while it paints is the new image, already on disk, and shows as such.
        """
        scene, upload = self.scene, self.upload
        if scene is None:
            return ""
        if scene.image_status is ImageStatus.painted:
            return scene.image_path
        if (
            scene.image_status is ImageStatus.painting
            and upload is not None
            and upload.scene_id == scene.id
            and upload.local_path
            and upload.local_path != scene.image_path
        ):
            return upload.local_path
        return ""

    @property
    def image_outdated(self) -> bool:
        """The image shows an earlier version of the scene (its text was written again since)."""
        return self.has_image and self.scene is not None and self.scene.image_outdated

    @property
    def outdated_text(self) -> str:
        return OUTDATED_NOTE if self.image_outdated else ""

    @property
    def placeholder_text(self) -> str | None:
        """What the image well says while there is no thumbnail (None once the image shows)."""
        return self.thumbnail_key[0] if self.thumbnail_key is not None else None

    # --- state from the services ---

    def set_streaming_text(self, text: str) -> None:
        # A provider may stream a hundred pieces a second; laying out the text at most every STREAM_FRAME_MS
        # keeps the loop free and still reads as live.
        self._streamed = text
        if not self._stream_timer.isActive():
            self._stream_timer.start()

    def _show_streamed(self) -> None:
        if self._streamed is None:
            return
        self._show_text(self._streamed)
        self._streamed = None
        if self._live:
            self._show_state()
        else:
            self._live = True
            self._refresh()

    def _show_text(self, text: str) -> None:
        if text != self._text.text:
            self._selection = None  # the words it covered are gone
        self._text.set_text(text)

    @property
    def selected_text(self) -> str:
        if self._selection is None:
            return ""
        start, end = sorted(self._selection)
        return self._text.shown_text[start:end]

    def select_all(self) -> None:
        self.select(0, len(self._text.shown_text))

    def select(self, start: int, end: int) -> None:
        """Select part of the text as shown (`shown_text`), as a found match is."""
        self._selection = (start, end)
        self.update()

    def clear_selection(self) -> None:
        if self._selection is not None:
            self._selection = None
            self.update()

    @property
    def shown_text(self) -> str:
        """The text as drawn, paragraphs one blank line apart: what selections and Find count in."""
        return self._text.shown_text

    def text_top_of(self, position: int) -> float:
        """Where, in the card, the line holding `position` of `shown_text` starts."""
        rows = self._rows_at(self.width())
        return rows.text_top + self._text.top_of(position, rows.body_width)

    def set_scene(self, scene: Scene) -> None:
        shown = self.scene
        if shown is not None and shown.id == scene.id and older(scene, shown):
            # Read before a change already shown here (live refresh reads while saves land): the newer one stays,
            # and a text streamed meanwhile still gives way to it.
            scene = shown
        self._streamed = None
        self._stream_timer.stop()
        if scene.image_status is not ImageStatus.painting:
            self._painted_fraction = None
        self.scene = scene
        self._title.set_text(scene.title)
        self._show_text(scene.text)
        self._live = False
        self.setAccessibleName(f"Scene {scene.number}: {scene.title}")
        self.setAccessibleDescription(scene.text)
        self._follow_in_editor(scene)
        self._refresh()

    def _follow_in_editor(self, scene: Scene) -> None:
        """The scene's text changed elsewhere while it is open here: an untouched editor shows the new text; typing
        is never replaced, the editor says that saving will ask which version to keep."""
        if self.conflict is not None and scene.revision > self.conflict.current.revision:
            self.conflict.show_theirs(scene)
        editor = self.editor
        if editor is None or not self.is_editing or scene.revision <= editor.revision:
            return
        if editor.has_changes:
            if editor.note_text != CHANGED_ELSEWHERE:
                editor.show_note(CHANGED_ELSEWHERE)
                self._rows.clear()  # the note takes a line
        else:
            editor.follow(scene.title, scene.text, scene.revision)

    def set_index(self, index: int) -> None:
        """The scene took another place in the story (inserted, moved or deleted around it)."""
        if index != self.index:
            self.index = index
            self.update()  # its number

    def set_upload(self, upload: Upload | None, done: int = 0, total: int = 0) -> None:
        self.upload = upload
        self._refresh_upload(done, total)
        self._refresh()

    def set_upload_progress(self, done: int, total: int) -> None:
        if self._refresh_upload(done, total):
            self._show_state()

    def set_thumbnail(self, image: QImage | None) -> None:
        if image is None:
            self._missing_image = self.image_file
            self._show_placeholder("The image file is missing", "failed", theme.Tone.warning)
            return
        self._missing_image = ""
        self.thumbnail_key = None
        self.thumbnail.set_pixmap(rounded_pixmap(image, THUMB_SIZE, self.devicePixelRatioF()))
        self.thumbnail.set_clickable(True)
        self.thumbnail.setToolTip("Open the image full size")

    def _thumbnail_clicked(self) -> None:
        if self.thumbnail_key is None:
            self.open_image.emit(self.index)

    def set_busy(self, text: str) -> None:
        self._busy = text
        self._refresh()

    def show_paint_progress(self, fraction: float) -> None:
        """How far the picture being painted is, from painters that can tell (ComfyUI, Automatic1111): the
        well says "Painting… 40 %", and a repaint over the picture shown says it in its busy line."""
        self._painted_fraction = fraction
        if self._busy.startswith("Repainting"):
            self._busy = f"Repainting… {round(fraction * 100)} %"
        self._refresh()

    def set_story_running(self, running: bool) -> None:
        # Every card is told each time the story changes (several times a scene); most of the time nothing moves.
        if running != self._story_running:
            self._story_running = running
            self._refresh()

    # --- editing ---

    def start_editing(self) -> None:
        if self.scene is None:
            return
        if self.editor is None:  # made on first use: most cards are never edited
            self.editor = SceneEditor(self._text.font, self)
            self.editor.saved.connect(self._save)
            self.editor.leave_requested.connect(self.leave_editing)
            self.setTabOrder(self.thumbnail, self.editor)
        self._edit_error = ""
        self.editor.show()
        self.editor.start(self.scene.title, self.scene.text, self.scene.revision)
        self._refresh()

    def restore_edit(self, title: str, text: str, problem: str = "", revision: int | None = None) -> None:
        """The writer's unsaved words go back into the editor (a save failed, or the card was made again).

        `revision` is the one they were written from, when the scene shown may be newer: saving then asks.
        """
        self.start_editing()
        editor, scene = self.editor, self.scene
        if editor is not None and scene is not None:
            editor.title_edit.setText(title)
            editor.text_edit.setPlainText(text)
            if revision is not None:
                editor.revision = revision
                self._follow_in_editor(scene)
            self._edit_error = problem
            self._rows.clear()
            self._show_state()

    def show_conflict(self, current: Scene, title: str, text: str, revision: int) -> None:
        """Saving found the scene changed elsewhere since `revision`: the writer's words stay in the editor and
        both versions are shown side by side until the writer keeps one, the other or both."""
        opened = self.editor.started_title if self.editor is not None else current.title
        self.set_scene(current)
        self.restore_edit(title, text, revision=revision)

        def chosen(choice: Choice, theirs: Scene) -> None:
            waiters, self._leave_waiters = self._leave_waiters, []
            self.question = self.conflict = None
            editor = self.editor
            if not shiboken6.isValid(self) or editor is None:  # made again meanwhile: the new card holds the words
                stay = True
            else:
                if choice is Choice.theirs:
                    self.stop_editing()
                elif choice in (Choice.mine, Choice.both):
                    if choice is Choice.both:
                        editor.title_edit.setText(both_titles(theirs.title, title, opened))
                        editor.text_edit.setPlainText(both_texts(theirs.text, text))
                    editor.revision = theirs.revision  # over the version shown; a newer one asks again
                    editor.save()
                stay = self.is_editing
                if stay:
                    editor.focus_text()
            for went, kept in waiters:
                kept() if stay else went()

        self.conflict = show_edit_conflict(self.window(), current, title, text, chosen)
        self.question = self.conflict

    def stop_editing(self) -> None:
        if self.editor is not None:
            self.editor.hide()
        self._edit_error = ""
        self._refresh()
        self.edit_button.setFocus()
        self._reveal(self.edit_button)

    @property
    def is_editing(self) -> bool:
        return self.editor is not None and not self.editor.isHidden()

    @property
    def has_unsaved_edit(self) -> bool:
        return self.is_editing and self.editor is not None and self.editor.has_changes

    def leave_editing(self, left: Callable[[], None] = lambda: None, stayed: Callable[[], None] = lambda: None) -> None:
        """Discard, Esc, or the window moving on: unsaved changes are asked about (Save / Discard / Keep editing).

        `left` runs once the editor is closed (saved or discarded), `stayed` when the writer keeps editing.
        """
        editor, scene = self.editor, self.scene
        if editor is None or scene is None or not self.has_unsaved_edit:
            if self.is_editing:
                self.stop_editing()
            left()
            return
        self._leave_waiters.append((left, stayed))
        if len(self._leave_waiters) > 1 or self.conflict is not None:
            return  # already asked (Esc, then the window moving on; or which version to keep): one answer serves all

        def answered(answer: confirm.Answer) -> None:
            waiters, self._leave_waiters = self._leave_waiters, []
            self.question = None
            if not shiboken6.isValid(self):  # the card was made again meanwhile; the new one holds the text
                stay = True
            else:
                if answer is confirm.Answer.save:
                    editor.save()
                elif answer is confirm.Answer.discard:
                    self.stop_editing()
                stay = self.is_editing  # kept editing, or the save was refused (no text) and says why
                if stay:
                    editor.focus_text()
            for went, kept in waiters:
                kept() if stay else went()

        self.question = confirm.ask_unsaved_edit(self.window(), scene, answered)

    def _regenerate_text_clicked(self) -> None:
        scene = self.scene
        if scene is None:
            return
        if scene.edited_at is None:
            self.regenerate_text.emit(scene.id)
            return

        def answered(answer: confirm.Answer) -> None:
            self.question = None
            if answer is confirm.Answer.go_ahead and shiboken6.isValid(self):
                self.regenerate_text.emit(scene.id)

        self.question = confirm.ask_replace_edit(self.window(), scene, answered)

    def _save(self, title: str, text: str) -> None:
        if self.scene is None or not self.is_editing:
            return
        if not text:
            self._edit_error = "A scene needs some text — write at least a sentence, or press Discard."
            self._show_state()
            return
        title = title or self.scene.title
        revision = self.editor.revision if self.editor is not None else self.scene.revision
        self._title.set_text(title)
        self._show_text(text)
        self.stop_editing()
        self.set_busy("Saving…")
        self.edit_saved.emit(self.scene.id, title, text, revision)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if selected := self.selected_text:
            copy_selected = menu.addAction("Copy")
            copy_selected.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
            copy_selected.triggered.connect(lambda: QGuiApplication.clipboard().setText(selected))
        copy = menu.addAction("Copy text")
        copy.setEnabled(bool(self.text))
        copy.triggered.connect(lambda: QGuiApplication.clipboard().setText(self.text))
        for button in self._actions:
            if button.isVisible():
                action = menu.addAction(plain(button.text()))
                action.setEnabled(button.isEnabled())
                action.triggered.connect(button.click)
        self.menu_opening.emit(menu)
        menu.popup(event.globalPos())

    # --- the state, shown ---

    def _refresh_upload(self, done: int, total: int) -> bool:
        upload = self.upload
        if upload is None:
            badge: BadgeLook = ("", theme.Tone.neutral, None)
            self._badge_tooltip = ""
        else:
            badge = (
                upload_badge_text(upload, done, total),
                theme.UPLOAD_TONES[upload.status],
                theme.UPLOAD_ICONS[upload.status],
            )
            self._badge_tooltip = upload.error_message or upload.url or theme.UPLOAD_LABELS[upload.status]
        changed = badge != self._badge
        self._badge = badge
        return changed

    def _refresh(self) -> None:
        scene = self.scene
        saved = scene is not None
        busy = bool(self._busy)
        editing = self.is_editing
        can_paint = saved and not busy and not self._story_running
        self._keep_focus_while(
            {
                self.edit_button: saved and not busy,
                self.rewrite_button: can_paint,
                self.repaint_button: can_paint,
                self.outdated_button: can_paint,
            }
        )
        unpainted = scene is not None and scene.image_status is not ImageStatus.painted
        self._set_label(self.repaint_button, "Paint image" if unpainted else "Regenerate image")
        for button in (*self._actions, self.outdated_button):
            if button is self.retry_button:
                shown = not editing and self._can_retry
            elif button is self.outdated_button:
                shown = not editing and self.image_outdated
            else:
                shown = not editing
            if shown != button.isVisibleTo(self):  # a new card's buttons show with it, styled then, not now
                button.setVisible(shown)
                self._rows.clear()  # the actions may take another line
        if not editing:
            errors = []
            if scene is not None and scene.image_status is ImageStatus.failed and scene.image_error:
                errors.append(f"Image: {scene.image_error}")
            if self.upload is not None and self.upload.status is UploadStatus.failed and self.upload.error_message:
                errors.append(f"Upload: {self.upload.error_message}")
            self._errors = "\n".join(errors)
        self._refresh_thumbnail_placeholder()
        self._show_state()

    def _keep_focus_while(self, enabled: dict[FlatButton, bool]) -> None:
        # The window's focus widget, not only a focused one: while a question (Replace your edits?) is open the
        # window is not active, and when it closes the focus goes back to the widget that had it in the window.
        window_focus = self.window().focusWidget()
        focused = next((button for button in enabled if button is window_focus), None)
        if focused is not None and not enabled[focused]:
            self._focus_back = focused
            self.setFocus(Qt.FocusReason.OtherFocusReason)  # before it is disabled: the focus stays on this card
        for button, on in enabled.items():
            button.setEnabled(on)
        back = self._focus_back
        if back is not None and enabled.get(back, False):
            self._focus_back = None
            if self.window().focusWidget() is self:
                back.setFocus(Qt.FocusReason.OtherFocusReason)
                self._reveal(back)

    def _reveal(self, control: QWidget) -> None:
        """Scroll the story to a control that takes the focus back, once the card has its new height (an editor
        that closes leaves the card shorter, and the page may scroll the control out of sight)."""
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is None:
            return
        scroll_area = area

        def show() -> None:
            if control.hasFocus():
                scroll_area.ensureWidgetVisible(control, 0, 24)

        QTimer.singleShot(0, control, show)

    def _set_label(self, button: FlatButton, text: str) -> None:
        if button.text() != text:
            button.setText(text)
            button.setAccessibleName(text)
            self._rows.clear()  # its width changed: the actions may wrap differently
            button.updateGeometry()

    def focus_scene(self) -> None:
        """The writer comes back to this scene (from the viewer, the editor): its first action takes the focus."""
        target = self.thumbnail if self.thumbnail.focusPolicy() != Qt.FocusPolicy.NoFocus else self.edit_button
        if target.isEnabled() and target.isVisible():
            target.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def _can_retry(self) -> bool:
        return self.upload is not None and self.upload.status.can_retry

    def _refresh_thumbnail_placeholder(self) -> None:
        scene = self.scene
        image_file = self.image_file
        if image_file:
            # The thumbnail arrives from the loader, off the GUI thread: until then the well says the image is
            # painted, never "Painting…" (nor, over a picture already shown, anything).
            if self.thumbnail_key is not None and image_file != self._missing_image:
                self._show_placeholder(LOADING_IMAGE, "image", theme.Tone.neutral)
            return
        if scene is None:
            self._show_placeholder(WAITING_FOR_TEXT, "image", theme.Tone.neutral)
        elif scene.image_status is ImageStatus.pending and self._story_running:
            self._show_placeholder(WAITING_TO_PAINT, "image", theme.Tone.neutral)
        elif scene.image_status is ImageStatus.pending:  # a cancel or a crash stopped the story before its image
            self._show_placeholder(NOT_PAINTED, "image", theme.Tone.warning)
        elif scene.image_status is ImageStatus.painting:
            done = f" {round(self._painted_fraction * 100)} %" if self._painted_fraction is not None else ""
            self._show_placeholder(f"Painting…{done}", "generate", theme.Tone.progress)
        else:
            self._show_placeholder("No image — press Regenerate image", "failed", theme.Tone.danger)

    def _show_placeholder(self, text: str, icon_name: str, tone: theme.Tone) -> None:
        key = (text, tone.value)
        if self.thumbnail_key == key:
            return
        self.thumbnail_key = key
        self.thumbnail.set_placeholder(text, icon_name, tone)
        self.thumbnail.setToolTip(text)
        self.thumbnail.set_clickable(False)

    # --- layout ---

    def _painted(self) -> _Drawn:
        return _Drawn(
            self._text.text,
            self._title.text,
            self.error_text,
            self._busy,
            self._badge,
            self._live,
            self.is_editing,
            self.image_outdated,
        )

    def _show_state(self) -> None:
        """Lay the rows out again and repaint if what the card draws changed; ask the column for another height
        only if it changed."""
        painted = self._painted()
        width = self.width()
        before = self._rows.get(width)
        if painted != self._shown:
            self._shown = painted
            self._rows.clear()
            self._error.set_text(self.error_text)
            self.update()
        after = self._rows_at(width)
        if before is None or before.height != after.height:
            self.updateGeometry()
        self._place_children()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._rows_at(width).height

    def sizeHint(self) -> QSize:
        return QSize(PREFERRED_WIDTH, self._laid_out_height())

    def minimumSizeHint(self) -> QSize:
        # As tall as its content: a card that may shrink was squeezed (and every card in the story with it, by a
        # pixel or two each) whenever one grew, until the page grew too; that laid out and painted them all twice.
        return QSize(MIN_WIDTH, self._laid_out_height())

    def _laid_out_height(self) -> int:
        # At the width it has been given: another width would lay the whole text out again just for a hint.
        return self.heightForWidth(
            self.width() if self.testAttribute(Qt.WidgetAttribute.WA_Resized) else PREFERRED_WIDTH
        )

    def _rows_at(self, width: int) -> _Rows:
        known = self._rows.get(width)
        if known is not None:
            return known
        body_left = MARGINS.left() + THUMB_SIZE.width() + COLUMN_GAP
        body_width = self._body_width(width)
        header_height = max(
            font_metrics(self._number_font).height(), badge_size("Queued", self._badge_font(), True).height()
        )
        y = MARGINS.top() + header_height + ROW_GAP
        title_top = text_top = editor_top = y
        editor_height = 0
        if self.is_editing and self.editor is not None:
            editor_height = self.editor.sizeHint().height()
            y += editor_height + ROW_GAP
        else:
            y += self._title.height(body_width) + ROW_GAP
            text_top = y
            text_height = self._text.height(body_width)
            if text_height:
                y += text_height + ROW_GAP
        error_top = y
        if self.error_text:
            y += self._error.height(body_width) + ROW_GAP
        button_height = self.edit_button.sizeHint().height()
        lines = () if self.is_editing else self._action_lines(body_width)
        actions_height = ACTIONS_GAP + len(lines) * (button_height + ACTION_LINE_GAP) - ACTION_LINE_GAP if lines else 0
        outdated_top = MARGINS.top() + THUMB_SIZE.height() + ROW_GAP
        left_bottom = MARGINS.top() + THUMB_SIZE.height()
        if self.image_outdated and not self.is_editing:
            left_bottom = outdated_top + self._outdated_note_height() + self.outdated_button.sizeHint().height()
        height = max(left_bottom, y + actions_height) + MARGINS.bottom()
        rows = self._rows[width] = _Rows(
            body_left,
            body_width,
            header_height,
            title_top,
            text_top,
            editor_top,
            editor_height,
            error_top,
            height - MARGINS.bottom() - actions_height + (ACTIONS_GAP if lines else 0),
            lines,
            outdated_top,
            height,
        )
        return rows

    def _action_lines(self, body_width: int) -> tuple[int, ...]:
        """The actions in as many lines as the width needs: in a small window none is cut off."""
        lines: list[int] = []
        x = body_width + 1  # the first button starts a line
        for button in self._actions:
            if button.isHidden():
                continue
            wide = button.sizeHint().width()
            if lines and x + wide <= body_width:
                lines[-1] += 1
            else:
                lines.append(1)
                x = 0
            x += wide + ACTION_GAP
        return tuple(lines)

    def _outdated_note_height(self) -> int:
        return font_metrics(small_font()).height() + 2

    @staticmethod
    def _body_width(width: int) -> int:
        return max(MIN_TEXT_WIDTH, width - MARGINS.left() - THUMB_SIZE.width() - COLUMN_GAP - MARGINS.right())

    def _badge_font(self) -> QFont:
        return badge_font(self.font())

    @property
    def badge_rect(self) -> QRectF:
        """Where the upload's badge shows (resting the pointer on it tells more)."""
        text, _, icon_name = self._badge
        size = badge_size(text, self._badge_font(), icon_name is not None)
        rows = self._rows_at(self.width())
        top = MARGINS.top() + (rows.header_height - size.height()) / 2
        return QRectF(self.width() - MARGINS.right() - size.width(), top, size.width() + 1, size.height() + 1)

    def _place_children(self) -> None:
        rows = self._rows_at(self.width())
        self.thumbnail.move(MARGINS.left(), MARGINS.top())
        shown = [button for button in self._actions if not button.isHidden()]
        y = rows.actions_top
        for count in rows.action_lines:
            x = rows.body_left
            for button in shown[:count]:
                hint = button.sizeHint()
                button.setGeometry(x, y, hint.width(), hint.height())
                x += hint.width() + ACTION_GAP
            shown = shown[count:]
            y += self.edit_button.sizeHint().height() + ACTION_LINE_GAP
        if not self.outdated_button.isHidden():
            hint = self.outdated_button.sizeHint()
            top = rows.outdated_top + self._outdated_note_height()
            self.outdated_button.setGeometry(MARGINS.left() - PADDING_X, top, hint.width(), hint.height())
        if self.is_editing and self.editor is not None:
            self.editor.setGeometry(rows.body_left, rows.editor_top, rows.body_width, rows.editor_height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_children()

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()  # its border shows where the focus is while the card is busy

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._rows.clear()
        super().changeEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            if self._badge[0] and self.badge_rect.contains(QPointF(event.pos())):
                QToolTip.showText(event.globalPos(), self._badge_tooltip, self, self.badge_rect.toAlignedRect())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def text_area(self) -> QRectF:
        """Where the scene's text is drawn, in the card's coordinates."""
        rows = self._rows_at(self.width())
        return QRectF(rows.body_left, rows.text_top, rows.body_width, self._text.height(rows.body_width))

    def _text_position(self, point: QPointF) -> int:
        rows = self._rows_at(self.width())
        return self._text.position_at(point - QPointF(rows.body_left, rows.text_top), rows.body_width)

    # --- dragging the card to another place ---

    def grip_area(self) -> QRectF:
        """Where a press starts a drag: the number row and the title (the text below is for selecting)."""
        rows = self._rows_at(self.width())
        bottom = rows.title_top if self.is_editing else rows.text_top
        return QRectF(rows.body_left, 0, self.width() - rows.body_left, bottom)

    def _on_grip(self, point: QPointF) -> bool:
        return self.scene is not None and self.grip_area().contains(point) and not self.badge_rect.contains(point)

    def drag_data(self) -> QMimeData:
        data = QMimeData()
        if self.scene is not None:
            data.setData(SCENE_MIME, self.scene.id.bytes)
        return data

    def _start_drag(self) -> None:
        drag = QDrag(self)
        drag.setMimeData(self.drag_data())
        picture = self.grab()
        drag.setPixmap(picture.scaledToWidth(min(360, picture.width()), Qt.TransformationMode.SmoothTransformation))
        drag.setHotSpot(QPoint(16, 16))
        drag.exec(Qt.DropAction.MoveAction)

    # --- selecting text ---

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._on_grip(event.position()):
            self._drag_from = event.position()
            self.setFocus(Qt.FocusReason.MouseFocusReason)
        on_text = not self.is_editing and self.text_area().contains(event.position())
        if event.button() == Qt.MouseButton.LeftButton and on_text:
            place = self._text_position(event.position())
            self._selection, self._selecting = (place, place), True
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.update()
            return
        if event.button() == Qt.MouseButton.LeftButton and self._selection is not None:
            self._selection = None
            self.update()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._selecting and self._selection is not None:
            self._selection = (self._selection[0], self._text_position(event.position()))
            self.update()
            return
        start = self._drag_from
        if start is not None and event.buttons() & Qt.MouseButton.LeftButton:
            if (event.position() - start).manhattanLength() >= QApplication.startDragDistance():
                self._drag_from = None
                self._start_drag()
            return
        over_text = not self.is_editing and self.text_area().contains(event.position())
        shape = Qt.CursorShape.IBeamCursor if over_text else Qt.CursorShape.ArrowCursor
        self.setCursor(Qt.CursorShape.OpenHandCursor if self._on_grip(event.position()) else shape)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag_from = None
        if self._selecting:
            self._selecting = False
            if self._selection is not None:
                self._selection = (self._selection[0], self._text_position(event.position()))
                self.update()
            if self._selection is not None and self._selection[0] == self._selection[1]:
                self._selection = None  # a click, not a drag
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy) and self.selected_text:
            QGuiApplication.clipboard().setText(self.selected_text)
            return
        if event.matches(QKeySequence.StandardKey.SelectAll) and not self.is_editing and self._text.text:
            self.select_all()
            return
        super().keyPressEvent(event)

    # --- painting ---

    def _drawn_selection(self) -> tuple[int, int, QTextCharFormat] | None:
        if self._selection is None or self._selection[0] == self._selection[1]:
            return None
        start, end = sorted(self._selection)
        look = QTextCharFormat()
        look.setBackground(self.palette().color(QPalette.ColorRole.Highlight))
        look.setForeground(self.palette().color(QPalette.ColorRole.HighlightedText))
        return start, end, look

    def paintEvent(self, event: QPaintEvent) -> None:
        ink = _ink(self.palette())
        rows = self._rows_at(self.width())
        painter = QPainter(self)
        border = ink.live_border if self._live or self.hasFocus() else ink.border
        paint_frame(painter, self.rect(), ink.background, border, self.devicePixelRatioF())
        if self.scene is not None:  # a grip: the card can be dragged by its number row and title
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(ink.muted)
            middle = MARGINS.top() + rows.header_height / 2
            for column in (0, 5):
                for row in (-5, 0, 5):
                    painter.drawEllipse(QPointF(rows.body_left + 2 + column, middle + row), 1.3, 1.3)
            painter.restore()
        number = QRect(rows.body_left + GRIP_WIDTH, MARGINS.top(), rows.body_width - GRIP_WIDTH, rows.header_height)
        painter.setFont(self._number_font)
        painter.setPen(ink.muted)
        painter.drawText(number, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.number_text)
        if self._badge[0]:
            text, tone, icon_name = self._badge
            badge = badge_pixmap(text, tone, self._badge_font(), icon_name, self.devicePixelRatioF())
            painter.drawPixmap(self.badge_rect.topLeft(), badge)
        if not self.is_editing:
            self._title.draw(painter, QPointF(rows.body_left, rows.title_top), rows.body_width, ink.text)
            self._text.draw(
                painter, QPointF(rows.body_left, rows.text_top), rows.body_width, ink.text, self._drawn_selection()
            )
        if self.error_text:
            self._error.draw(painter, QPointF(rows.body_left, rows.error_top), rows.body_width, ink.danger)
        if self.image_outdated and not self.is_editing:
            painter.setFont(small_font())
            painter.setPen(ink.warning)
            painter.drawText(
                QRectF(MARGINS.left(), rows.outdated_top, THUMB_SIZE.width(), self._outdated_note_height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                OUTDATED_NOTE,
            )
        if self._busy and not self.is_editing:
            painter.setFont(small_font())
            painter.setPen(ink.muted)
            painter.drawText(
                QRectF(rows.body_left, rows.actions_top, rows.body_width, self.edit_button.sizeHint().height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self._busy,
            )
        painter.end()
