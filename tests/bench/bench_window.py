"""`python -m tests.bench window`: the loop's heartbeat with the real main window open and shown (offscreen).

The app as a writer runs it: a Runtime and its MainWindow on a real PostgreSQL (STORYFORGE_DATABASE_URL when set,
otherwise an embedded one in a temp folder, its cluster removed afterwards), the offline generator streaming with a
small delay and painting real images, the local storage backend, thumbnails scaled off-thread into the scene
cards. A 12-scene story is started as Generate starts it; the story view follows it until every scene is written,
painted, uploaded and its thumbnail shown. Through that run a precise 5 ms QTimer on the loop records the gaps
between its ticks (as in the pipeline bench).

The baseline, in the same run and just before: the same story with the window hidden (`hidden_*`), its widgets
fed by the same signals but never laid out or painted. That is the loop's floor on this machine at this moment;
the difference is what showing the window costs.
Pass, on the comparison only: p99 gap ≤ hidden p99 + 2 ms, longest gap ≤ 2× hidden's (see tests.bench.compare).
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtWidgets import QApplication

from desktop.config import Settings
from desktop.logs import setup_logging
from desktop.models import Story, StoryRequest, StoryStatus
from desktop.qt.loop import EventLoop
from desktop.qt.messages import route_qt_messages_to_log
from desktop.secrets import SecretStore
from desktop.services.runtime import Runtime
from desktop.ui.window.main_window import MainWindow
from tests.bench.bench_pipeline import with_database
from tests.bench.compare import TICK_S, LoopLag, gap_comparisons, report

SCENES = 12
DELAY_S = 0.25  # the offline generator streams each scene's text over this long, and waits this long per image
T = TypeVar("T")
PROMPT = "Mira, a lighthouse keeper in the village of Harrow, finds a brass key in the belly of a fish."


def _all_shown(window: MainWindow, count: int) -> bool:
    cards = window.story_view.cards
    return len(cards) == count and all(card.placeholder_text is None for card in cards.values())


async def write_story(window: MainWindow, runtime: Runtime, title: str, scenes: int) -> Story:
    """Generate as the Generate button does; return once the story is finished, uploaded and fully shown."""
    assert runtime.session is not None
    service, uploads = runtime.session.stories, runtime.session.uploads
    finished: asyncio.Future[Story] = asyncio.get_running_loop().create_future()

    def changed(story: Story) -> None:
        if story.title == title and not story.status.is_running and not finished.done():
            finished.set_result(story)

    service.story_changed.connect(changed)
    try:
        window.generate(StoryRequest(title=title, prompt=PROMPT, scene_count=scenes))
        story = await asyncio.wait_for(finished, timeout=120)
    finally:
        service.story_changed.disconnect(changed)
    if story.status is not StoryStatus.complete:
        raise RuntimeError(f"the bench story ended {story.status}: {story.error}")
    await uploads.wait_settled(story.id)
    deadline = time.monotonic() + 30
    while not _all_shown(window, scenes):  # the last thumbnails are scaled on their own workers
        if time.monotonic() > deadline:
            raise RuntimeError("the scene cards did not all show their thumbnails within 30 s")
        await asyncio.sleep(0.02)
    return story


def bench_settings(folder: Path, dsn: str, delay_s: float) -> Settings:
    return Settings(
        database_url=dsn, data_dir=folder, user_id=uuid.uuid4(), offline_delay=delay_s, storage_backend="local"
    )


@dataclass(frozen=True)
class Figures:
    gaps: list[float]
    hidden_gaps: list[float]
    story_s: float
    gui_cpu_s: float
    hidden_story_s: float
    hidden_gui_cpu_s: float


async def _measure(folder: Path, dsn: str) -> Figures:
    runtime = Runtime(bench_settings(folder, dsn, DELAY_S), SecretStore())
    window = MainWindow(runtime)
    window.show()
    try:
        if not await runtime.start_database():
            raise RuntimeError(runtime.database_error)
        await write_story(window, runtime, "Warming up", 2)  # first queries, font, first paint, first thumbnail
        window.hide()  # the baseline: the same story, its widgets fed but never laid out or painted
        hidden = await _timed_story(window, runtime, "The Key in the Fish (hidden)")
        await _shown(window)
        shown = await _timed_story(window, runtime, "The Key in the Fish")
    finally:
        window.shutdown()
        await runtime.shutdown()
        window.hide()
        window.deleteLater()
    return Figures(shown[0], hidden[0], shown[1], shown[2], hidden[1], hidden[2])


class _FirstPaint(QObject):
    def __init__(self, done: asyncio.Future[None]) -> None:
        super().__init__()
        self._done = done

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._done.done():
            self._done.set_result(None)
        return False


async def _shown(window: MainWindow) -> None:
    """Show the window and wait for its first paint (the whole window, laid out again), before any timing."""
    painted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    watch = _FirstPaint(painted)
    window.installEventFilter(watch)
    try:
        window.show()
        await asyncio.wait_for(painted, timeout=10)
    finally:
        window.removeEventFilter(watch)


async def _timed_story(window: MainWindow, runtime: Runtime, title: str) -> tuple[list[float], float, float]:
    """The heartbeat's gaps while a story is written and shown, its time, and the loop thread's CPU time."""
    lag = LoopLag()
    lag.start()
    started, gui_cpu = time.perf_counter(), time.thread_time()  # the loop's thread is this one
    await write_story(window, runtime, title, SCENES)
    story_s, gui_cpu_s = time.perf_counter() - started, time.thread_time() - gui_cpu
    await lag.stop()
    return lag.gaps, story_s, gui_cpu_s


def run_with_window(measure: Callable[[Path, str], Awaitable[T]]) -> T:
    """`measure(data folder, dsn)` on the app's loop, with the app's logging, in a temporary folder."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="storyforge-bench-window-") as folder:
        # Window geometry and dock positions are remembered with QSettings: in the temp folder, never the writer's.
        for settings_format in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
            QSettings.setPath(settings_format, QSettings.Scope.UserScope, str(Path(folder) / "qsettings"))
        # As the app does: its log and Qt's own warnings go to a log file (in the temp folder), not the terminal.
        setup_logging(Path(folder) / "logs")
        route_qt_messages_to_log()
        gc.freeze()  # as desktop.app does before it starts the loop
        with asyncio.Runner(loop_factory=lambda: EventLoop(app)) as runner:
            return runner.run(with_database(Path(folder), measure))


def main() -> int:
    figures = run_with_window(_measure)
    context = (
        f"ticks={len(figures.gaps)} hidden_ticks={len(figures.hidden_gaps)} tick_ms={TICK_S * 1000:.0f} "
        f"mean_gap_ms={statistics.fmean(figures.gaps):.2f} story_s={figures.story_s:.2f} "
        f"hidden_story_s={figures.hidden_story_s:.2f} gui_cpu_s={figures.gui_cpu_s:.2f} "
        f"hidden_gui_cpu_s={figures.hidden_gui_cpu_s:.2f} scenes={SCENES} delay_s={DELAY_S} "
        f"cpus={os.cpu_count()} load1={os.getloadavg()[0]:.2f}"
    )
    return report("window", gap_comparisons(figures.gaps, figures.hidden_gaps, "hidden"), context)


if __name__ == "__main__":
    sys.exit(main())
