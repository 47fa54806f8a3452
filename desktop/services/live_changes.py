"""Live refresh: what other Storyforge processes change reaches this one through its own services' signals.

A `storyforge generate` run from a script, a retry from the CLI, later another device on the same database: the
database announces each change (desktop/db/changes.py), and the service that owns that kind of row loads it and
emits it exactly as if this process had made it. The window needs nothing of its own to follow them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from PySide6.QtCore import QObject, Signal

from desktop.db.address import DatabaseAddress
from desktop.db.changes import Change, ChangeListener, NoSessionUrl, Op, Table
from desktop.services.story_service import StoryService
from desktop.services.upload_manager import UploadManager

log = logging.getLogger(__name__)


class LiveChanges(QObject):
    # The connection was lost for a while: anything shown may be out of date, so pages reload what they show.
    reload_needed = Signal()

    def __init__(
        self,
        address: DatabaseAddress,
        stories: StoryService,
        uploads: UploadManager,
        reconnect: Callable[[], Awaitable[None]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._stories = stories
        self._uploads = uploads
        self._listener = ChangeListener(address, self._show, self._missed, reconnect)
        self.off_reason = ""  # why live refresh is off, in the writer's words ("" while it works)

    @property
    def listening(self) -> bool:
        return self._listener.listening

    async def start(self) -> bool:
        """Listen for other instances' changes; False (and `off_reason`) when no connection can keep a session."""
        try:
            await self._listener.start()
        except NoSessionUrl:
            self.off_reason = (
                "the database URL is a transaction-mode pooler's and no session URL is set — add one "
                "in Settings → Database"
            )
        except (asyncpg.PostgresError, OSError, TimeoutError) as exc:
            self.off_reason = "its connection cannot be made — check the session URL in Settings → Database"
            log.warning("cannot listen for changes: %s", exc)
        if self.off_reason:
            log.warning("live refresh is off: %s", self.off_reason)
        return not self.off_reason

    async def shutdown(self) -> None:
        await self._listener.stop()

    async def _show(self, changes: list[Change]) -> None:
        story_ids: set[uuid.UUID] = set()
        scene_ids: set[uuid.UUID] = set()
        upload_ids: set[uuid.UUID] = set()
        for change in changes:
            if change.op is Op.delete and change.table is not Table.stories:
                continue  # rows go only when the trash is emptied: a purged story leaves the views, the rest was hidden
            if change.op is Op.cancel:  # another window asks the process writing this story to stop
                self._stories.cancel(change.id)
                continue
            match change.table:
                case Table.stories:
                    story_ids.add(change.id)
                case Table.scenes:
                    scene_ids.add(change.id)
                case Table.uploads:
                    upload_ids.add(change.id)
        log.debug("showing %d change(s) made by other processes", len(changes))
        await self._stories.show_changes_from_elsewhere(story_ids, scene_ids)
        await self._uploads.show_changes_from_elsewhere(upload_ids)

    async def _missed(self) -> None:
        self.reload_needed.emit()
