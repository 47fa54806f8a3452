"""The app once its database is ready: repositories and services as plain attributes, never None."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from PySide6.QtCore import QObject

from desktop.config import Settings
from desktop.db.address import DatabaseAddress
from desktop.db.repositories import SceneRepository, StoryRepository
from desktop.qt.aio import TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.services.live_changes import LiveChanges
from desktop.services.story_exports import StoryExports
from desktop.services.story_service import StoryService
from desktop.services.upload_manager import UploadManager


@dataclass(frozen=True)
class Session:
    """Made by `Runtime.start_database` once the database is reached and migrated, and handed to the pages.

    The repositories (`story_rows`, `scene_rows`) are for the services, the CLI and the self-test; the UI asks the
    services (`stories`, `uploads`, `live`, `exports`) only.
    """

    address: DatabaseAddress
    pool: asyncpg.Pool
    story_rows: StoryRepository
    scene_rows: SceneRepository
    stories: StoryService
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
        story_rows, scene_rows = StoryRepository(pool), SceneRepository(pool)
        uploads = UploadManager(settings=settings, pool=pool, executor=executor, tasks=tasks, parent=parent)
        stories = StoryService(
            settings=settings, stories=story_rows, scenes=scene_rows, executor=executor, uploads=uploads, parent=parent
        )
        live = LiveChanges(address, stories, uploads, restart_database, parent=parent)
        exports = StoryExports(stories, executor)
        return cls(address, pool, story_rows, scene_rows, stories, uploads, live, exports)

    async def start(self) -> None:
        await self.stories.recover()
        await self.uploads.start()
        await self.live.start()

    async def shutdown(self) -> None:
        # Live refresh stops first on quit, then generation; uploads last, since they may still be finishing.
        await self.live.shutdown()
        await self.stories.shutdown()
        await self.uploads.shutdown()
