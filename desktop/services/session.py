"""The app once its database is ready: repositories and services as plain attributes, never None."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from PySide6.QtCore import QObject

from desktop.config import Settings
from desktop.db.address import DatabaseAddress
from desktop.db.repositories import (
    SceneOrderRepository,
    SceneRepository,
    StoryRepository,
    TrashRepository,
    UndoLogRepository,
)
from desktop.qt.aio import TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.services.live_changes import LiveChanges
from desktop.services.scene_history import SceneHistory
from desktop.services.scene_order import SceneOrder
from desktop.services.storage_removals import StorageRemovals
from desktop.services.story_exports import StoryExports
from desktop.services.story_service import StoryService
from desktop.services.trash import Trash
from desktop.services.upload_manager import UploadManager


@dataclass(frozen=True)
class Session:
    """Made by `Runtime.start_database` once the database is reached and migrated, and handed to the pages.

    The repositories (`story_rows`, `scene_rows`) are for the services, the CLI and the self-test; the UI asks the
    services (`stories`, `scene_order`, `history`, `trash`, `uploads`, `live`, `exports`) only.
    """

    address: DatabaseAddress
    pool: asyncpg.Pool
    story_rows: StoryRepository
    scene_rows: SceneRepository
    stories: StoryService
    scene_order: SceneOrder
    history: SceneHistory
    trash: Trash
    removals: StorageRemovals
    uploads: UploadManager
    live: LiveChanges
    exports: StoryExports

    @classmethod
    def open(
        cls,
        *,
        settings: Settings,
        address: DatabaseAddress,
        pool: asyncpg.Pool,
        executor: QThreadPoolExecutor,
        tasks: TaskRunner,
        restart_database: Callable[[], Awaitable[None]],
        parent: QObject,
    ) -> Session:
        story_rows, scene_rows, undo_log = StoryRepository(pool), SceneRepository(pool), UndoLogRepository(pool)
        uploads = UploadManager(settings=settings, pool=pool, executor=executor, tasks=tasks, parent=parent)
        stories = StoryService(
            settings=settings,
            stories=story_rows,
            scenes=scene_rows,
            undo_log=undo_log,
            executor=executor,
            uploads=uploads,
            parent=parent,
        )
        scene_order = SceneOrder(stories, SceneOrderRepository(pool), scene_rows)
        history = SceneHistory(stories, scene_rows, undo_log, scene_order, uploads)
        trash_rows = TrashRepository(pool)
        removals = StorageRemovals(trash_rows, uploads, executor, tasks)
        trash = Trash(
            stories=stories,
            order=scene_order,
            repository=trash_rows,
            removals=removals,
            executor=executor,
            parent=parent,
        )
        live = LiveChanges(address, stories, uploads, restart_database, parent=parent)
        exports = StoryExports(stories, executor)
        return cls(
            address,
            pool,
            story_rows,
            scene_rows,
            stories,
            scene_order,
            history,
            trash,
            removals,
            uploads,
            live,
            exports,
        )

    async def start(self) -> None:
        await self.stories.recover()
        await self.trash.purge_expired()
        await self.removals.start()  # what earlier purges left in storage, removed now
        await self.uploads.start()
        await self.live.start()

    async def shutdown(self) -> None:
        # Live refresh stops first on quit, then generation; uploads last, since they may still be finishing.
        await self.live.shutdown()
        self.removals.stop()
        await self.stories.shutdown()
        await self.uploads.shutdown()
