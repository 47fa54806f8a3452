"""UploadManager: the outbox, run on the executor, with automatic and manual retry.

Skeleton: the uploads issue fills it in. The signals and method signatures are the contract the window uses.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
from PySide6.QtCore import QObject, Signal

from desktop.config import Settings
from desktop.models import Scene, Story, Upload, UploadStatus
from desktop.qt.executor import QThreadPoolExecutor


class UploadManager(QObject):
    upload_changed = Signal(object)  # Upload: every state change (queued, uploading, uploaded, failed, cancelled)
    upload_progress = Signal(object, int, int)  # upload id, bytes sent, bytes total

    def __init__(
        self,
        *,
        settings: Settings,
        pool: asyncpg.Pool,
        executor: QThreadPoolExecutor,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._pool = pool
        self._executor = executor

    async def start(self) -> None:
        """Resume the outbox: rows left `uploading` go back to `queued`, and the queue runs."""

    async def enqueue_scene_image(self, story: Story, scene: Scene, image: Path) -> Upload:
        raise NotImplementedError

    async def uploads(self, *, status: UploadStatus | None = None, story_id: uuid.UUID | None = None) -> list[Upload]:
        raise NotImplementedError

    async def retry(self, upload_id: uuid.UUID) -> None:
        raise NotImplementedError

    async def retry_story(self, story_id: uuid.UUID) -> None:
        raise NotImplementedError

    async def retry_all_failed(self) -> None:
        raise NotImplementedError

    async def cancel(self, upload_id: uuid.UUID) -> None:
        raise NotImplementedError

    async def wait_settled(self, story_id: uuid.UUID | None = None) -> None:
        """Return once no upload (of that story) is queued or uploading."""
        raise NotImplementedError

    async def shutdown(self) -> None:
        """Stop taking uploads, let running ones finish (bounded), keep the rest queued for the next start."""
