"""The upload engine: claims due outbox rows, sends each on the uploads' own worker pool, writes the results back.

On qasync every loop callback costs ~10× what it does on plain asyncio, and the GUI shares that loop, so the loop
does as little per upload as it can:
- rows are claimed in bulk (one query for several), and each claimed row becomes one job on a pool of
  `limit` threads: the pool's queue holds the rest, so a thread takes the next row as soon as its transfer ends and
  never waits for the loop; that pool's size is the one limit on uploads running at once;
- a worker tells the loop a transfer started, how far it got and how it ended through one channel (`WorkerReports`):
  reports made while the loop was busy are handled in one call;
- finished uploads are recorded together (one signing request, one UPDATE) while the next transfers already run.
A claimed row is `uploading` in the database; it is announced as such when its transfer starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

import asyncpg

from desktop.db.repositories.uploads import Outcome, UploadRepository
from desktop.models import FailureKind, Upload, UploadStatus, utc_now
from desktop.qt.aio import SHUTDOWN_GRACE_S, TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.retry import RetryPolicy
from desktop.services.upload_jobs import Transfer
from desktop.storage import Failure, Link, StorageBackend, UploadCancelled, classify

log = logging.getLogger(__name__)

# When the database hiccups, the queue tries again after this long instead of giving up for the session.
DATABASE_RETRY_S = 2.0
# While others still run, results wait this long to be written together: the badge turns "uploaded" a moment
# later, and the loop works less.
RECORD_DELAY_S = 0.05
_MIN_WAIT_S = 0.05
_DATABASE_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)
# Signing answered, but not for this object: it is not in storage after all, so its bytes go again.
_NOT_STORED = Failure(
    FailureKind.server_error, "The image was not found in storage after it was sent; it will be sent again."
)


class QueueHost(Protocol):
    """What the queue needs from the UploadManager that owns it."""

    @property
    def backend_name(self) -> str: ...

    @property
    def bucket(self) -> str: ...

    @property
    def device(self) -> str: ...

    async def backend(self) -> StorageBackend | Failure: ...

    def notify(self, upload: Upload) -> None: ...

    def progress(self, upload_id: uuid.UUID, done: int, total: int) -> None: ...

    def report_problem(self, failure: Failure) -> None: ...


@dataclass(eq=False)
class Job:
    upload: Upload
    transfer: Transfer | None = None
    future: Future[None] | None = None  # its place on the workers' pool: cancelled there while still waiting
    running: bool = False  # set by the worker that took it
    abandoned: bool = False  # the app quit without it: whatever it ends with is no one's business


@dataclass
class Finished:
    job: Job
    stored_on: StorageBackend | None = None
    failure: Failure | None = None  # neither set: the transfer was stopped on purpose


class WorkerReports:
    """The one way a worker thread reaches the loop: each report is a call the loop makes, and one wake-up of the
    loop makes every call reported since the last one."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._calls: list[Callable[[], None]] = []

    def post(self, call: Callable[[], None]) -> None:
        with self._lock:
            ring = not self._calls
            self._calls.append(call)
        if ring and not self._loop.is_closed():  # closed: the app has quit, and nobody is listening
            with contextlib.suppress(RuntimeError):  # closed between the check and the call
                self._loop.call_soon_threadsafe(self._run)

    def _run(self) -> None:
        with self._lock:
            calls, self._calls = self._calls, []
        for call in calls:
            call()


