"""`python -m tests.bench library`: the library's first page with 10,000 stories, against a library of one page.

The real window (offscreen) on a real PostgreSQL, as in the window bench. The library holds one page of stories
(200; 3 scenes each, one upload per scene, some failed); it is read again as a cleared search does, and the time
until its first page is in the list and painted is taken, five times. Then the library grows to 10,000 stories
(generate_series, no change announced) and the same is timed again, five times. The baseline is the one-page
library in the same run, on the same database and window, showing as many rows: the ratio is what the stories
beyond the first page cost.
Pass: median(10,000) / median(one page) ≤ 1.5. Printed, not judged here: the issue's absolute figure (≤ 100 ms).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import asyncpg

from desktop.secrets import SecretStore
from desktop.services.runtime import Runtime
from desktop.ui.library.library_model import PAGE_SIZE
from desktop.ui.window.main_window import MainWindow
from tests.bench.bench_window import bench_settings, run_with_window

SMALL, LARGE = PAGE_SIZE, 10_000
SCENES = 3
ROUNDS = 5
TARGET_RATIO = 1.5
TARGET_MS = 100.0

# Stories numbered from $1 to $2, each with its scenes and one upload per scene (every seventh story's failed).
_FILL = [
    """INSERT INTO stories (id, user_id, title, prompt, scene_count, status, created_at, updated_at)
       SELECT md5('story' || n)::uuid, $3, 'Story ' || n, 'A keeper finds key number ' || n, $4, 'complete',
              now() - make_interval(secs => $2 - n), now() - make_interval(secs => $2 - n)
       FROM generate_series($1::int, $2::int) AS n""",
    """INSERT INTO scenes (id, story_id, index, title, text)
       SELECT md5('scene' || n || '-' || i)::uuid, md5('story' || n)::uuid, i, 'Scene ' || i, 'It was night.'
       FROM generate_series($1::int, $2::int) AS n, generate_series(0, $4 - 1) AS i
       WHERE $3::uuid IS NOT NULL""",
    """INSERT INTO uploads (id, story_id, scene_id, scene_index, local_path, object_path, content_type, backend,
                            device, status)
       SELECT md5('upload' || n || '-' || i)::uuid, md5('story' || n)::uuid, md5('scene' || n || '-' || i)::uuid, i,
              'images/' || n || '-' || i || '.png', n || '/' || i || '.png', 'image/png', 'local', '',
              CASE WHEN n % 7 = 0 THEN 'failed' ELSE 'uploaded' END
       FROM generate_series($1::int, $2::int) AS n, generate_series(0, $4 - 1) AS i
       WHERE $3::uuid IS NOT NULL""",
]


async def _fill(dsn: str, first: int, last: int, user_id: object) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        # A library imported, not written while the app watched: no change is announced for each row.
        await connection.execute("SET session_replication_role = replica")
        async with connection.transaction():
            for statement in _FILL:
                await connection.execute(statement, first, last, user_id, SCENES)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def _first_page_ms(window: MainWindow) -> float:
    """Read the library again as the app does, and wait until its first page is in the list and painted."""
    loaded: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def arrived() -> None:
        if not loaded.done():
            loaded.set_result(None)

    window.library.loaded.connect(arrived)
    started = time.perf_counter()
    try:
        window.library_panel.reload()
        await asyncio.wait_for(loaded, timeout=30)
        window.library_view.viewport().repaint()  # the rows drawn, as the next frame would draw them
    finally:
        window.library.loaded.disconnect(arrived)
    elapsed = (time.perf_counter() - started) * 1000
    await asyncio.sleep(0.05)  # the count the reload started settles before the next round
    return elapsed


async def _rounds(window: MainWindow, stories: int) -> list[float]:
    await _first_page_ms(window)  # the statements prepared and planned for this many stories
    timings = [await _first_page_ms(window) for _ in range(ROUNDS)]
    if window.library.rowCount() != min(stories, PAGE_SIZE):
        raise RuntimeError(f"the library showed {window.library.rowCount()} rows of {stories} stories")
    return timings


async def _measure(folder: Path, dsn: str) -> dict[str, list[float]]:
    settings = bench_settings(folder, dsn, delay_s=0.0)
    runtime = Runtime(settings, SecretStore())
    window = MainWindow(runtime)
    window.show()
    try:
        if not await runtime.start_database():
            raise RuntimeError(runtime.database_error)
        await _fill(dsn, 1, SMALL, settings.user_id)
        small = await _rounds(window, SMALL)
        await _fill(dsn, SMALL + 1, LARGE, settings.user_id)
        large = await _rounds(window, LARGE)
    finally:
        window.shutdown()
        await runtime.shutdown()
        window.hide()
        window.deleteLater()
    return {"small": small, "large": large}


def main() -> int:
    runs = run_with_window(_measure)
    small, large = statistics.median(runs["small"]), statistics.median(runs["large"])
    ratio = large / small
    passed = ratio <= TARGET_RATIO

    def listed(values: list[float]) -> str:
        return ",".join(f"{value:.1f}" for value in values)

    print(
        f"bench library: ratio={ratio:.2f} first_page_ms={large:.1f} small_first_page_ms={small:.1f} "
        f"runs={listed(runs['large'])} small_runs={listed(runs['small'])} stories={LARGE} small_stories={SMALL} "
        f"scenes={SCENES} issue_target_ms={TARGET_MS:.0f}({'met' if large <= TARGET_MS else 'missed'}) "
        f"cpus={os.cpu_count()} load1={os.getloadavg()[0]:.2f} {'ok' if passed else 'FAILED'}"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
