"""The outbox for deletions: objects of stories and scenes purged from the trash are removed from storage here,
in batches, retried with the uploads' back-off. Rows wait for their own storage (like uploads): one on Supabase is
removed when Supabase is the chosen storage again. An unreachable storage delays a removal; it never forgets it."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from desktop.db.repositories import TrashRepository
from desktop.models import utc_now
from desktop.qt.aio import TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.services.upload_jobs import UPLOAD_RETRY
from desktop.services.upload_manager import UploadManager
from desktop.storage import Failure, classify

log = logging.getLogger(__name__)

BATCH = 100


class StorageRemovals:
    def __init__(
        self, trash: TrashRepository, uploads: UploadManager, executor: QThreadPoolExecutor, tasks: TaskRunner
    ) -> None:
        self._trash = trash
        self._uploads = uploads  # the storage now chosen, built once
        self._executor = executor
        self._tasks = tasks
        self._running: asyncio.Task[None] | None = None
        self._again: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        """At start (and after the storage settings changed): what waits is tried now, not at its next attempt —
        the writer may have mended the storage meanwhile."""
        await self._trash.removals_due_now()
        self.wake()

    def wake(self) -> None:
        """Work through what is due now (at start, after a purge, when the storage changed)."""
        if self._running is None or self._running.done():
            self._running = self._tasks.start(self._work(), "Removing purged images from storage")

    async def wait_idle(self) -> None:
        """Return once the removals due now have been tried (those that failed wait for their next attempt)."""
        if self._running is not None:
            await asyncio.wait([self._running])

    def stop(self) -> None:
        if self._again is not None:
            self._again.cancel()
            self._again = None

    async def _work(self) -> None:
        backend_name = self._uploads.backend_name
        while due := await self._trash.due_removals(backend_name, BATCH):
            paths = [removal.object_path for removal in due]
            backend = await self._uploads.backend()
            try:
                if isinstance(backend, Failure):
                    raise RuntimeError(backend.message)
                await asyncio.wrap_future(self._executor.submit(backend.remove, paths))
            except Exception as exc:
                failure = classify(exc, bucket=self._uploads.bucket)
                attempts = max(removal.attempts for removal in due) + 1
                delay = UPLOAD_RETRY.delay(min(attempts, UPLOAD_RETRY.attempts))
                log.warning("could not remove %d purged image(s) from storage: %s", len(paths), failure.message)
                await self._trash.removal_failed(
                    backend_name, paths, failure.message, utc_now() + timedelta(seconds=delay)
                )
                break
            await self._trash.removed(backend_name, paths)
        await self._plan_next(backend_name)

    async def _plan_next(self, backend_name: str) -> None:
        due = await self._trash.next_removal_due(backend_name)
        if due is None:
            return
        if self._again is not None:
            self._again.cancel()
        delay = max(0.0, (due - utc_now()).total_seconds())
        self._again = asyncio.get_running_loop().call_later(delay, self.wake)
