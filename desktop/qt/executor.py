"""A concurrent.futures.Executor over a dedicated QThreadPool: a coroutine awaits its futures.

`loop.run_in_executor(executor, fn)` and `asyncio.wrap_future(executor.submit(fn))` both work; either way the result
reaches the loop through `call_soon_threadsafe`, which qasync delivers as a queued Qt signal.

A background executor's threads run at a lower scheduling priority than the GUI thread: on a busy machine, upload
threads at the same priority keep the loop off the CPU for whole scheduler slices at a time.

Jobs wait in a Python queue that long-lived runners on the pool drain (at most `max_workers` of them, started as
work arrives, as concurrent.futures.ThreadPoolExecutor does with its threads). Submitting only puts a job in that
queue: `QThreadPool.start()` lets go of the GIL, and winning it back from busy worker threads costs the loop
milliseconds, so it is called once per runner rather than once per job.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import sys
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

from PySide6.QtCore import QRunnable, QThread, QThreadPool

log = logging.getLogger(__name__)

# Linux's default scheduler has no thread priorities, so Qt's LowPriority does nothing there; a thread's nice value
# (per thread on Linux) does the same job. 10 leaves a busy worker about a tenth of a core that the GUI thread wants.
BACKGROUND_NICE = 10
_NICE_PER_THREAD = sys.platform.startswith("linux")


def lower_current_thread_priority() -> None:
    """On Linux, for the calling thread from now on (a background runner calls it as it starts)."""
    if not _NICE_PER_THREAD:
        return
    try:
        thread_id = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread_id, max(os.getpriority(os.PRIO_PROCESS, thread_id), BACKGROUND_NICE))
    except OSError as exc:  # a sandbox may refuse it; the work still runs, only less politely
        log.debug("could not lower a worker thread's priority: %s", exc)


P = ParamSpec("P")
T = TypeVar("T")


class _Job:
    def __init__(self, executor: QThreadPoolExecutor, future: Future[Any], call: Callable[[], Any]) -> None:
        self._executor = executor
        self.future = future
        self._call = call

    def run(self) -> None:
        try:
            if not self.future.set_running_or_notify_cancel():
                return
            try:
                result = self._call()
            except BaseException as exc:
                self.future.set_exception(exc)
            else:
                self.future.set_result(result)
        finally:
            self._executor._forget(self)


class _Runner(QRunnable):
    """Runs queued jobs one after another on a pool thread until it is told to stop (a None in the queue)."""

    def __init__(self, executor: QThreadPoolExecutor) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._executor = executor

    def run(self) -> None:
        executor = self._executor
        if executor.background:
            lower_current_thread_priority()
        while True:
            job = executor._queue.get()
            if job is None:
                executor._runner_stops(self)
                return
            try:
                job.run()
            except Exception:  # the job's own errors went to its future; this would be ours
                log.exception("a worker job failed outside its future")
            if not executor._runner_waits(self):
                return


# Runners wait in Python for work. Left there when the interpreter finalizes, they are torn down mid-call and Qt
# prints about it; so at exit every executor still open is shut down first, as concurrent.futures does with its own.
_open_executors: weakref.WeakSet[QThreadPoolExecutor] = weakref.WeakSet()
EXIT_WAIT_SECONDS = 2.0


@atexit.register
def _shut_down_open_executors() -> None:
    for executor in list(_open_executors):
        executor.shutdown(wait=True, cancel_futures=True, timeout=EXIT_WAIT_SECONDS)


class QThreadPoolExecutor(Executor):
    """`background=True` for work the writer does not wait on frame by frame (uploads, painting, thumbnails)."""

    def __init__(self, max_workers: int = 4, name: str = "storyforge-worker", *, background: bool = False) -> None:
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(max_workers)
        self._pool.setObjectName(name)
        self.background = background
        if background:
            self._pool.setThreadPriority(QThread.Priority.LowPriority)  # Windows and macOS honour this
        # Re-entrant: a receiver connected directly (same thread) may submit from inside an emit.
        self._lock = threading.RLock()
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._jobs: set[_Job] = set()  # queued or running
        self._limit = max_workers
        self._runners: set[_Runner] = set()  # alive; kept referenced while the pool runs them
        self._idle = 0  # runners waiting for a job that no submit has promised to them yet
        self._closed = False
        self.finished_in_time = True
        _open_executors.add(self)

    def set_max_workers(self, count: int) -> None:
        """More runners start as soon as jobs wait for them; surplus ones stop after their current job."""
        with self._lock:
            self._limit = max(1, count)
            self._pool.setMaxThreadCount(self._limit)
            waiting = self._queue.qsize() - self._idle
            extra = 0 if self._closed else max(0, min(self._limit - len(self._runners), waiting))
            runners = [_Runner(self) for _ in range(extra)]
            self._runners.update(runners)
        for runner in runners:
            self._pool.start(runner)

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        job = _Job(self, future, lambda: fn(*args, **kwargs))
        runner: _Runner | None = None
        with self._lock:
            if self._closed:
                raise RuntimeError("the executor is shut down and takes no new work")
            self._jobs.add(job)
            if self._idle:
                self._idle -= 1  # a waiting runner takes it
            elif len(self._runners) < self._limit:
                runner = _Runner(self)
                self._runners.add(runner)
            self._queue.put(job)
        if runner is not None:
            self._pool.start(runner)
        return future

    def _runner_waits(self, runner: _Runner) -> bool:
        """A runner finished a job: False when it should stop (the limit shrank), else it waits for the next one."""
        with self._lock:
            if len(self._runners) > self._limit:
                self._runners.discard(runner)
                return False
            if self._queue.empty():
                self._idle += 1  # counted only when it will really wait, so a submit never counts on a busy one
            return True

    def _runner_stops(self, runner: _Runner) -> None:
        with self._lock:
            self._runners.discard(runner)

    def _forget(self, job: _Job) -> None:
        with self._lock:
            self._jobs.discard(job)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False, timeout: float | None = None) -> None:
        """Stop taking work; take queued jobs back (when asked); wait up to `timeout` s for running ones.

        `finished_in_time` says afterwards whether every job ended within the wait.
        """
        _open_executors.discard(self)
        with self._lock:
            self._closed = True
            if cancel_futures:
                while True:
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is not None:
                        job.future.cancel()
                        self._jobs.discard(job)
            for _ in self._runners:
                self._queue.put(None)  # one stop for each runner, after the jobs still queued
        if wait:
            self._pool.waitForDone(-1 if timeout is None else int(timeout * 1000))
        with self._lock:
            left = len(self._jobs)
        self.finished_in_time = left == 0
        if wait and left:
            log.warning("%d worker job(s) still running at shutdown", left)
