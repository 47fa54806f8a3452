"""`python -m tests.bench frames`: how often a window under the FramePacer paints while its text changes fast.

A label in a window (offscreen) changes its text every few milliseconds for a second, as a streamed scene does;
after each change the posted events are sent, where Qt would paint the change on its own. Side by side, in the
same run with the same changes: the same window without the pacer (`bare_*`), painting as Qt does.

Pass, on ratios only:
- paints ≤ 1.05× the 60 Hz frames that passed while the text changed (the bare window paints far more often);
- the shortest time between two paints ≥ a frame less 2 ms (the timer's millisecond rounding);
- of the paints the bare window made in the turn of the change itself, the paced window makes none.
The check that the paced window still shows every change lives in tests/test_ui_frame_pacer.py.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from desktop.qt.loop import EventLoop
from desktop.ui.window.frame_pacer import FRAME_S, FramePacer
from tests.bench.compare import Comparison, report

CHANGES = 250
CHANGE_EVERY_S = 0.004
ROUNDING_MS = 2.0


class _Paints(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.times.append(time.perf_counter())
        return False


@dataclass(frozen=True)
class Run:
    paints: int
    same_turn_paints: int
    frames: float
    min_gap_ms: float


async def _changing_text(paced: bool) -> Run:
    window = QWidget()
    label = QLabel("Scene 1 — 000 words", window)
    QVBoxLayout(window).addWidget(label)
    window.resize(480, 120)  # text of one width in a window of one size: no resize, so no expose, is painted
    if paced:
        FramePacer(window)
    paints = _Paints()
    label.installEventFilter(paints)
    window.show()
    try:
        deadline = time.monotonic() + 10
        while not paints.times:  # shown and painted once before anything is counted
            if time.monotonic() > deadline:
                raise RuntimeError("the window was not painted within 10 s")
            await asyncio.sleep(0.01)
        await asyncio.sleep(FRAME_S * 2)
        paints.times.clear()
        same_turn = 0
        started = time.perf_counter()
        for change in range(CHANGES):
            before = len(paints.times)
            label.setText(f"Scene 1 — {change:03d} words")
            QApplication.sendPostedEvents()  # where Qt would paint the change on its own
            same_turn += len(paints.times) > before
            await asyncio.sleep(CHANGE_EVERY_S)
        elapsed = time.perf_counter() - started
        gaps = [(later - earlier) * 1000 for earlier, later in zip(paints.times, paints.times[1:], strict=False)]
        return Run(len(paints.times), same_turn, elapsed / FRAME_S, min(gaps))
    finally:
        window.hide()
        window.deleteLater()


async def _measure() -> tuple[Run, Run]:
    return await _changing_text(paced=False), await _changing_text(paced=True)


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with asyncio.Runner(loop_factory=lambda: EventLoop(app)) as runner:
        bare, paced = runner.run(_measure())
    frame_ms = FRAME_S * 1000
    comparisons = [
        Comparison("paints", paced.paints, "frames", paced.frames, 1.05),
        Comparison("min_paint_gap_ms", paced.min_gap_ms, "frame_ms", frame_ms, 1.0, -ROUNDING_MS, at_least=True),
        Comparison("same_turn_paints", paced.same_turn_paints, "bare_same_turn_paints", bare.same_turn_paints, 0.0),
    ]
    context = (
        f"changes={CHANGES} change_every_ms={CHANGE_EVERY_S * 1000:.0f} bare_paints={bare.paints} "
        f"bare_frames={bare.frames:.0f} bare_min_paint_gap_ms={bare.min_gap_ms:.1f}"
    )
    return report("frames", comparisons, context)


if __name__ == "__main__":
    sys.exit(main())
