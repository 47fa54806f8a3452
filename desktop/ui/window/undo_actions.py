"""Edit → Undo and Redo on the story on screen. Their texts say what they would do ("Undo move scene"), read from the
story's history whenever it changes; the line the service returns ("Undid move scene.") shows in the status bar.

A text field with the focus keeps Ctrl+Z for its own typing: Qt lets an editor claim its standard keys before the
window's shortcuts see them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

if TYPE_CHECKING:
    from desktop.services.scene_history import UndoState
    from desktop.services.session import Session

StartTask = Callable[[Coroutine[Any, Any, Any], str], object]


class UndoActions(QObject):
    def __init__(
        self, undo: QAction, redo: QAction, start_task: StartTask, show_line: Callable[[str], None], parent: QObject
    ) -> None:
        super().__init__(parent)
        self._undo, self._redo = undo, redo
        self._start_task = start_task
        self._show_line = show_line
        self._session: Session | None = None
        self._story_id: uuid.UUID | None = None
        self._free = False  # the story may change now (it is not being written)
        self._state: UndoState | None = None
        self._turn = asyncio.Lock()  # Ctrl+Z pressed twice quickly undoes two changes, one after the other
        undo.triggered.connect(lambda: self._step(undo=True))
        redo.triggered.connect(lambda: self._step(undo=False))
        self._show()

    def set_session(self, session: Session) -> None:
        self._session = session
        session.stories.undo_changed.connect(self._changed)
        self._read()

    def follow(self, story_id: uuid.UUID | None, free: bool) -> None:
        """The story on screen (None: none), and whether it may change now."""
        self._free = free
        if story_id != self._story_id:
            self._story_id, self._state = story_id, None
            self._read()
        self._show()

    def _changed(self, story_id: uuid.UUID) -> None:
        if story_id == self._story_id:
            self._read()

    def _read(self) -> None:
        if self._session is not None and self._story_id is not None:
            self._start_task(self._read_state(self._session, self._story_id), "Reading what Undo would do")

    async def _read_state(self, session: Session, story_id: uuid.UUID) -> None:
        state = await session.history.state(story_id)
        if story_id == self._story_id:
            self._state = state
            self._show()

    def _show(self) -> None:
        state = self._state
        undo = state.undo if state is not None else None
        redo = state.redo if state is not None else None
        self._undo.setText(f"&{undo}" if undo else "&Undo")
        self._redo.setText(f"&{redo}" if redo else "&Redo")
        self._undo.setEnabled(self._free and undo is not None)
        self._redo.setEnabled(self._free and redo is not None)

    def _step(self, *, undo: bool) -> None:
        session, story_id = self._session, self._story_id
        if session is not None and story_id is not None:
            self._start_task(self._run(session, story_id, undo), "Undoing" if undo else "Redoing")

    async def _run(self, session: Session, story_id: uuid.UUID, undo: bool) -> None:
        async with self._turn:
            line = await (session.history.undo if undo else session.history.redo)(story_id)
        if line:
            self._show_line(line)
