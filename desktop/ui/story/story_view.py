"""The story in the middle: a header and the scene cards in order, following the services' signals live."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMargins, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from desktop.models import SCENES_MAX, ImageStatus, Scene, Story, Upload, UploadStatus
from desktop.services.story_errors import EditConflict
from desktop.ui.common.thumbnails import ThumbnailLoader
from desktop.ui.story.card_column import CardColumn
from desktop.ui.story.find_bar import FindBar
from desktop.ui.story.page_scroll_bar import PageScrollBar
from desktop.ui.story.reading_page import ReadingPage
from desktop.ui.story.scene_card import SCENE_MIME, THUMB_SIZE, SceneCard, older
from desktop.ui.story.scene_commands import SceneCommand, SceneCommands
from desktop.ui.story.story_header import StoryHeader

if TYPE_CHECKING:  # loaded with the services, once the database is up: the window opens without them
    from desktop.services.runtime import Runtime
    from desktop.services.session import Session
    from desktop.services.story_service import StoryService

# Lines of about 75 characters beside the thumbnail read best; wider windows get margins instead.
COLUMN_WIDTH = 1060
OPEN_TURN_S = 0.004  # how long a story that opens may make cards before the loop gets a turn
FOLD_MARGIN = 48  # how much further than folding saves a story must reach for its header to fold
PREPARE_AFTER_MS = 50  # once a scene's card is placed, the next one's is made (scenes take seconds to write)


def centred(outer: QWidget, inner: QWidget) -> None:
    row = QHBoxLayout(outer)
    row.setContentsMargins(0, 0, 0, 0)
    row.addStretch(1)
    row.addWidget(inner, 100)
    row.addStretch(1)


@dataclass(frozen=True)
class ViewerEntry:
    scene: Scene
    url: str
    # The link made again first when it is near its expiry ("" when none works now); None: `url` as it is.
    fresh_url: Callable[[], Coroutine[Any, Any, str]] | None = None


@dataclass(frozen=True)
class Match:
    """Where Find found the words: a scene (by index) and the characters of its shown text."""

    scene_index: int
    start: int
    end: int


def newest_upload(current: Upload | None, candidate: Upload) -> Upload:
    if current is None or current.id == candidate.id or candidate.created_at >= current.created_at:
        return candidate
    return current


class StoryView(QWidget):
    image_requested = Signal(int)  # scene index
    loaded = Signal(object)  # Story
    history_requested = Signal(object)  # scene id: the writer asked for a scene's History
    status_line = Signal(str)  # a line for the window's status bar
    commands_changed = Signal()  # which scene commands make sense may have changed (a card is no longer busy)

    def __init__(self, runtime: Runtime, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("storyPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._runtime = runtime
        self._session: Session | None = None  # a story opens only once the database is ready
        self._thumbnails = thumbnails
        self.story: Story | None = None
        self.cards: dict[int, SceneCard] = {}
        self._unplaced: dict[int, SceneCard] = {}  # made ahead for a scene about to start, or that has just started
        self._placing: set[int] = set()
        self._uploads: dict[uuid.UUID, Upload] = {}  # by scene id
        self._progress: dict[uuid.UUID, tuple[int, int]] = {}  # by upload id
        self._loading_id: uuid.UUID | None = None
        self._replay: list[Callable[[], None]] = []  # live events that came while the story loaded
        self._generation = 0
        self._saving: set[asyncio.Task[bool]] = set()  # edits on their way to the database (True: stored)
        # By scene id: typed, not saved, while cards go; with the revision the words were written from.
        self._kept_edits: dict[uuid.UUID, tuple[str, str, int]] = {}
        self._new_card_wanted: Callable[[SceneCard], None] | None = None  # what a command does with the card it makes
        self._order_due = False  # a scene came with another place: the story's order is read again
        self.commands = SceneCommands(self, runtime.tasks.start)
        self.commands.status_line.connect(self.status_line)
        self.commands.history_requested.connect(self.history_requested)
        self.commands.finished.connect(self.commands_changed)

        self.header = StoryHeader()
        self.header.cancel_button.clicked.connect(self.cancel_generation)
        self.header.resume_button.clicked.connect(self.resume)
        self.header.retry_button.clicked.connect(self.retry_failed_uploads)
        self.header.use_settings_button.clicked.connect(self.use_settings_providers)
        self._column = CardColumn(QMargins(28, 8, 28, 28), spacing=14, drop_format=SCENE_MIME)
        self._column.dropped.connect(self._dropped)
        self._cards_widget = ReadingPage(self._column, COLUMN_WIDTH)
        self._cards_widget.setObjectName("storyCards")
        # The column grows at the bottom as scenes stream in; without this every growth repainted every card in
        # sight (a resized widget is repainted whole), tens of times a second while a story is written.
        for growing in (self._cards_widget, self._column):
            growing.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("storyScroll")
        self.scroll_area.setWidgetResizable(True)
        # Shown only as needed, the bar came and went while layouts settled (the cards' heights depend on their
        # width, which depends on the bar): every card was laid out and painted again at both widths, several times
        # per scene. Always there, the text keeps its width and the page never reflows when it grows past the window.
        self.scroll_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.scroll_area.setVerticalScrollBar(PageScrollBar())
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(self._cards_widget)
        self.scroll_area.viewport().setAutoFillBackground(False)  # the page covers it
        self.scroll_area.verticalScrollBar().valueChanged.connect(self._fold_header)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header.setMaximumWidth(COLUMN_WIDTH)
        header_row = QWidget()
        centred(header_row, self.header)
        layout.addWidget(header_row)
        self.find_bar = FindBar()
        self.find_bar.setMaximumWidth(COLUMN_WIDTH)
        find_row = QWidget()
        centred(find_row, self.find_bar)
        layout.addWidget(find_row)
        layout.addWidget(self.scroll_area, 1)
        self.find_bar.searched.connect(self._find)
        self.find_bar.next_requested.connect(lambda: self._step_match(+1))
        self.find_bar.previous_requested.connect(lambda: self._step_match(-1))
        self.find_bar.closed.connect(self._end_find)
        self._matches: list[Match] = []
        self._match = -1  # the one shown, in _matches

    def _fold_header(self, position: int) -> None:
        """The header folds to one line once the writer reads on, and opens again back at the top.

        Only a story longer than the room folding gives folds: a shorter one would fit once folded, scroll back to
        the top and open again, over and over.
        """
        header = self.header
        if header.compact:
            header.set_compact(position > 0)
        elif position > 0:
            full = header.height()
            header.set_compact(True)
            saved = full - header.sizeHint().height()
            if self.scroll_area.verticalScrollBar().maximum() <= saved + FOLD_MARGIN:
                header.set_compact(False)

    def focus_scene(self, index: int) -> None:
        """Back from the viewer (or anywhere that showed one scene): that scene in view, with the focus."""
        card = self.cards.get(index)
        if card is not None:
            self.scroll_area.ensureWidgetVisible(card, 0, 40)
            card.focus_scene()

    # --- opening a story ---

    @property
    def story_id(self) -> uuid.UUID | None:
        return self.story.id if self.story is not None else self._loading_id

    def reload(self) -> None:
        """Show the open story afresh from the database (after changes this window may have missed)."""
        story_id = self.story_id
        if story_id is not None:
            self.story, self._loading_id = None, None
            self.open_story(story_id)

    def set_session(self, session: Session) -> None:
        self._session = session

    @property
    def session(self) -> Session | None:
        return self._session

    def open_story(self, story_id: uuid.UUID) -> None:
        if self.story_id == story_id or self._session is None:
            return
        self._generation += 1
        self._loading_id = story_id
        self._replay = []
        self._clear()
        self._runtime.tasks.start(self._load(self._session, story_id, self._generation), "Opening the story")

    async def _load(self, session: Session, story_id: uuid.UUID, generation: int) -> None:
        opened = await session.stories.open(story_id)
        uploads = await session.uploads.uploads(story_id=story_id)
        if generation != self._generation:
            return
        if opened is None:
            self._loading_id = None
            return
        story, scenes = opened.story, opened.scenes
        self.header.show_story(story)
        self.header.show_own_providers(not session.stories.follows_settings(story))
        await asyncio.sleep(0)  # the header's new texts lay out up to the window: the cards come a turn later
        if generation != self._generation:
            return
        for upload in uploads:
            self._uploads[upload.scene_id] = newest_upload(self._uploads.get(upload.scene_id), upload)
        turn_ends = time.perf_counter() + OPEN_TURN_S
        for scene in scenes:
            if time.perf_counter() > turn_ends:
                # A turn of the loop now and then: a long story opens a few cards at a time (a card with its
                # text takes a few ms), the window never held for all of them. Live events wait in the replay.
                await asyncio.sleep(0)
                if generation != self._generation:
                    return
                turn_ends = time.perf_counter() + OPEN_TURN_S
            self._apply_scene(scene)
        self._loading_id = None
        self.story = story
        for card in self.cards.values():
            card.set_story_running(story.status.is_running)
        replay, self._replay = self._replay, []
        for event in replay:
            event()
        kept, self._kept_edits = self._kept_edits, {}
        for card in self.cards.values():
            if card.scene is not None and card.scene.id in kept:
                title, text, revision = kept[card.scene.id]
                card.restore_edit(title, text, revision=revision)
        self._update_progress()
        self.scroll_area.verticalScrollBar().setValue(0)
        self.loaded.emit(story)

    def _clear(self) -> None:
        # A story read again (after changes elsewhere) makes new cards: unsaved edits go into the new ones' editors.
        # Leaving for another story asks about them first, so only the same scenes can find theirs.
        self._kept_edits = {
            card.scene.id: (*card.editor.typed(), card.editor.revision)
            for card in self.cards.values()
            if card.has_unsaved_edit and card.scene is not None and card.editor is not None
        }
        self.story = None
        self._column.clear()
        self.cards = {}
        for card in self._unplaced.values():
            card.deleteLater()
        self._unplaced = {}
        self._placing = set()
        self._uploads = {}
        self._progress = {}

    def _defer(self, event: Callable[[], None]) -> bool:
        """While a story loads, its live events wait and are replayed on top of what the database said."""
        if self.story is None and self._loading_id is not None:
            self._replay.append(event)
            return True
        return False

    # --- the services' signals ---

    def on_story_changed(self, story: Story) -> None:
        if self.story_id != story.id or self._defer(partial(self.on_story_changed, story)):
            return
        self.story = story
        self.header.show_story(story)
        self.refresh_own_providers()
        if not story.status.is_running:
            self._drop_unwritten()
        for card in self.cards.values():
            card.set_story_running(story.status.is_running)
        self._update_progress()

    def _drop_unwritten(self) -> None:
        """A story that stopped (cancelled, failed) leaves no card for a scene it did not store: its streamed
        words were never kept, and the card would go on saying "Writing…". Resume writes the scene again."""
        for index, card in list(self.cards.items()):
            if card.scene is None:
                del self.cards[index]
                self._column.remove(card)
        for card in self._unplaced.values():
            card.deleteLater()
        self._unplaced = {}
        self._placing = set()

    def on_story_progress(self, story_id: uuid.UUID, line: str) -> None:
        if self.story is not None and self.story.id == story_id:
            self.header.show_activity(line if self.is_generating else "")

    def on_scene_text(self, story_id: uuid.UUID, index: int, text: str) -> None:
        if self.story_id != story_id or self._defer(partial(self.on_scene_text, story_id, index, text)):
            return
        # No progress line to redo: it counts saved scenes, uploads and painting, none of which streamed text moves.
        card = self.cards.get(index)
        if card is None and not self.is_generating:
            return  # the last words of a scene the story stopped writing: they are not kept
        if card is None:
            # A new scene's card (usually made ahead, see _prepare_next) is placed on a later turn of the loop:
            # making it, then styling and laying it out, are separate short waits for the loop (2 ms each) instead
            # of one long one. (A 0 ms single shot would run in this turn, with the events this one posts.)
            card = self._unplaced.get(index)
            if card is None:
                card = self._unplaced[index] = self._new_card(index)
            if index not in self._placing:
                self._placing.add(index)
                QTimer.singleShot(1, partial(self._place_unplaced, index, self._generation))
        card.set_streaming_text(text)

    def on_scene_saved(self, scene: Scene) -> None:
        if self.story_id != scene.story_id or self._defer(partial(self.on_scene_saved, scene)):
            return
        self._apply_scene(scene)
        self._update_progress()

    def on_scene_image(self, scene: Scene) -> None:
        self.on_scene_saved(scene)

    def on_image_progress(self, scene_id: uuid.UUID, fraction: float) -> None:
        card = self.card_of(scene_id)
        if card is not None:
            card.show_paint_progress(fraction)

    def on_upload_changed(self, upload: Upload) -> None:
        if self.story_id != upload.story_id or self._defer(partial(self.on_upload_changed, upload)):
            return
        shown = newest_upload(self._uploads.get(upload.scene_id), upload)
        self._uploads[upload.scene_id] = shown
        card = self.card_of(upload.scene_id)  # by the scene, not its number: a scene moved keeps its uploads
        if card is not None and shown.id == upload.id:
            card.set_upload(upload, *self._progress.get(upload.id, (0, 0)))
            self._show_image(card)
        self._update_progress()

    def on_upload_progress(self, upload_id: uuid.UUID, done: int, total: int) -> None:
        self._progress[upload_id] = (done, total)
        for card in self.cards.values():
            if card.upload is not None and card.upload.id == upload_id:
                card.set_upload_progress(done, total)

    # --- the scenes arranged: inserted, moved, deleted, restored ---

    def on_scenes_arranged(self, story_id: uuid.UUID, scenes: list[Scene]) -> None:
        """The story's scenes in their new order. Cards are kept by their scene (an open editor, its unsaved words,
        the thumbnail and the upload stay), take their new places, and the focus stays on its card or, when that
        scene left, goes to the one now in its place."""
        if self.story_id != story_id or self._defer(partial(self.on_scenes_arranged, story_id, scenes)):
            return
        focused = self._card_holding(QApplication.focusWidget())
        known = {card.scene.id: card for card in self.cards.values() if card.scene is not None}
        arranged: dict[int, SceneCard] = {}
        made: list[SceneCard] = []
        for place, scene in enumerate(scenes):
            card = known.pop(scene.id, None)
            if card is None:
                card = self._new_card(place)
                made.append(card)
            card.set_index(place)
            arranged[place] = card
        for gone in known.values():  # its typed words come back with it if Undo restores it
            if gone.has_unsaved_edit and gone.editor is not None and gone.scene is not None:
                self._kept_edits[gone.scene.id] = (*gone.editor.typed(), gone.editor.revision)
        self.cards = arranged
        self._column.set_order([arranged[place] for place in sorted(arranged)])
        for scene in scenes:
            self._apply_scene(scene)
        for card in made:
            kept = self._kept_edits.pop(card.scene.id, None) if card.scene is not None else None
            if kept is not None:
                card.restore_edit(kept[0], kept[1], revision=kept[2])
        if focused is not None and focused not in arranged.values() and arranged:
            focused = arranged[min(focused.index, len(arranged) - 1)]
            focused.setFocus(Qt.FocusReason.OtherFocusReason)
        wanted, self._new_card_wanted = self._new_card_wanted, None
        if made and wanted is not None:
            wanted(made[0])
        elif made:  # restored (Undo, the Trash): the writer sees where it came back
            self.reveal(made[0])
        elif focused is not None:
            self.reveal(focused)
        if self.find_bar.isVisible():
            self._find(self.find_bar.edit.text())  # the matches' places moved with their scenes
        self._update_progress()
        self.commands_changed.emit()

    def _read_order(self) -> None:
        """Read the story's scenes again and arrange the cards by them (a move made in another window)."""
        story_id, session = self.story_id, self._session
        if self._order_due or story_id is None or session is None:
            return
        self._order_due = True
        self._runtime.tasks.start(self._arrange_as_stored(session, story_id, self._generation), "Showing the scenes")

    async def _arrange_as_stored(self, session: Session, story_id: uuid.UUID, generation: int) -> None:
        try:
            opened = await session.stories.open(story_id)
        finally:
            self._order_due = False
        if opened is not None and generation == self._generation:
            self.on_scenes_arranged(story_id, opened.scenes)

    def expect_new_card(self, then: Callable[[SceneCard], None] | None) -> None:
        """What to do with the card the next arrangement makes (a command's new scene); None: nothing."""
        self._new_card_wanted = then

    def _dropped(self, data: bytes, gap: int) -> None:
        """A card dropped in the gap above the `gap`-th card: its place among the others."""
        try:
            scene_id = uuid.UUID(bytes=data)
        except ValueError:
            return
        card = self.card_of(scene_id)
        if card is not None:
            self.commands.move_to(scene_id, gap - 1 if gap > card.index else gap)

    def _card_holding(self, widget: QWidget | None) -> SceneCard | None:
        while widget is not None:
            if isinstance(widget, SceneCard) and self.cards.get(widget.index) is widget:
                return widget
            widget = widget.parentWidget()
        return None

    def holds_focus(self, card: SceneCard) -> bool:
        return self._card_holding(QApplication.focusWidget()) is card

    def current_card(self) -> SceneCard | None:
        """The scene the writer is at: the card with the focus (or holding it), else the first card in view."""
        focused = self._card_holding(QApplication.focusWidget())
        if focused is not None:
            return focused
        top = self.scroll_area.verticalScrollBar().value()
        for index in sorted(self.cards):
            card = self.cards[index]
            if card.scene is not None and card.geometry().bottom() + self._column.y() > top:
                return card
        return None

    @property
    def scenes_idle(self) -> bool:
        """The story's scenes may be arranged now: it is not being written, no scene of it is being worked on."""
        story = self.story
        return story is not None and not story.status.is_running and not any(c.busy_text for c in self.cards.values())

    @property
    def can_continue(self) -> bool:
        """Story → Continue: the story is free to change and has room for another scene."""
        return self.scenes_idle and self.story is not None and self.story.scene_count < SCENES_MAX

    def can(self, command: SceneCommand, card: SceneCard | None = None) -> bool:
        """Whether `command` makes sense now on `card` (or the scene the writer is at)."""
        card = card or self.current_card()
        if card is None or card.scene is None or self._session is None:
            return False
        if command is SceneCommand.history:
            return True
        return self.scenes_idle and command.allowed(card.index, len(self.cards))

    def reveal(self, card: SceneCard) -> None:
        """Scroll to `card` once the column has its new height."""

        def show() -> None:
            if self.cards.get(card.index) is card:
                self.scroll_area.ensureWidgetVisible(card, 0, 40)

        QTimer.singleShot(0, card, show)

    # --- cards ---

    def _card(self, index: int) -> SceneCard:
        card = self.cards.get(index)
        if card is None:
            card = self._unplaced.pop(index, None) or self._new_card(index)
            self._place(card)
        return card

    def _place_unplaced(self, index: int, generation: int) -> None:
        if generation != self._generation:
            return
        self._placing.discard(index)
        card = self._unplaced.pop(index, None)
        if card is not None:
            self._place(card)
            QTimer.singleShot(PREPARE_AFTER_MS, partial(self._prepare_next, index + 1, generation))

    def _prepare_next(self, index: int, generation: int) -> None:
        """Make the next scene's card while this one is written, on a turn of the loop of its own."""
        story = self.story
        if generation != self._generation or story is None or not story.status.is_running:
            return
        if index < story.scene_count and index not in self.cards and index not in self._unplaced:
            card = self._unplaced[index] = self._new_card(index)
            QTimer.singleShot(1, card, card.ensurePolished)  # styled on a turn of its own too

    def _new_card(self, index: int) -> SceneCard:
        card = SceneCard(index, self._column)  # hidden until placed
        card.open_image.connect(self.image_requested)
        card.edit_saved.connect(self._edit)
        card.regenerate_text.connect(self._regenerate_text)
        card.regenerate_image.connect(self._regenerate_image)
        card.retry_upload.connect(self._retry_upload)
        card.menu_opening.connect(partial(self.commands.fill_menu, card))
        return card

    def _place(self, card: SceneCard) -> None:
        card.set_story_running(self.is_generating)  # a card made ahead may have waited while the story changed
        position = sum(1 for known in self.cards if known < card.index)
        self._column.insert(position, card)
        self.cards[card.index] = card

    def _apply_scene(self, scene: Scene) -> None:
        if scene.deleted_at is not None:  # in the trash: `on_scenes_arranged` takes its card away
            if self.card_of(scene.id) is not None:
                self._read_order()  # deleted in another window or device, whose arrangement is not heard here
            return
        card = self.card_of(scene.id)
        if card is None:
            there = self.cards.get(scene.index)
            if there is not None and there.scene is not None:  # another scene's place: the order changed elsewhere
                self._read_order()
                return
            card = self._card(scene.index)
        elif card.index != scene.index and card.scene is not None and not older(scene, card.scene):
            self._read_order()  # moved by another window or device: its scenes_arranged is not heard here
        card.set_scene(scene)
        upload = self._uploads.get(scene.id)
        if upload is not None and card.upload is None:
            card.set_upload(upload, *self._progress.get(upload.id, (0, 0)))
        self._show_image(card)

    def _show_image(self, card: SceneCard) -> None:
        """Load the card's thumbnail when its image is new, or a placeholder still stands in for it."""
        path = card.image_file
        if path and (path != card.requested_image or card.placeholder_text is not None):
            card.requested_image = path
            self._runtime.tasks.start(self._load_thumbnail(card, path), "Showing a thumbnail")

    async def _load_thumbnail(self, card: SceneCard, path: str) -> None:
        ratio = max(1.0, self.devicePixelRatioF())
        size = QSize(round(THUMB_SIZE.width() * ratio), round(THUMB_SIZE.height() * ratio))
        image = await self._thumbnails.thumbnail(path, size, path)
        if image is not None:
            image.setDevicePixelRatio(ratio)
        if card.image_file == path and self.cards.get(card.index) is card:
            card.set_thumbnail(image)

    def _update_progress(self) -> None:
        story = self.story
        if story is None:
            return
        written = sum(1 for card in self.cards.values() if card.scene is not None)
        statuses = [
            self._uploads[card.scene.id].status
            for card in self.cards.values()
            if card.scene and card.scene.id in self._uploads
        ]
        painting = sum(
            1
            for card in self.cards.values()
            if card.scene is not None and card.scene.image_status is ImageStatus.painting
        )
        self.header.show_progress(
            written,
            story.scene_count,
            statuses.count(UploadStatus.uploaded),
            statuses.count(UploadStatus.failed),
            painting,
        )

    @property
    def has_images(self) -> bool:
        return any(card.has_image for card in self.cards.values())

    def viewer_entries(self) -> list[ViewerEntry]:
        entries = []
        for index in sorted(self.cards):
            card = self.cards[index]
            if card.has_image and card.scene is not None:
                upload = self._uploads.get(card.scene.id)
                uploaded = upload if upload is not None and upload.status is UploadStatus.uploaded else None
                session = self._session
                fresh = partial(session.uploads.fresh_url, uploaded) if session is not None and uploaded else None
                entries.append(ViewerEntry(card.scene, uploaded.url if uploaded else "", fresh))
        return entries

    # --- find in the story ---

    def start_find(self) -> None:
        """Ctrl+F on the story page: the find bar, with what was last looked for selected."""
        if self.story is not None:
            self.find_bar.open_bar()
            self._find(self.find_bar.edit.text())

    def find_words(self, words: str) -> None:
        """Find `words` at once (a story opened from a library search): the first match shown and highlighted. When
        they are only in the title, the bar does not stay open to say "No match"."""
        if self.story is None:
            return
        self.find_bar.open_bar()
        if self.find_bar.edit.text() == words:
            self._find(words)
        else:
            self.find_bar.edit.setText(words)  # searched: _find runs
        if not self._matches:
            self.find_bar.hide()

    def _find(self, words: str) -> None:
        """Every place the words appear in a scene's text (any case), in reading order; the first shown."""
        wanted = words.strip().casefold()
        self._matches = []
        for index, card in sorted(self.cards.items()):
            card.clear_selection()
            if not wanted:
                continue
            shown = card.shown_text.casefold()
            start = shown.find(wanted)
            while start != -1:
                self._matches.append(Match(index, start, start + len(wanted)))
                start = shown.find(wanted, start + len(wanted))
        self._match = -1
        self._step_match(+1)

    def _step_match(self, step: int) -> None:
        if not self._matches:
            self.find_bar.show_count(0, 0)
            return
        if 0 <= self._match < len(self._matches):
            shown = self._matches[self._match]
            if (card := self.cards.get(shown.scene_index)) is not None:
                card.clear_selection()
        self._match = (self._match + step) % len(self._matches)
        match = self._matches[self._match]
        card = self.cards.get(match.scene_index)
        if card is not None:
            card.select(match.start, match.end)
            line = card.mapTo(self._cards_widget, QPoint(0, int(card.text_top_of(match.start))))
            self.scroll_area.ensureVisible(line.x(), line.y(), 0, 80)
        self.find_bar.show_count(self._match + 1, len(self._matches))

    def _end_find(self) -> None:
        """Closed: the highlight goes and the writer is at the scene of the match they stopped on."""
        shown = self._matches[self._match] if 0 <= self._match < len(self._matches) else None
        for each in self.cards.values():
            each.clear_selection()
        self._matches, self._match = [], -1
        card = self.cards.get(shown.scene_index) if shown is not None else None
        if shown is not None and card is not None:
            card.setFocus(Qt.FocusReason.OtherFocusReason)
            card.select(shown.start, shown.end)  # still selected, ready to copy with Ctrl+C

    def story_text(self) -> str:
        """The open story as plain text (title, what it is about, each scene): what Copy story puts on the clipboard.
        "" while no story is open."""
        from desktop.export import book_from_story, book_text  # first needed here, not when the window opens

        if self.story is None:
            return ""
        scenes = [card.scene for _, card in sorted(self.cards.items()) if card.scene is not None]
        return book_text(book_from_story(self.story, scenes))

    def copy_story(self) -> None:
        if text := self.story_text():
            QGuiApplication.clipboard().setText(text)

    # --- actions ---

    @property
    def is_generating(self) -> bool:
        return self.story is not None and self.story.status.is_running

    def cancel_generation(self) -> None:
        if self.story is not None and self._session is not None and self.is_generating:
            self.header.cancel_button.setEnabled(False)
            self.header.progress_label.setText("Cancelling — finished scenes are kept…")
            self._runtime.tasks.start(self._session.stories.cancel_anywhere(self.story.id), "Cancelling the story")

    def resume(self) -> None:
        if self.story is not None and self._session is not None:
            self._runtime.tasks.start(self._session.stories.resume(self.story.id), "Resuming the story")

    def refresh_own_providers(self) -> None:
        """The line saying the story keeps its own providers: after the story or the settings changed."""
        if self.story is not None and self._session is not None:
            self.header.show_own_providers(not self._session.stories.follows_settings(self.story))

    def use_settings_providers(self) -> None:
        if self.story is not None and self._session is not None:
            self._runtime.tasks.start(
                self._session.stories.use_settings_providers(self.story.id),
                "Moving the story to the providers in Settings",
            )

    def retry_failed_uploads(self) -> None:
        if self.story is not None and self._session is not None:
            self._runtime.tasks.start(self._session.uploads.retry_story(self.story.id), "Retrying this story's uploads")

    def _retry_upload(self, upload_id: uuid.UUID) -> None:
        if self._session is not None:
            self._runtime.tasks.start(self._session.uploads.retry(upload_id), "Retrying the upload")

    def _edit(self, scene_id: uuid.UUID, title: str, text: str, revision: int) -> None:
        task = self._runtime.tasks.start(self._save_edit(scene_id, title, text, revision), "Saving the scene")
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)

    async def _save_edit(self, scene_id: uuid.UUID, title: str, text: str, revision: int) -> bool:
        """Store the writer's words over `revision`; False when another device changed the scene meanwhile (the
        writer then chooses which version to keep)."""
        try:
            await self._run_on_card(
                scene_id, "Saving…", lambda service: service.edit_scene(scene_id, title, text, revision=revision)
            )
        except EditConflict as conflict:
            if not self._show_conflict(scene_id, conflict):
                raise  # no card to choose on: the writer is told, rather than the words going quietly
            return False
        except Exception:
            card = self.card_of(scene_id)
            if card is not None:  # the writer's words go back into the editor, never lost with the failed save
                card.restore_edit(title, text, "Not saved — press Save to try again.", revision)
            raise
        return True

    def _show_conflict(self, scene_id: uuid.UUID, conflict: EditConflict) -> bool:
        card = self.card_of(scene_id)
        if card is None:
            return False
        card.show_conflict(conflict.current, conflict.title, conflict.text, conflict.based_on)
        return True

    # --- leaving ---

    def leave_edits(self, proceed: Callable[[], None], stay: Callable[[], None] = lambda: None) -> None:
        """Before the story is left (another story, a new one, quitting): each unsaved edit is asked about in turn.

        `proceed` runs once every edit is settled and every save is stored; `stay` when the writer keeps editing
        or a save failed (its notice says why, and the text is still on screen to save again). A save that met a
        newer version from another device waits for the writer's choice in its conflict view.
        """
        card = next((card for _, card in sorted(self.cards.items()) if card.has_unsaved_edit), None)
        if card is not None:
            card.leave_editing(lambda: self.leave_edits(proceed, stay), stay)
        elif self._saving:
            self._runtime.tasks.start(self._after_saves(proceed, stay), "Saving the scene")
        else:
            proceed()

    async def _after_saves(self, proceed: Callable[[], None], stay: Callable[[], None]) -> None:
        saves = set(self._saving)
        await asyncio.wait(saves)
        if any(save.cancelled() or save.exception() is not None for save in saves):
            stay()
        elif all(save.result() for save in saves):
            proceed()
        else:  # another device changed a scene meanwhile: leaving waits for the writer's choice in its conflict view
            self.leave_edits(proceed, stay)

    def _regenerate_text(self, scene_id: uuid.UUID) -> None:
        self._runtime.tasks.start(self._rewrite(scene_id), "Writing the scene again")

    async def _rewrite(self, scene_id: uuid.UUID) -> None:
        try:
            await self._run_on_card(scene_id, "Rewriting…", lambda service: service.regenerate_text(scene_id))
        except EditConflict as conflict:  # edited on another device while it was written: the writer chooses
            self._show_conflict(scene_id, conflict)

    def _regenerate_image(self, scene_id: uuid.UUID) -> None:
        self.repaint_scene(scene_id, same_seed=False)

    def repaint_scene(self, scene_id: uuid.UUID, *, same_seed: bool) -> None:
        """Paint the scene again, with the seed its picture had (after a new look, say) or a new one."""
        self._runtime.tasks.start(
            self._run_on_card(
                scene_id, "Repainting…", lambda service: service.regenerate_image(scene_id, same_seed=same_seed)
            ),
            "Painting the scene again",
        )

    @property
    def thumbnails(self) -> ThumbnailLoader:
        return self._thumbnails

    def card_of(self, scene_id: uuid.UUID) -> SceneCard | None:
        return next(
            (card for card in self.cards.values() if card.scene is not None and card.scene.id == scene_id), None
        )

    async def _run_on_card(
        self, scene_id: uuid.UUID, busy: str, work: Callable[[StoryService], Coroutine[Any, Any, Scene]]
    ) -> None:
        card = self.card_of(scene_id)
        if self._session is None or card is None:
            return
        card.set_busy(busy)
        self.commands_changed.emit()
        try:
            scene = await work(self._session.stories)
        except BaseException:
            if card.scene is not None:
                card.set_scene(card.scene)  # show what is stored, not what failed to save
            raise
        finally:
            card.set_busy("")
            self.commands_changed.emit()
        if self.card_of(scene.id) is card:
            self._apply_scene(scene)
            self._update_progress()
