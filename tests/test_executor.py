"""The QThreadPool executor: both asyncio doors work, errors reach the await, background work yields the CPU, and
shutdown is bounded and silent."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.qt.executor import BACKGROUND_NICE, QThreadPoolExecutor

from .conftest import Run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def executor(qapp: Any) -> Iterator[QThreadPoolExecutor]:
    pool = QThreadPoolExecutor(max_workers=2)
    yield pool
    pool.shutdown(wait=True, cancel_futures=True, timeout=5)


def worker_thread_name() -> str:
    return threading.current_thread().name


def test_run_in_executor_and_wrap_future_both_run_work_off_the_loop_thread(
    executor: QThreadPoolExecutor, run: Run
) -> None:
    async def both() -> tuple[str, str]:
        loop = asyncio.get_running_loop()
        first = await loop.run_in_executor(executor, worker_thread_name)
        second = await asyncio.wrap_future(executor.submit(worker_thread_name))
        return first, second

    names = run(both())
    assert all(name != threading.current_thread().name for name in names)


def test_an_exception_in_a_job_reraises_at_the_await(executor: QThreadPoolExecutor, run: Run) -> None:
    def broken() -> None:
        raise LookupError("the scene is gone")

    async def await_it() -> None:
        await asyncio.wrap_future(executor.submit(broken))

    with pytest.raises(LookupError, match="the scene is gone"):
        run(await_it())


def test_shutdown_takes_queued_jobs_back_and_waits_a_bounded_time(qapp: Any, run: Run, qtbot: Any) -> None:
    executor = QThreadPoolExecutor(max_workers=1)
    release = threading.Event()
    running = executor.submit(release.wait, 10)
    qtbot.waitUntil(running.running, timeout=5000)
    queued = [executor.submit(worker_thread_name) for _ in range(3)]

    executor.shutdown(wait=True, cancel_futures=True, timeout=0.2)

    assert all(future.cancelled() for future in queued)
    assert not executor.finished_in_time and not running.done()
    with pytest.raises(RuntimeError, match="shut down"):
        executor.submit(worker_thread_name)
    release.set()
    assert running.result(timeout=5) is True
    executor.shutdown(wait=True, timeout=5)
    assert executor.finished_in_time


def thread_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_background_work_gives_the_cpu_to_the_window_first(executor: QThreadPoolExecutor, qapp: Any) -> None:
    background = QThreadPoolExecutor(max_workers=2, name="test-background", background=True)
    try:
        window_nice = thread_nice()
        jobs = [background.submit(thread_nice) for _ in range(4)]
        assert all(job.result(timeout=5) >= max(window_nice, BACKGROUND_NICE) for job in jobs)
        assert thread_nice() == window_nice
        assert executor.submit(thread_nice).result(timeout=5) == window_nice  # a plain executor keeps its priority
    finally:
        background.shutdown(wait=True, timeout=5)


def test_many_jobs_share_at_most_max_workers_threads(qapp: Any) -> None:
    executor = QThreadPoolExecutor(max_workers=3, name="test-runners")
    try:
        futures = [executor.submit(lambda n=n: (n * n, threading.get_ident())) for n in range(60)]
        results = [future.result(timeout=10) for future in futures]
    finally:
        executor.shutdown(wait=True, timeout=5)
    assert [square for square, _ in results] == [n * n for n in range(60)]
    assert 1 <= len({thread for _, thread in results}) <= 3
    assert executor.finished_in_time


def test_an_executor_never_shut_down_still_lets_the_process_exit() -> None:
    script = (
        "from desktop.qt.executor import QThreadPoolExecutor\n"
        "executor = QThreadPoolExecutor(max_workers=2)\n"
        "print(sum(f.result(timeout=10) for f in [executor.submit(pow, 2, n) for n in range(8)]))\n"
    )
    finished = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "255"
    assert finished.stderr == ""
