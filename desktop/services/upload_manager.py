"""UploadManager: the outbox, run on the executor, with automatic and manual retry.

Every image has a row in `uploads` before anything is sent, and its local file stays. The UploadQueue claims due
rows, sends each through the StorageBackend on its own pool of `upload_concurrency` threads, and writes
the result back: uploaded, queued again after a back-off (transient failures), or failed with a reason (permanent
ones, and transient ones past the retry limit). Only rows of the storage the settings name are worked on
(`Upload.backend` is "local" or "supabase"); rows of the other one wait until it is chosen again or `retarget`
sends them to the chosen one. An upload keeps its storage: listings and counts show every storage's rows, so a
storage switch never hides an image that is not stored yet. Each scene has one row per storage, for its current
image (`put_scene_image`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
from PySide6.QtCore import QObject, Signal

from desktop.config import Settings
from desktop.db.repositories import UploadRepository
from desktop.db.repositories.uploads import NewLink
from desktop.models import Scene, Story, Upload, UploadStatus, utc_now
from desktop.qt.aio import SHUTDOWN_GRACE_S, TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.retry import RetryPolicy
from desktop.services.upload_jobs import UPLOAD_RETRY
from desktop.services.upload_queue import UploadQueue
from desktop.storage import Failure, StorageBackend, build_backend, classify, inspect_image, object_path

log = logging.getLogger(__name__)

# A signed link is made again once this little of its life is left: a tenth of it, at least an hour, at most half.
RENEW_SHARE, RENEW_AT_LEAST_S = 0.1, 3600.0


class UploadManager(QObject):
    upload_changed = Signal(object)  # Upload: every state change (queued, uploading, uploaded, failed, cancelled)
    upload_progress = Signal(object, int, int)  # upload id, bytes sent, bytes total
    upload_removed = Signal(object)  # upload id: merged into the scene's row on another storage (retarget)
    # Failure: the storage itself cannot work (key rejected, bucket missing, settings incomplete) until the writer
    # fixes it; emitted once per distinct problem.
    storage_problem = Signal(object)

    def __init__(
        self,
        *,
        settings: Settings,
        pool: asyncpg.Pool,
        executor: QThreadPoolExecutor,
        tasks: TaskRunner | None = None,
        parent: QObject | None = None,
        retry: RetryPolicy | None = None,
        shutdown_grace: float | None = None,
    ) -> None:
        """`executor` runs the short blocking calls (hashing, signing, building the client); transfers get a pool
        of their own. `tasks` is the runner whose failures the window shows (the Runtime's): the queue's
        dispatcher and recorder run there, so an engine that stops says so."""
        super().__init__(parent)
        self._settings = settings
        self._executor = executor
        self._repo = UploadRepository(pool)
        self._grace = SHUTDOWN_GRACE_S if shutdown_grace is None else shutdown_grace
        self._tasks = tasks if tasks is not None else TaskRunner(self)
        self._retry = retry or UPLOAD_RETRY
        self._queue = UploadQueue(self, self._repo, executor, self._tasks, self._retry, settings.upload_concurrency)
        self._change = asyncio.Event()
        self._change_pending = False
        # One image hashed at a time: hashing keeps a core busy, and on a two-core machine the GUI needs the other.
        self._hashing = asyncio.Semaphore(1)
        self._backend: StorageBackend | None = None
        self._backend_failure: Failure | None = None
        self._backend_lock = asyncio.Lock()
        self._retired: list[StorageBackend] = []
        self._reported_problem = ""

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def backend_name(self) -> str:
        return self._settings.storage_backend

    @property
    def bucket(self) -> str:
        return self._settings.supabase_bucket

    @property
    def device(self) -> str:
        return self._settings.device

    @property
    def storage_label(self) -> str:
        """Where images go, in the writer's words (for the status bar)."""
        if self._backend is not None:
            return self._backend.label
        if self.backend_name == "supabase":
            return f"Supabase bucket “{self._settings.supabase_bucket}”"
        return f"the local storage folder {self._settings.storage_folder}"

    @property
    def running(self) -> int:
        """Uploads being sent right now."""
        return self._queue.running

    # Life cycle ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Resume the outbox: rows left `uploading` go back to `queued`, and the queue runs."""
        if self._queue.is_running:
            return
        await self._repo.hold_connection()
        for upload in await self._repo.release():
            self.notify(upload)
        self._queue.start()

    async def shutdown(self) -> None:
        """Stop taking uploads, let running ones finish (bounded), keep the rest queued for the next start."""
        left_behind = await self._queue.stop(self._grace)
        for upload in left_behind:
            self.notify(upload)
        if not left_behind:  # a transfer still running may be using its client
            for backend in [*self._retired, *([self._backend] if self._backend else [])]:
                backend.close()
            self._retired.clear()
            self._backend = None
        await self._repo.release_connection()  # before the Runtime closes the pool

    async def reconfigure(self, settings: Settings) -> None:
        """Use new settings from now on; a changed storage gets a fresh client and bucket check."""
        async with self._backend_lock:
            changed = storage_identity(settings) != storage_identity(self._settings)
            self._settings = settings
            self._queue.set_limit(settings.upload_concurrency)
            if changed:
                if self._backend is not None:
                    self._retired.append(self._backend)  # running uploads may still use it; closed at quit
                self._backend = None
                self._backend_failure = None
                self._reported_problem = ""
        self._queue.resume()  # new settings may have mended what stopped it
        self._changed()

    async def check_storage(self) -> Failure | None:
        """The Settings dialog's "Test": build the backend and check its bucket now; None when it works."""
        backend = await self.backend()
        if isinstance(backend, Failure):
            return backend
        attempts = 0
        while True:
            attempts += 1
            try:
                await asyncio.wrap_future(self._executor.submit(backend.ensure_bucket))
            except Exception as exc:
                failure = classify(exc, bucket=self.bucket)
                # A struggling server is asked again, with the uploads' back-off; it never reads as "missing".
                if failure.is_transient and self._retry.may_retry(attempts):
                    await asyncio.sleep(self._retry.delay(attempts))
                    continue
                self.report_problem(failure)
                return failure
            return None

    # The writer's actions -----------------------------------------------------------------------------------

    async def enqueue_scene_image(self, story: Story, scene: Scene, image: Path) -> Upload:
        """Record the scene's image (already in the image folder) for upload; the queue picks it up at once.

        Raises OSError when the file cannot be read and NotAnImage (a ValueError) when it is no PNG, JPEG or WebP.
        """
        image = Path(image)
        async with self._hashing:
            info = await asyncio.wrap_future(self._executor.submit(inspect_image, image))
        upload = Upload.create(
            story_id=story.id,
            scene_id=scene.id,
            scene_index=scene.index,
            local_path=str(image),
            object_path=object_path(story.user_id, story.id, scene.id, info.sha256, info.image_type.extension),
            content_type=info.image_type.content_type,
            backend=self.backend_name,
            device=self.device,
        )
        # A regenerated image takes over the scene's row. A transfer of the image it replaces still running would
        # land after the new one removed it: let it end first (a moment; new scenes have nothing to wait for).
        if self._queue.is_running:  # a stopped queue has nothing running, and would never say so
            await self._queue.released_scene(scene.id)
        stored = await self._repo.put_scene_image(upload)
        self.notify(stored)  # before any other await: the queue may take the row at once, and says so
        self._queue.wake()
        for upload_id in await self._repo.drop_unsent_elsewhere(stored):
            self.upload_removed.emit(upload_id)
        return stored

    async def uploads(
        self,
        *,
        status: UploadStatus | None = None,
        story_id: uuid.UUID | None = None,
        uploaded_limit: int | None = None,
    ) -> list[Upload]:
        """Every upload whatever its storage (`Upload.backend`), oldest first; with `uploaded_limit`, only that many
        of the latest finished ones (every upload still waiting, failed or cancelled is always there)."""
        return await self._repo.find(status=status, story_id=story_id, uploaded_limit=uploaded_limit)

    async def counts(self) -> dict[UploadStatus, int]:
        """How many uploads of every storage are in each state (for the status bar): one failed on a storage no
        longer chosen is not stored either."""
        return await self._repo.counts()

    async def retry(self, upload_id: uuid.UUID) -> Upload | None:
        """Retry one failed or cancelled upload now, skipping any back-off; None when there was nothing to retry.
        One waiting for a storage that is no longer chosen is sent to the chosen one."""
        if await self._repo.stranded(self.backend_name, [upload_id]):
            moved = await self.retarget([upload_id])
            return next((row for row in moved if row.id == upload_id), moved[0] if moved else None)
        rows = await self._repo.requeue(self.backend_name, upload_ids=[upload_id], include_cancelled=True)
        self._requeued(rows)
        return rows[0] if rows else None

    async def retry_story(self, story_id: uuid.UUID) -> list[Upload]:
        """Retry the story's failed uploads (and any waiting out a back-off) now; those that failed on a storage
        no longer chosen go to the chosen one."""
        rows = await self._repo.requeue(self.backend_name, story_id=story_id)
        self._requeued(rows)
        return rows + await self._retarget_failed(story_id)

    async def retry_all_failed(self) -> list[Upload]:
        """Retry every failed upload (and any waiting out a back-off) now; those that failed on a storage no
        longer chosen go to the chosen one."""
        rows = await self._repo.requeue(self.backend_name)
        self._requeued(rows)
        return rows + await self._retarget_failed()

    async def _retarget_failed(self, story_id: uuid.UUID | None = None) -> list[Upload]:
        stranded = await self._repo.stranded(self.backend_name)
        failed = [u.id for u in stranded if u.status is UploadStatus.failed and story_id in (None, u.story_id)]
        return await self.retarget(failed) if failed else []

    async def cancel(self, upload_id: uuid.UUID) -> None:
        """A waiting upload is cancelled at once; a running one stops at its next chunk (or finishes first)."""
        row = await self._repo.cancel_waiting(upload_id)
        if row is not None:
            self.notify(row)
        else:
            self._queue.cancel_running(upload_id)

    async def remove_stored(self, uploads: Sequence[Upload]) -> None:
        """Delete these uploads' objects from the storage now chosen (the self-test's image, once checked)."""
        paths = [upload.object_path for upload in uploads if upload.status is UploadStatus.uploaded]
        backend = await self.backend()
        if paths and not isinstance(backend, Failure):
            await asyncio.wrap_future(self._executor.submit(backend.remove, paths))

    async def fresh_url(self, upload: Upload) -> str:
        """The upload's link, made again first when it is near its expiry; "" when it has none that works."""
        [fresh] = await self.fresh_urls([upload])
        expires = fresh.url_expires_at
        return fresh.url if fresh.url and (expires is None or expires > utc_now()) else ""

    async def fresh_urls(self, uploads: Sequence[Upload]) -> list[Upload]:
        """These uploads, each uploaded one with a link that works for a while yet: links missing or near their
        expiry are made again (one signing request) and recorded. One that cannot get a link now keeps its own."""
        renew_before = utc_now() + self._renewal_margin()
        due = [upload for upload in uploads if self._link_due(upload, renew_before)]
        if not due:
            return list(uploads)
        renewed = {upload.id: upload for upload in await self._renew_links(due)}
        return [renewed.get(upload.id, upload) for upload in uploads]

    async def repair_links(self) -> list[Upload]:
        """Every uploaded image of the current storage whose link is missing, expired or near its expiry gets a new
        one; one whose object is gone from storage is queued to be sent again. Returns the rows changed."""
        found = await self._repo.without_working_link(self.backend_name, utc_now() + self._renewal_margin())
        return await self._renew_links(found, resend_missing=True) if found else []

    async def stranded(self) -> list[Upload]:
        """Uploads waiting or failed on a storage that is no longer the chosen one: nothing sends them until they
        are sent to the chosen storage (`retarget`) or theirs is chosen again."""
        return await self._repo.stranded(self.backend_name)

    async def retarget(self, upload_ids: Sequence[uuid.UUID] | None = None) -> list[Upload]:
        """Send the stranded uploads (these, or all) to the chosen storage; returns the rows now queued there."""
        changed, removed = await self._repo.retarget(self.backend_name, upload_ids)
        for upload_id in removed:
            self.upload_removed.emit(upload_id)
        self._requeued(changed)
        return changed

    async def wait_settled(self, story_id: uuid.UUID | None = None) -> None:
        """Return once no upload (of that story) that this computer sends is queued or uploading."""
        while True:
            change = self._change
            busy = self._queue.busy_with(story_id)
            if not busy and await self._repo.pending_count(self.backend_name, self.device, story_id) == 0:
                return
            await change.wait()

    async def local_only_images(self) -> list[Upload]:
        """Images stored in the local storage folder but not (yet) in the storage now chosen: what switching from the
        local storage folder to Supabase offers to upload."""
        if self.backend_name == "local":
            return []
        return await self._repo.missing_from("local", self.backend_name)

    async def upload_local_images(self) -> list[Upload]:
        """Queue every local-only image for the storage now chosen; returns the new rows."""
        found = await self.local_only_images()
        storage_folder = self._settings.storage_folder
        sources = await asyncio.wrap_future(self._executor.submit(_readable_sources, found, storage_folder))
        queued = []
        for upload, source in zip(found, sources, strict=True):
            if source is None:
                log.warning("the image for %s is gone from this computer; skipped", upload.object_path)
                continue
            fresh = Upload.create(
                story_id=upload.story_id,
                scene_id=upload.scene_id,
                scene_index=upload.scene_index,
                local_path=source,
                object_path=upload.object_path,
                content_type=upload.content_type,
                backend=self.backend_name,
                device=self.device,
            )
            queued.append(await self._repo.add(fresh))
        for upload in queued:
            self.notify(upload)
        self._queue.wake()
        return queued

    # What the queue asks of its host ------------------------------------------------------------------------

    async def backend(self) -> StorageBackend | Failure:
        """The storage the settings name, built once (on the executor: supabase-py is slow to import)."""
        async with self._backend_lock:
            if self._backend is not None:
                return self._backend
            if self._backend_failure is not None:
                return self._backend_failure
            try:
                self._backend = await asyncio.wrap_future(self._executor.submit(build_backend, self._settings))
            except Exception as exc:
                failure = classify(exc, bucket=self.bucket)
                if not failure.is_transient:  # a transient one is tried again with the next upload's attempt
                    self._backend_failure = failure
                self.report_problem(failure)
                return failure
            # supabase-py's import leaves ~10⁵ objects that live as long as the app; a full collection that walks
            # them all pauses every thread (the GUI's too) for tens of ms. Out of the collector's sight they cost
            # nothing.
            gc.freeze()
            return self._backend

    async def show_changes_from_elsewhere(self, upload_ids: set[uuid.UUID]) -> None:
        """Uploads another process changed are announced like this process's own; a queued one wakes the queue
        (the other process may have left it for whoever runs)."""
        for upload_id in upload_ids:
            upload = await self._repo.get(upload_id)
            if upload is not None:
                self.notify(upload)
                if upload.status is UploadStatus.queued:
                    self._queue.wake()

    def notify(self, upload: Upload) -> None:
        self.upload_changed.emit(upload)
        if not upload.status.is_pending:
            self._changed()  # only a settled upload can end a wait_settled()

    def progress(self, upload_id: uuid.UUID, done: int, total: int) -> None:
        self.upload_progress.emit(upload_id, done, total)

    def report_problem(self, failure: Failure) -> None:
        if failure.concerns_the_storage and failure.message != self._reported_problem:
            self._reported_problem = failure.message
            self.storage_problem.emit(failure)

    # Inside -------------------------------------------------------------------------------------------------

    def _renewal_margin(self) -> timedelta:
        period = float(self._settings.signed_url_expiry)
        return timedelta(seconds=min(max(period * RENEW_SHARE, RENEW_AT_LEAST_S), period / 2))

    def _link_due(self, upload: Upload, renew_before: datetime) -> bool:
        # Only the storage now chosen can sign; a link that never expires (public, file://) stays as it is.
        if upload.status is not UploadStatus.uploaded or upload.backend != self.backend_name:
            return False
        return not upload.url or (upload.url_expires_at is not None and upload.url_expires_at < renew_before)

    async def _renew_links(self, uploads: Sequence[Upload], *, resend_missing: bool = False) -> list[Upload]:
        backend = await self.backend()
        if isinstance(backend, Failure):
            log.warning("could not renew %d link(s): %s", len(uploads), backend.message)
            return []
        paths = [upload.object_path for upload in uploads]
        try:
            links = await asyncio.wrap_future(self._executor.submit(backend.links_for, paths))
        except Exception as exc:
            failure = classify(exc, bucket=self.bucket)
            log.warning("could not renew %d link(s) (%s): %s", len(uploads), failure.kind, failure.message)
            self.report_problem(failure)
            return []
        new = [
            NewLink(upload.id, link.url, link.expires_at)
            for upload in uploads
            if (link := links.get(upload.object_path)) is not None
        ]
        changed = await self._repo.set_links(new)
        gone = [upload.id for upload in uploads if upload.object_path not in links]
        if gone and resend_missing:
            changed += await self._repo.resend(gone)
            self._queue.wake()
        elif gone:
            log.warning("%d uploaded image(s) are not in storage any more; retry failed uploads to resend", len(gone))
        for upload in changed:
            self.notify(upload)
        return changed

    def _requeued(self, rows: Sequence[Upload]) -> None:
        if rows:
            self._backend_failure = None  # the writer may have fixed what stopped the storage: build it again
            self._reported_problem = ""
            for row in rows:
                self.notify(row)
        self._queue.resume()  # even with none failed: the writer's "try again" after a notice that the queue stopped

    def _changed(self) -> None:
        # Once per turn of the loop, however many rows changed in it: each wake-up costs the GUI's loop.
        if not self._change_pending:
            self._change_pending = True
            asyncio.get_running_loop().call_soon(self._announce_change)

    def _announce_change(self) -> None:
        self._change_pending = False
        change, self._change = self._change, asyncio.Event()
        change.set()


def storage_identity(settings: Settings) -> tuple[object, ...]:
    """What decides where images go and how: a change of any of it is another storage."""
    return (
        settings.storage_backend,
        settings.supabase_url,
        settings.supabase_key.get_secret_value(),
        settings.supabase_bucket,
        settings.supabase_public,
        settings.signed_url_expiry,
        settings.request_timeout,
        settings.storage_folder,
    )


def _readable_sources(uploads: Sequence[Upload], storage_folder: Path) -> list[str | None]:
    """For each upload, a file on this computer holding its image: the image folder's copy, else the local storage
    folder's."""
    found: list[str | None] = []
    for upload in uploads:
        candidates = [Path(upload.local_path), storage_folder.joinpath(*upload.object_path.split("/"))]
        found.append(next((str(path) for path in candidates if path.is_file()), None))
    return found
