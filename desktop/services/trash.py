"""The trash: a deleted story or scene waits here until the writer restores it, empties the trash, or it has been
here 30 days (purged at start). Purging deletes its image files on this computer and hands its objects in storage
to the deletions' outbox (StorageRemovals)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, Signal

from desktop.db.repositories import TrashRepository
from desktop.db.repositories.trash import Purged
from desktop.models import Scene, Story, TrashedScene, TrashedStory, utc_now
from desktop.qt.executor import QThreadPoolExecutor
from desktop.services.scene_order import SceneOrder
from desktop.services.storage_removals import StorageRemovals
from desktop.services.story_errors import StoryError
from desktop.services.story_service import StoryService

log = logging.getLogger(__name__)

KEPT_DAYS = 30


@dataclass(frozen=True)
class TrashContents:
    stories: list[TrashedStory]
    scenes: list[TrashedScene]

    @property
    def empty(self) -> bool:
        return not self.stories and not self.scenes


def delete_files(paths: Sequence[str]) -> int:
    """Blocking (run on the executor): the files removed, quietly skipping those already gone."""
    removed = 0
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            try:
                os.unlink(path)
                removed += 1
            except OSError as exc:
                log.warning("could not delete %s: %s", path, exc.strerror or exc)
    return removed


class Trash(QObject):
    changed = Signal()  # something went into the trash, came out of it, or was purged

    def __init__(
        self,
        *,
        stories: StoryService,
        order: SceneOrder,
        repository: TrashRepository,
        removals: StorageRemovals,
        executor: QThreadPoolExecutor,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._stories = stories
        self._order = order
        self._repository = repository
        self._removals = removals
        self._executor = executor

    async def contents(self) -> TrashContents:
        return TrashContents(await self._repository.stories(), await self._repository.scenes())

    async def delete_story(self, story_id: uuid.UUID) -> Story:
        """To the trash. A story being written is not: cancel it first."""
        if self._stories.is_running(story_id):
            raise StoryError("This story is still being written — cancel it first, then delete it.")
        deleted = await self._repository.delete_story(story_id)
        if deleted is None:
            raise StoryError("That story is not in the library any more.")
        self._stories.story_removed.emit(story_id)
        self.changed.emit()
        return deleted

    async def restore_story(self, story_id: uuid.UUID) -> None:
        if not await self._repository.restore_story(story_id):
            raise StoryError("That story is not in the trash any more.")
        await self._stories.announce_story(story_id)
        self.changed.emit()

    async def delete_scene(self, scene_id: uuid.UUID) -> Scene:
        deleted = await self._order.delete(scene_id)
        self.changed.emit()
        return deleted

    async def restore_scene(self, scene_id: uuid.UUID) -> Scene:
        restored = await self._order.restore(scene_id)
        self.changed.emit()
        return restored

    async def empty(self) -> Purged:
        """Everything in the trash, for good."""
        return await self._purge(None)

    async def purge_expired(self) -> Purged:
        """At start: what has been in the trash for 30 days."""
        return await self._purge(utc_now() - timedelta(days=KEPT_DAYS))

    async def _purge(self, deleted_before: datetime | None) -> Purged:
        purged = await self._repository.purge(deleted_before=deleted_before)
        if purged.files:
            await asyncio.wrap_future(self._executor.submit(delete_files, purged.files))
        if purged.stories or purged.scenes:
            log.info("purged %d story(ies) and %d scene(s) from the trash", purged.stories, purged.scenes)
            self.changed.emit()
        self._removals.wake()
        return purged
