"""The upload engine: claims due outbox rows, sends them on the executor, writes the results back.

On qasync every loop callback costs ~10× what it does on plain asyncio, and the GUI shares that loop, so the loop
does as little per upload as it can:
- rows are claimed in bulk (one query for several) and wait, claimed, in a list the workers share;
- up to `limit` runner jobs on the executor each take the next waiting row as soon as their transfer ends, so a
  slot never waits for the loop;
- a transfer's start and end reach the loop as one callback each, and finished uploads are recorded together
  (one signing request, one UPDATE) while the next transfers already run.
A claimed row is `uploading` in the database; it is announced as such when its transfer starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import asyncpg

from desktop.db.repositories.uploads import Outcome, UploadRepository
from desktop.models import FailureKind, Upload, UploadStatus, utc_now
from desktop.qt.aio import TaskRunner
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

    def report_problem(self, failure: Failure) -> None: ...


@dataclass(eq=False)
class Job:
    upload: Upload
    transfer: Transfer | None = None
    running: bool = False  # set by the runner that took it
    abandoned: bool = False  # the app quit without it: whatever it ends with is no one's business


@dataclass
class Finished:
    job: Job
    stored_on: StorageBackend | None = None
    failure: Failure | None = None  # neither set: the transfer was stopped on purpose


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
        self._executor = executor
        self._tasks = tasks
        self._retry = retry
        self.limit = max(1, limit)
        self._jobs: dict[uuid.UUID, Job] = {}  # claimed and not yet finished: waiting or running
        self._lock = threading.Lock()  # guards _waiting, _runners and _moves, which the runners share
        self._waiting: deque[Job] = deque()
        self._runners = 0
        # What runners report (a transfer ended, another started), collected until the loop takes it: one call to
        # the loop serves every report made meanwhile.
        self._moves: list[tuple[Job | None, BaseException | None, Job | None]] = []
        self._finished: list[Finished] = []
        self._recording: list[Finished] = []
        self._cancel_requested: set[uuid.UUID] = set()
        self._wake = asyncio.Event()
        self._finished_ready = asyncio.Event()
        self._moved = asyncio.Event()  # set whenever a job finishes or a batch is recorded
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._recorder: asyncio.Task[None] | None = None

    @property
    def running(self) -> int:
        return sum(1 for job in self._jobs.values() if job.running)

    @property
    def is_running(self) -> bool:
        return self._dispatcher is not None and not self._dispatcher.done()

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
        self._loop = asyncio.get_running_loop()
        self._dispatcher = self._tasks.start(self._dispatch(), "Uploading images")
        self._recorder = self._tasks.start(self._record_loop(), "Recording finished uploads")

    def wake(self) -> None:
        self._wake.set()

    def set_limit(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._start_runners()
        self._wake.set()

    def cancel_running(self, upload_id: uuid.UUID) -> bool:
        job = self._jobs.get(upload_id)
        if job is None:
            return False
        self._cancel_requested.add(upload_id)
        with self._lock:
            waiting = job in self._waiting
            if waiting:
                self._waiting.remove(job)
        if waiting:
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
        with self._lock:
            waiting = list(self._waiting)
            self._waiting.clear()
        for job in waiting:
            self._jobs.pop(job.upload.id, None)
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
        return await self._repo.release(put_back) if put_back else []

    async def _until(self, condition: Callable[[], bool]) -> None:
        while not condition():
            self._moved.clear()
            await self._moved.wait()

    # Claiming -----------------------------------------------------------------------------------------------

    async def _dispatch(self) -> None:
        while not self._stopping:
            self._wake.clear()
            timeout: float | None = None
            # Claim in bulk once few claimed rows are left waiting: one query serves several uploads.
            wanted = 3 * self.limit - len(self._jobs)
            if len(self._waiting) <= self.limit // 2 and wanted > 0:
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
        if isinstance(backend, Failure) or self._stopping:
            for job in jobs:
                self._finish(Finished(job, failure=backend if isinstance(backend, Failure) else None))
            return
        for job in jobs:
            job.transfer = Transfer(backend, job.upload, self._executor)
            if job.upload.id in self._cancel_requested:
                job.transfer.stop()
        with self._lock:
            self._waiting.extend(jobs)
        self._start_runners()

    async def _until_due(self) -> float | None:
        try:
            due: datetime | None = await self._repo.next_due(self._host.backend_name, self._host.device)
        except _DATABASE_ERRORS:
            return DATABASE_RETRY_S
        return None if due is None else max(_MIN_WAIT_S, (due - utc_now()).total_seconds())

    # Running (runners live on the executor) -----------------------------------------------------------------

    def _start_runners(self) -> None:
        with self._lock:
            wanted = min(self.limit, len(self._waiting)) - self._runners
            self._runners += max(0, wanted)
        for _ in range(wanted):
            try:
                self._executor.submit(self._run_waiting)
            except RuntimeError:  # the executor is shut down: the app is quitting
                with self._lock:
                    self._runners -= 1

    def _run_waiting(self) -> None:
        """A worker: send waiting rows one after another until none is left (or the limit shrank)."""
        loop = self._loop
        assert loop is not None
        job = self._next_waiting()
        if job is not None:
            self._report(loop, None, None, job)
        while job is not None:
            error: BaseException | None = None
            try:
                assert job.transfer is not None
                job.transfer()
            except BaseException as exc:
                error = exc
            following = self._next_waiting()
            self._report(loop, job, error, following)
            job = following

    def _report(
        self, loop: asyncio.AbstractEventLoop, done: Job | None, error: BaseException | None, started: Job | None
    ) -> None:
        with self._lock:
            ring = not self._moves
            self._moves.append((done, error, started))
        if ring:
            _to_loop(loop, self._take_moves)

    def _take_moves(self) -> None:
        with self._lock:
            moves, self._moves = self._moves, []
        for done, error, started in moves:
            self._jobs_moved(done, error, started)

    def _next_waiting(self) -> Job | None:
        with self._lock:
            if self._stopping or not self._waiting or self._runners > self.limit:
                self._runners -= 1
                return None
            job = self._waiting.popleft()
            job.running = True
            return job

    def _jobs_moved(self, done: Job | None, error: BaseException | None, started: Job | None) -> None:
        if done is not None:
            self._job_done(done, error)
        if started is not None and not started.abandoned and started.upload.id in self._jobs:
            self._host.notify(started.upload)

    def _job_done(self, job: Job, error: BaseException | None) -> None:
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
        if len(self._waiting) <= self.limit // 2:
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


def _to_loop(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: object) -> None:
    """From a worker thread: run `callback` on the loop — unless the loop is gone (the app has quit)."""
    if loop.is_closed():
        return
    with contextlib.suppress(RuntimeError):  # closed between the check and the call
        loop.call_soon_threadsafe(callback, *args)


async def _bounded(tasks: Sequence[asyncio.Task[None]], timeout: float) -> None:
    """Wait up to `timeout` s for `tasks`; cancel what is still running and let it unwind."""
    pending = {task for task in tasks if not task.done()}
    if pending and timeout > 0:
        _, pending = await asyncio.wait(pending, timeout=timeout)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=1.0)
