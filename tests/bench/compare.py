"""What every bench shares: the loop's heartbeat, an idle loop's heartbeat as a baseline, and the judged line.

A bench judges ratios, never absolute times: on a shared 2-core machine an absolute millisecond measures the load
as much as our code. Each judged figure is compared with a baseline measured in the same run on the same machine
(an idle loop, a raw client, a hidden window, a sequential loop), and `Comparison.line` prints both sides:

    bench <name>: <figure>=… baseline <what>=… ratio=… (target ≤ …) ok|FAILED
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer

TICK_S = 0.005
# A loop's p99 gap may exceed its baseline's by this much: the timer's millisecond rounding and a little work.
P99_SLACK_MS = 2.0
# Its longest gap may be this many times its baseline's: a busy machine stretches both alike.
MAX_GAP_FACTOR = 2.0


class LoopLag:
    """A timer due every 5 ms on the loop; the gaps between its ticks show how long anything held the loop.

    The main figure comes from a QTimer with Qt's precise timer type, on the loop's thread (with qasync, Qt's event
    loop is the asyncio loop). A second ticker awaits asyncio.sleep(0.005): qasync schedules that on a coarse Qt
    timer in whole milliseconds, so its gaps also show timer rounding (p99 ≈ 8.5 ms on an idle loop); reported too.
    """

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.sleep_gaps: list[float] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(round(TICK_S * 1000))
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self._task: asyncio.Task[None] | None = None

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    async def _sleep_ticks(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(TICK_S)
            now = time.perf_counter()
            self.sleep_gaps.append((now - last) * 1000)
            last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()
        self._task = asyncio.ensure_future(self._sleep_ticks())

    async def stop(self) -> None:
        self._timer.stop()
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])


async def idle_gaps(seconds: float) -> list[float]:
    """The same heartbeat for `seconds` on a loop with nothing else to do: this machine's floor at this moment."""
    lag = LoopLag()
    lag.start()
    await asyncio.sleep(seconds)
    await lag.stop()
    return lag.gaps


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


@dataclass(frozen=True)
class Comparison:
    """`figure` against `baseline`, judged on their ratio only.

    Pass when figure ≤ factor × baseline + slack (or ≥ with `at_least`). With `faster`, the ratio is
    baseline / figure: how many times faster than the baseline, for times where less is better.
    """

    figure: str
    value: float
    baseline: str
    base: float
    factor: float
    slack: float = 0.0
    at_least: bool = False
    faster: bool = False

    @property
    def ratio(self) -> float:
        over, under = (self.base, self.value) if self.faster else (self.value, self.base)
        return over / under if under else (0.0 if over == 0 else math.inf)

    @property
    def target(self) -> float:
        return self.factor + (self.slack / self.base if self.base else 0.0)

    @property
    def passed(self) -> bool:
        return self.ratio >= self.target if self.at_least else self.ratio <= self.target

    def line(self, bench: str) -> str:
        rule = f"target {'≥' if self.at_least else '≤'} {self.target:.2f}"
        if self.slack:
            rule += f": {self.baseline} {'+' if self.slack > 0 else '-'} {abs(self.slack):g} ms"
        if self.faster:
            rule = f"{self.baseline}/{self.figure}, {rule}"
        return (
            f"bench {bench}: {self.figure}={self.value:.2f} baseline {self.baseline}={self.base:.2f} "
            f"ratio={self.ratio:.2f} ({rule}) {'ok' if self.passed else 'FAILED'}"
        )


def gap_comparisons(gaps: list[float], baseline_gaps: list[float], baseline: str) -> list[Comparison]:
    """The loop's p99 and longest gap against a baseline's, taken with the same timer in the same run."""
    return [
        Comparison(
            "p99_gap_ms",
            percentile(gaps, 0.99),
            f"{baseline}_p99_gap_ms",
            percentile(baseline_gaps, 0.99),
            factor=1.0,
            slack=P99_SLACK_MS,
        ),
        Comparison("max_gap_ms", max(gaps), f"{baseline}_max_gap_ms", max(baseline_gaps), factor=MAX_GAP_FACTOR),
    ]


def report(bench: str, comparisons: list[Comparison], context: str = "") -> int:
    """Print each comparison's line (and the figures shown beside them, not judged); 1 when any failed."""
    for comparison in comparisons:
        print(comparison.line(bench))
    if context:
        print(f"bench {bench}: {context} (not judged)")
    return 0 if all(comparison.passed for comparison in comparisons) else 1
