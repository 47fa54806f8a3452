"""The app's event loop: qasync's, with asyncio's own ready queue behind `call_soon` and a lighter `call_later`.

qasync starts a Qt timer for every `call_soon`. The loop makes thousands of them a second while uploads and
scenes arrive (asyncpg replies, executor results, tasks waking), and each one is a separate trip from Qt into
Python, which on a busy machine may wait for the GIL.
Here callbacks queue up and one timer runs them in order, as asyncio's own loop runs its `_ready` queue.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Callable
from typing import Any

import PySide6.QtCore  # noqa: F401  # before qasync, which takes the Qt binding already imported
import qasync


class EventLoop(qasync.QEventLoop):
    def __init__(self, app: Any = None, *, already_running: bool = False) -> None:
        self._ready: deque[asyncio.Handle] = deque()
        self._ready_scheduled = False
        super().__init__(app, already_running=already_running)

    def call_soon(
        self, callback: Callable[..., object], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        if self.get_debug():  # qasync's per-callback timer reports slow callbacks one by one
            return super().call_soon(callback, *args, context=context)
        handle = asyncio.Handle(callback, args, self, context=context)
        self._ready.append(handle)
        if not self._ready_scheduled:
            self._ready_scheduled = True
            super().call_soon(self._run_ready)
        return handle

    def call_later(
        self, delay: float, callback: Callable[..., object], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        # qasync first asks `inspect` whether the callback is a coroutine function and formats a debug message:
        # half of its cost per call, thousands of calls a story (every sleep, timeout and wake-up). asyncio's own
        # loop checks callbacks only in debug mode; so does this one.
        if self.get_debug():
            return super().call_later(delay, callback, *args, context=context)
        return self._add_callback(asyncio.Handle(callback, args, self, context=context), delay)

    def _run_ready(self) -> None:
        self._ready_scheduled = False
        try:
            # Only those queued so far: what they queue runs on the next turn, after Qt's own events.
            for _ in range(len(self._ready)):
                handle = self._ready.popleft()
                if not handle.cancelled():
                    handle._run()
        finally:
            if self._ready and not self._ready_scheduled:
                self._ready_scheduled = True
                super().call_soon(self._run_ready)