class UploadQueue:
    def __init__(
        self,
        host: QueueHost,
        repo: UploadRepository,
        executor: QThreadPoolExecutor,
        tasks: TaskRunner,
        retry: RetryPolicy,
        limit: int,
    ) -> None:
        self._host = host
        self._repo = repo
        self._executor = executor  # the app's, for signing links; transfers run on `_workers`
        self._tasks = tasks
        self._retry = retry
        self.limit = max(1, limit)
        self._workers: QThreadPoolExecutor | None = None  # made by start(), shut down by stop()
        self._reports: WorkerReports | None = None
        self._jobs: dict[uuid.UUID, Job] = {}  # claimed and not yet finished: waiting or running
        self._on_workers: set[Job] = set()  # handed to the pool and not yet back, abandoned ones too
        self._finished: list[Finished] = []
        self._recording: list[Finished] = []
        self._cancel_requested: set[uuid.UUID] = set()
        self._wake = asyncio.Event()
        self._finished_ready = asyncio.Event()
        self._moved = asyncio.Event()  # set whenever a job finishes or a batch is recorded
        self._stopping = True
        self._dispatcher: asyncio.Task[None] | None = None
        self._recorder: asyncio.Task[None] | None = None

    @property
    def running(self) -> int:
        return sum(1 for job in self._jobs.values() if job.running)

    @property
    def is_running(self) -> bool:
        """Started and not stopped, even while a failed dispatcher waits for `resume()` to start it again."""
        return not self._stopping

    def busy_with(self, story_id: uuid.UUID | None) -> bool:
        """True while an upload (of that story) is claimed, being sent, or its result is not yet written down."""
        uploads = [job.upload for job in self._jobs.values()]
        uploads += [item.job.upload for item in [*self._finished, *self._recording]]
        return any(story_id in (None, upload.story_id) for upload in uploads)

    async def released_scene(self, scene_id: uuid.UUID) -> None:
        """Return once no upload of that scene is claimed, being sent, or waiting for its result to be written."""

        def held() -> bool:
            uploads = [job.upload for job in self._jobs.values()]
            uploads += [item.job.upload for item in [*self._finished, *self._recording]]
            return any(upload.scene_id == scene_id for upload in uploads)

        await self._until(lambda: not held())

    def start(self) -> None:
        self._stopping = False
        self._reports = WorkerReports(asyncio.get_running_loop())
        self._workers = QThreadPoolExecutor(max_workers=self.limit, name="storyforge-uploads", background=True)
        self._resume()

    def wake(self) -> None:
        """Something may be due: claim it."""
        self._wake.set()

    def resume(self) -> None:
        """The writer acted (a retry, new settings): a dispatcher or recorder that failed starts again. Only then:
        its notice asked the writer to try again, and new work alone would only fail and say so once more."""
        self._resume()
        self._wake.set()

    def set_limit(self, limit: int) -> None:
        self.limit = max(1, limit)
        if self._workers is not None:
            self._workers.set_max_workers(self.limit)
        self._wake.set()

    def cancel_running(self, upload_id: uuid.UUID) -> bool:
        job = self._jobs.get(upload_id)
        if job is None:
            return False
        self._cancel_requested.add(upload_id)
        if job.future is not None and job.future.cancel():  # still waiting for a worker: it never starts
            self._on_workers.discard(job)
            self._finish(Finished(job))
        elif job.transfer is not None:
            job.transfer.stop()
        return True

    async def stop(self, grace: float) -> list[Upload]:
        """Stop claiming; give running transfers `grace` seconds; return the rows put back in the queue."""
        self._stopping = True
        self._wake.set()
        if self._dispatcher is not None:
            await _bounded([self._dispatcher], grace)
        waiting = [job for job in self._jobs.values() if job.future is not None and job.future.cancel()]
        for job in waiting:
            self._jobs.pop(job.upload.id, None)
            self._on_workers.discard(job)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self._until(lambda: not self._jobs and not self._finished and not self._recording)
        left = list(self._jobs.values())
        self._jobs.clear()
        for job in left:
            job.abandoned = True
            if job.transfer is not None:
                job.transfer.stop()
        if self._recorder is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    await self._until(lambda: not self._finished and not self._recording)
            await _bounded([self._recorder], 0)
        if left:
            log.info("%d upload(s) still running at quit; they resume at the next start", len(left))
        put_back = [job.upload.id for job in [*left, *waiting]]
        released = await self._repo.release(put_back) if put_back else []
        await self._stop_workers()
        return released

    async def _stop_workers(self) -> None:
        """Transfers told to stop end at their next chunk, one waiting on a silent server at its request timeout:
        the threads get the app's quit step to come back, so none is cut off mid-call when the process ends."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SHUTDOWN_GRACE_S):
                await self._until(lambda: not self._on_workers)
        if self._workers is not None:
            # Kept referenced: a pool dropped with a thread still in it would wait for that thread right here.
            self._workers.shutdown(wait=not self._on_workers, cancel_futures=True, timeout=SHUTDOWN_GRACE_S)

    async def _until(self, condition: Callable[[], bool]) -> None:
        while not condition():
            self._moved.clear()
            await self._moved.wait()

    def _resume(self) -> None:
        if self._stopping:
            return
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = self._tasks.start(self._dispatch(), "Uploading images")
        if self._recorder is None or self._recorder.done():
            self._recorder = self._tasks.start(self._record_loop(), "Recording finished uploads")

    # Claiming -----------------------------------------------------------------------------------------------

    @property
    def _waiting(self) -> int:
        return sum(1 for job in self._jobs.values() if not job.running)

    async def _dispatch(self) -> None:
        while not self._stopping:
            self._wake.clear()
            timeout: float | None = None
            # Claim in bulk once few claimed rows are left waiting: one query serves several uploads.
            wanted = 3 * self.limit - len(self._jobs)
            if self._waiting <= self.limit // 2 and wanted > 0:
                try:
                    backend = await self._host.backend()
                    claimed = await self._repo.claim(self._host.backend_name, self._host.device, wanted)
                except _DATABASE_ERRORS as exc:
                    log.warning("the upload queue could not read the outbox: %s", exc)
                    claimed, timeout = [], DATABASE_RETRY_S
                if claimed:
                    self._take(claimed, backend)
                    continue
                if timeout is None:
                    timeout = await self._until_due()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    def _take(self, claimed: list[Upload], backend: StorageBackend | Failure) -> None:
        jobs = [Job(upload) for upload in claimed]
        for job in jobs:
            self._jobs[job.upload.id] = job
        workers, reports = self._workers, self._reports
        if isinstance(backend, Failure) or self._stopping or workers is None or reports is None:
            for job in jobs:
                self._finish(Finished(job, failure=backend if isinstance(backend, Failure) else None))
            return
        for job in jobs:
            job.transfer = Transfer(backend, job.upload, partial(self._report_progress, reports, job))
            if job.upload.id in self._cancel_requested:
                job.transfer.stop()
            job.future = workers.submit(self._send, reports, job)
            self._on_workers.add(job)

    async def _until_due(self) -> float | None:
        try:
            due: datetime | None = await self._repo.next_due(self._host.backend_name, self._host.device)
        except _DATABASE_ERRORS:
            return DATABASE_RETRY_S
        return None if due is None else max(_MIN_WAIT_S, (due - utc_now()).total_seconds())

    # Sending (on a worker thread; what it reports runs on the loop) -----------------------------------------

    def _send(self, reports: WorkerReports, job: Job) -> None:
        job.running = True
        reports.post(partial(self._started, job))
        error: BaseException | None = None
        try:
            assert job.transfer is not None
            job.transfer()
        except BaseException as exc:
            error = exc
        reports.post(partial(self._ended, job, error))

    def _report_progress(self, reports: WorkerReports, job: Job, done: int, total: int) -> None:
        reports.post(partial(self._progressed, job, done, total))

    def _started(self, job: Job) -> None:
        if not job.abandoned and job.upload.id in self._jobs:
            self._host.notify(job.upload)

    def _progressed(self, job: Job, done: int, total: int) -> None:
        if not job.abandoned and job.upload.id in self._jobs:
            self._host.progress(job.upload.id, done, total)

    def _ended(self, job: Job, error: BaseException | None) -> None:
        self._on_workers.discard(job)
        self._moved.set()
        if job.abandoned:
            return
        if error is None:
            assert job.transfer is not None
            self._finish(Finished(job, stored_on=job.transfer.backend))
        elif isinstance(error, UploadCancelled):
            self._finish(Finished(job))
        else:
            failure = classify(error, bucket=self._host.bucket)
            if failure.kind is FailureKind.unknown:
                log.error("uploading %s failed", job.upload.object_path, exc_info=error)
            else:
                log.info("uploading %s failed (%s): %s", job.upload.object_path, failure.kind, failure.message)
            self._finish(Finished(job, failure=failure))

    def _finish(self, finished: Finished) -> None:
        self._jobs.pop(finished.job.upload.id, None)
        self._finished.append(finished)
        self._finished_ready.set()
        self._moved.set()
        if self._waiting <= self.limit // 2:
            self._wake.set()  # time to claim more

    # Recording results --------------------------------------------------------------------------------------

    async def _record_loop(self) -> None:
        while True:
            await self._finished_ready.wait()
            if self._jobs and not self._stopping:  # more will finish soon: write them together
                await asyncio.sleep(RECORD_DELAY_S)
            self._finished_ready.clear()
            self._recording, self._finished = self._finished, []
            try:
                await self._record(self._recording)
            except _DATABASE_ERRORS as exc:
                log.warning("could not record %d finished upload(s): %s", len(self._recording), exc)
                self._finished[:0] = self._recording
                self._finished_ready.set()
                await asyncio.sleep(DATABASE_RETRY_S)
            except BaseException:
                # Failed (the window says so) or stopped: the batch waits for the recorder's next start.
                self._finished[:0] = self._recording
                self._finished_ready.set()
                raise
            finally:
                self._recording = []
                self._moved.set()

    async def _record(self, batch: Sequence[Finished]) -> None:
        links = await self._links([item for item in batch if item.stored_on is not None])
        outcomes = [self._outcome(item, links) for item in batch]
        for upload in await self._repo.record(outcomes):
            self._host.notify(upload)
        for item in batch:
            self._cancel_requested.discard(item.job.upload.id)
        if any(outcome.next_attempt_at is not None for outcome in outcomes):
            self._wake.set()  # the dispatcher's sleep must now end by the earliest retry

    async def _links(self, stored: Sequence[Finished]) -> dict[uuid.UUID, Link | Failure]:
        """One signing request per backend for every stored object in the batch. The link is part of the job: an
        upload whose link fails is not uploaded yet (its bytes are kept in storage, only the link is tried again)."""
        links: dict[uuid.UUID, Link | Failure] = {}
        for backend in {id(item.stored_on): item.stored_on for item in stored}.values():
            assert backend is not None
            items = [item for item in stored if item.stored_on is backend]
            paths = [item.job.upload.object_path for item in items]
            try:
                made = await asyncio.wrap_future(self._executor.submit(backend.links_for, paths))
            except Exception as exc:
                failure = classify(exc, bucket=self._host.bucket)
                log.info(
                    "could not make links for %d stored image(s) (%s): %s", len(paths), failure.kind, failure.message
                )
                links.update((item.job.upload.id, failure) for item in items)
                continue
            links.update((item.job.upload.id, made.get(item.job.upload.object_path, _NOT_STORED)) for item in items)
        return links

    def _outcome(self, item: Finished, links: dict[uuid.UUID, Link | Failure]) -> Outcome:
        upload = item.job.upload
        if item.stored_on is not None:
            link = links[upload.id]
            if isinstance(link, Link):
                return Outcome(
                    upload.id, UploadStatus.uploaded, url=link.url, url_expires_at=link.expires_at, stored=True
                )
            if link is _NOT_STORED:
                return self._retry_or_fail(upload, link, stored=False)
            stored_but = Failure(link.kind, f"The image is stored, but its link could not be made: {link.message}")
            return self._retry_or_fail(upload, stored_but, stored=True)
        if upload.id in self._cancel_requested:
            return Outcome(upload.id, UploadStatus.cancelled)
        return self._retry_or_fail(upload, item.failure)

    def _retry_or_fail(self, upload: Upload, failure: Failure | None, *, stored: bool | None = None) -> Outcome:
        if failure is None or (failure.is_transient and self._stopping):
            return Outcome(upload.id, UploadStatus.queued, stored=stored)  # stopped, not failed: it goes again
        if failure.is_transient and self._retry.may_retry(upload.attempts):
            due = utc_now() + timedelta(seconds=self._retry.delay(upload.attempts))
            return Outcome(upload.id, UploadStatus.queued, failure.kind, failure.message, due, stored=stored)
        message = failure.message
        if failure.is_transient:
            message += f" Gave up after {upload.attempts} attempts — retry once it works again."
        self._host.report_problem(failure)
        return Outcome(upload.id, UploadStatus.failed, failure.kind, message, stored=stored)


async def _bounded(tasks: Sequence[asyncio.Task[None]], timeout: float) -> None:
    """Wait up to `timeout` s for `tasks`; cancel what is still running and let it unwind."""
    pending = {task for task in tasks if not task.done()}
    if pending and timeout > 0:
        _, pending = await asyncio.wait(pending, timeout=timeout)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=1.0)
