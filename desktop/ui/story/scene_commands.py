"""The scene commands — insert a written or blank scene, move one, delete one, open its History — on the scene the
writer is at, from the window's Scene menu and keys, a card's context menu, or a card dropped in another place.

Each runs through the arranging service; what it changes comes back on `scenes_arranged`, which the story page
follows like any change (another window's, an Undo's). Here only what the writer expects around it: a blank scene
opens for typing, a written one says it is being written, a moved card keeps the focus, a deleted one says how to
get it back.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu

from desktop.models import SCENES_MAX
from desktop.ui.story.asked_dialog import show_what_was_asked

if TYPE_CHECKING:
    from desktop.services.session import Session
    from desktop.ui.story.candidates_dialog import CandidatesDialog
    from desktop.ui.story.scene_card import SceneCard
    from desktop.ui.story.story_view import StoryView

StartTask = Callable[[Coroutine[Any, Any, Any], str], object]
WRITING = "Writing…"


class SceneCommand(enum.Enum):
    insert_written_before = "Insert a written scene before"
    insert_written_after = "Insert a written scene after"
    insert_blank_before = "Insert a blank scene before"
    insert_blank_after = "Insert a blank scene after"
    move_up = "Move scene up"
    move_down = "Move scene down"
    more_images = "More images…"
    repaint_same_seed = "Repaint with the same seed"
    repaint_new_seed = "Repaint with a new seed"
    history = "Scene history…"
    delete = "Delete scene"

    @property
    def inserts(self) -> bool:
        return self in _INSERTS

    def allowed(self, index: int, count: int) -> bool:
        """Whether it makes sense for the scene at `index` of `count` (the story being free to change)."""
        match self:
            case SceneCommand.move_up:
                return index > 0
            case SceneCommand.move_down:
                return index < count - 1
            case SceneCommand.delete:
                return count > 1  # a story keeps one scene; deleting the story is the Story menu's
            case (
                SceneCommand.history
                | SceneCommand.more_images
                | SceneCommand.repaint_same_seed
                | SceneCommand.repaint_new_seed
            ):
                return True
            case _:
                return count < SCENES_MAX


_INSERTS = {
    SceneCommand.insert_written_before,
    SceneCommand.insert_written_after,
    SceneCommand.insert_blank_before,
    SceneCommand.insert_blank_after,
}
_AFTER = {SceneCommand.insert_written_after, SceneCommand.insert_blank_after}
_WRITTEN = {SceneCommand.insert_written_before, SceneCommand.insert_written_after}
# The context menu's groups, separated by a line.
MENU_GROUPS = (
    (
        SceneCommand.insert_written_before,
        SceneCommand.insert_written_after,
        SceneCommand.insert_blank_before,
        SceneCommand.insert_blank_after,
    ),
    (SceneCommand.move_up, SceneCommand.move_down),
    # The card's own menu has Regenerate image, which is Repaint with a new seed.
    (SceneCommand.more_images, SceneCommand.repaint_same_seed),
    (SceneCommand.history, SceneCommand.delete),
)


class SceneCommands(QObject):
    """Runs the commands for a StoryView, one at a time and in the order given (a held Alt+Down moves the scene
    step by step, each step from where the last one left it)."""

    status_line = Signal(str)  # one line for the status bar ("Scene 3 moved to the trash — …")
    history_requested = Signal(object)  # scene id
    finished = Signal()  # a command ended: which commands make sense may have changed

    def __init__(self, view: StoryView, start_task: StartTask) -> None:
        super().__init__(view)
        self._view = view
        self._start_task = start_task
        self._turn = asyncio.Lock()
        self.candidates: CandidatesDialog | None = None  # the last More images window (tests look at it)

    def run(self, command: SceneCommand, card: SceneCard | None = None) -> None:
        """On `card`, or the scene the writer is at."""
        view = self._view
        card = card or view.current_card()
        session, scene = view.session, card.scene if card is not None else None
        if card is None or scene is None or session is None or not view.can(command, card):
            return
        if command is SceneCommand.history:
            self.history_requested.emit(scene.id)
        elif command is SceneCommand.more_images:
            self._start_task(self._more_images(session, card), "Painting more pictures")
        elif command in (SceneCommand.repaint_same_seed, SceneCommand.repaint_new_seed):
            view.repaint_scene(scene.id, same_seed=command is SceneCommand.repaint_same_seed)
        elif command.inserts:
            written = command in _WRITTEN
            title = "Writing a new scene" if written else "Inserting a blank scene"
            self._start_task(self._insert(session, card, command in _AFTER, written), title)
        elif command is SceneCommand.delete:
            self._start_task(self._delete(session, card), "Deleting the scene")
        else:
            step = +1 if command is SceneCommand.move_down else -1
            self._start_task(self._move(session, card, step), "Moving the scene")

    def move_to(self, scene_id: uuid.UUID, place: int) -> None:
        """A card dropped at `place` (among the other scenes)."""
        card, session = self._view.card_of(scene_id), self._view.session
        if card is not None and session is not None and self._view.scenes_idle:
            self._start_task(self._move_to(session, card, lambda: place), "Moving the scene")

    def fill_menu(self, card: SceneCard, menu: QMenu) -> None:
        """A card's context menu: the commands on that card."""
        if card.scene is None or self._view.story is None:
            return
        for group in MENU_GROUPS:
            menu.addSeparator()
            for command in group:
                action = menu.addAction(command.value)
                action.setEnabled(self._view.can(command, card))
                action.triggered.connect(lambda _=False, command=command: self.run(command, card))
        menu.addSeparator()
        asked = menu.addAction("What was asked…")  # the image prompt its picture was painted from
        asked.triggered.connect(lambda: card.scene is not None and show_what_was_asked(card.scene, card.window()))

    # --- the commands ---

    async def _more_images(self, session: Session, card: SceneCard) -> None:
        from desktop.ui.story.candidates_dialog import CandidatesDialog  # first needed here, not at start

        scene = card.scene
        if scene is None:
            return
        count = session.stories.candidates_wanted
        card.set_busy(f"Painting {count} pictures…")
        self.finished.emit()
        try:
            candidates = await session.stories.paint_candidates(scene.id)
        finally:
            card.set_busy("")
            self.finished.emit()
        self.candidates = CandidatesDialog(
            card.scene or scene, candidates, session, self._view.thumbnails, self._start_task, card.window()
        )
        self.candidates.destroyed.connect(lambda _=None: setattr(self, "candidates", None))
        self.candidates.show()

    async def _insert(self, session: Session, card: SceneCard, after: bool, written: bool) -> None:
        story = self._view.story
        if story is None:
            return
        made: list[SceneCard] = []

        def arrived(new: SceneCard) -> None:
            made.append(new)
            self._view.reveal(new)
            if written:
                new.set_busy(WRITING)
                new.setFocus()
            else:
                new.start_editing()  # the writer types at once

        async with self._turn:
            self._view.expect_new_card(arrived)
            try:
                await session.scene_order.insert(story.id, card.index + (1 if after else 0), written=written)
            finally:
                self._view.expect_new_card(None)
                for new in made:
                    if new.busy_text == WRITING:
                        new.set_busy("")
                self.finished.emit()

    async def _move(self, session: Session, card: SceneCard, step: int) -> None:
        await self._move_to(session, card, lambda: card.index + step)

    async def _move_to(self, session: Session, card: SceneCard, place: Callable[[], int]) -> None:
        async with self._turn:
            scene = card.scene
            if scene is None:
                return
            had_focus = self._view.holds_focus(card)
            try:
                await session.scene_order.move(scene.id, place())  # the place as it is once the turn comes
            finally:
                self.finished.emit()
            if not had_focus:
                card.setFocus()
            self._view.reveal(card)

    async def _delete(self, session: Session, card: SceneCard) -> None:
        async with self._turn:
            scene = card.scene
            if scene is None:
                return
            number = card.index + 1
            try:
                await session.scene_order.delete(scene.id)
            finally:
                self.finished.emit()
            self.status_line.emit(f"Scene {number} moved to the trash — Ctrl+Z brings it back")
