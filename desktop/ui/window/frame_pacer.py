"""Paint a window at most once a frame, on a turn of the event loop of its own."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget

FRAME_S = 1 / 60


class FramePacer(QObject):
    """Holds a window's repaints back to one per frame, each on a timer of its own.

    Qt repaints a window as soon as the events queued with its first change have run: in the same turn of the
    loop as the change (a scene saved, then the card, the library's row and the progress line painted), and some
    sixty times a second at uneven moments while a story is written. Here the repaint Qt asks for waits for a
    timer, at the end of the frame if the last paint was less than a frame ago, else at once on the next turn.
    The changes of one frame are painted together, and the loop gets a turn between a change and its paint.
    Qt keeps the regions to repaint meanwhile; exposing a window is painted as before, without waiting.
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._painted_at = 0.0
        self._delivering = False
        self._after_paint: list[Callable[[], None]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._paint)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.UpdateRequest and not self._delivering:
            if not self._timer.isActive():
                wait_ms = round((self._painted_at + FRAME_S - time.monotonic()) * 1000)
                self._timer.start(max(1, wait_ms))
            return True
        return False

    def after_next_paint(self, callback: Callable[[], None]) -> None:
        """`callback` runs on the loop turn after the window's next paint: that frame waits for nothing it does."""
        self._after_paint.append(callback)

    def _paint(self) -> None:
        self._painted_at = time.monotonic()
        self._delivering = True
        try:
            QCoreApplication.sendEvent(self._window, QEvent(QEvent.Type.UpdateRequest))
        finally:
            self._delivering = False
        callbacks, self._after_paint = self._after_paint, []
        for callback in callbacks:
            QTimer.singleShot(0, self._window, callback)  # not at all once the window is gone


# Where no paint comes (a platform that paints nothing until asked), the start goes on after this long.
FIRST_PAINT_TIMEOUT_S = 0.25


async def first_paint(window: QWidget) -> None:
    """Return once `window` has painted (after `show`), so what follows does not hold its first frame back."""
    painted = asyncio.get_running_loop().create_future()
    watcher = _PaintWatcher(window, painted)
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(painted, FIRST_PAINT_TIMEOUT_S)
    finally:
        window.removeEventFilter(watcher)
        watcher.deleteLater()
    await asyncio.sleep(0)  # the loop turn after the paint: the frame is on screen


class _PaintWatcher(QObject):
    def __init__(self, window: QWidget, painted: asyncio.Future[None]) -> None:
        super().__init__(window)
        self._painted = painted
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._painted.done():
            self._painted.set_result(None)
        return False
