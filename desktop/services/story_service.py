"""StoryService: writes a story scene by scene, paints each scene, hands images to the upload queue.

Skeleton: the generation issue fills it in. The signals and method signatures are the contract the window uses.
"""

from __future__ import annotations

import uuid

import asyncpg
from PySide6.QtCore import QObject, Signal

from desktop.config import Settings
from desktop.models import Scene, Story, StoryRequest
from desktop.qt.executor import QThreadPoolExecutor
from desktop.services.upload_manager import UploadManager


class StoryService(QObject):
    story_changed = Signal(object)  # Story: created, status changed, finished
    scene_text = Signal(object, int, str)  # story id, scene index, the text so far while it streams
    scene_saved = Signal(object)  # Scene: its text is complete and stored (also after an edit)
    scene_image = Signal(object)  # Scene: image_status / image_path changed (painting, painted, failed)

    def __init__(
        self,
        *,
        settings: Settings,
        pool: asyncpg.Pool,
        executor: QThreadPoolExecutor,
        uploads: UploadManager,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._pool = pool
        self._executor = executor
        self._uploads = uploads

    async def recover(self) -> list[uuid.UUID]:
        """At start-up: stories left `generating` by a dead app become `interrupted`."""
        return []

    async def generate(self, request: StoryRequest) -> Story:
        raise NotImplementedError

    async def resume(self, story_id: uuid.UUID) -> Story:
        raise NotImplementedError

    def cancel(self, story_id: uuid.UUID) -> None:
        raise NotImplementedError

    async def edit_scene(self, scene_id: uuid.UUID, title: str, text: str) -> Scene:
        raise NotImplementedError

    async def regenerate_text(self, scene_id: uuid.UUID) -> Scene:
        raise NotImplementedError

    async def regenerate_image(self, scene_id: uuid.UUID) -> Scene:
        raise NotImplementedError

    async def shutdown(self) -> None:
        """Cancel running generations; finished scenes stay stored."""
