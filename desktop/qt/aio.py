"""Running a coroutine from Qt: the task is kept referenced until done and its failure is reported, never lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")

# Each step of quitting (cancelling tasks, letting running uploads end, closing the pool, stopping the executors)
# waits at most this long, so one stuck piece never keeps the app from closing; what is left resumes at next start.
SHUTDOWN_GRACE_S = 5.0


class TaskRunner(QObject):
    """The one door from slots into coroutines. `failed(title, exception)` reaches the window."""

    failed = Signal(str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, coro: Coroutine[Any, Any, T], title: str) -> asyncio.Task[T]:
        """Schedule `coro`; `title` says in the writer's words what was being done ("Generating the story")."""
        task = asyncio.ensure_future(coro)
        task.set_name(title)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    @property
    def running(self) -> int:
        return len(self._tasks)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("%s failed", task.get_name(), exc_info=exc)
            self.failed.emit(task.get_name(), exc)

    async def cancel_all(self, timeout: float = SHUTDOWN_GRACE_S) -> None:
        """Cancel every task still running and wait (bounded) until they have unwound."""
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
