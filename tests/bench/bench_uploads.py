"""`python -m tests.bench uploads`: 100 images of 1 MB through the UploadManager vs raw httpx, same server, same run.

The loopback Storage server runs in its own process (so it does not share our GIL); the database is
STORYFORGE_DATABASE_URL when set, otherwise an embedded PostgreSQL removed afterwards; the loop is the app's
(qasync, started as desktop.app starts it) with the benches' precise 5 ms timer on it (tests.bench.compare) that
records the gaps between its ticks throughout our uploads.

- ours_mb_s: the UploadManager draining an outbox that holds all 100 images — claim, send through supabase-py,
  signed URL, record — from `start()` until every row is `uploaded`.
- end_to_end_mb_s: the same with the images handed over while the queue runs, so hashing each image and writing
  its outbox row count too (reported, not judged).
- raw_mb_s: a plain ThreadPoolExecutor of the same concurrency and thread priority (background, as ours) posting
  the same files with one httpx.Client, with the same timer on the loop; its gaps (`raw_*`) are what this machine
  allows the loop at best while that much data moves.
Pass, on ratios only: ours_mb_s ≥ 0.8× raw_mb_s; the loop's p99 gap ≤ raw p99 + 2 ms and its longest gap ≤ 2× raw's.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncpg
import httpx
from pydantic import SecretStr
from PySide6.QtWidgets import QApplication

from desktop.config import Settings
from desktop.db.connect import open_pool
from desktop.db.repositories import SceneRepository, StoryRepository
from desktop.models import Scene, Story, StoryRequest, UploadStatus
from desktop.qt.executor import QThreadPoolExecutor, lower_current_thread_priority
from desktop.qt.loop import EventLoop
from desktop.services.runtime import WORKERS
from desktop.services.upload_manager import UploadManager
from tests.bench.bench_pipeline import with_database
from tests.bench.compare import Comparison, LoopLag, gap_comparisons, report

IMAGES = 100
IMAGE_BYTES = 1 << 20
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
PAINTERS = int(os.environ.get("BENCH_PAINTERS", "4"))  # images are handed over as this many painters finish them
ROUNDS = 5  # best of five on each side: a drain takes a fraction of a second, so one busy moment decides a round
BUCKET = "bench-images"
KEY = "bench.service.key"
MIN_RATIO = 0.8


def _make_images(folder: Path) -> list[Path]:
    """1 MB files that are PNGs to the content sniffer: the signature, then noise that no one compresses."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(IMAGES):
        path = folder / f"image-{index:03d}.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(IMAGE_BYTES - 8))
        paths.append(path)
    return paths


def _raw_upload_seconds(url: str, images: list[Path], round_number: int) -> float:
    headers = {"Authorization": f"Bearer {KEY}", "apikey": KEY, "x-upsert": "true"}
    with httpx.Client(timeout=30) as client:

        def send(path: Path) -> None:
            with path.open("rb") as file:
                response = client.post(
                    f"{url}/storage/v1/object/{BUCKET}/raw/{round_number}/{path.name}",
                    files={"file": (path.name, file, "image/png")},
                    data={"cacheControl": "3600"},
                    headers=headers,
                )
            response.raise_for_status()

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CONCURRENCY, initializer=lower_current_thread_priority) as pool:
            list(pool.map(send, images))
        return time.perf_counter() - started


async def _new_stories(
    stories: StoryRepository, scenes: SceneRepository, images: list[Path]
) -> list[tuple[Story, list[Scene], list[Path]]]:
    """Fresh stories for the images (50 scenes at most each), so every round uploads new objects."""
    books = []
    for start in range(0, len(images), 50):
        batch = images[start : start + 50]
        request = StoryRequest(title="Benchmark", prompt="One hundred pictures.", scene_count=len(batch))
        story = await stories.create(Story.create(request, user_id=uuid.uuid4()))
        saved = await scenes.save_many(
            [Scene.create(story.id, i, f"Scene {i + 1}", "Text.") for i in range(len(batch))]
        )
        books.append((story, saved, batch))
    return books


async def _enqueue(manager: UploadManager, books: list[tuple[Story, list[Scene], list[Path]]]) -> None:
    """Hand the images over as PAINTERS painters finish them, as the StoryService does."""
    painters = asyncio.Semaphore(PAINTERS)

    async def painted(story: Story, scene: Scene, image: Path) -> None:
        async with painters:
            await manager.enqueue_scene_image(story, scene, image)

    await asyncio.gather(
        *(
            painted(story, scene, image)
            for story, saved, batch in books
            for scene, image in zip(saved, batch, strict=True)
        )
    )


async def _settle(manager: UploadManager, books: list[tuple[Story, list[Scene], list[Path]]]) -> None:
    for story, _, _ in books:
        await manager.wait_settled(story.id)
        uploads = await manager.uploads(story_id=story.id)
        if [upload.status for upload in uploads] != [UploadStatus.uploaded] * len(uploads):
            raise RuntimeError(f"not every upload succeeded: {[upload.error_message for upload in uploads]}")


async def _ours(settings: Settings, pool: asyncpg.Pool, executor: QThreadPoolExecutor, images: list[Path]) -> Round:
    """One round through fresh managers: drain a filled outbox, then enqueue-and-upload end to end."""
    stories, scenes = StoryRepository(pool), SceneRepository(pool)
    draining = UploadManager(settings=settings, pool=pool, executor=executor)
    arriving = UploadManager(settings=settings, pool=pool, executor=executor)
    for manager in (draining, arriving):
        await _check(manager)  # the client (supabase-py's import) and the bucket check: once per session
    # The stories and scenes exist before the images do (the StoryService wrote them): not ours to time.
    books, more_books = await _new_stories(stories, scenes, images), await _new_stories(stories, scenes, images)
    heartbeat = LoopLag()
    heartbeat.start()
    # 1. The outbox holds every image (written while the app was closed, or offline); the queue starts.
    await _enqueue(draining, books)
    started = time.perf_counter()
    await draining.start()
    await _settle(draining, books)
    drain = time.perf_counter() - started
    await draining.shutdown()
    # 2. The queue runs while the images arrive: hashing and recording each one is counted too.
    await arriving.start()
    started = time.perf_counter()
    await _enqueue(arriving, more_books)
    await _settle(arriving, more_books)
    end_to_end = time.perf_counter() - started
    await arriving.shutdown()
    await heartbeat.stop()
    return Round(drain, end_to_end, heartbeat.gaps)


async def _check(manager: UploadManager) -> None:
    failure = await manager.check_storage()  # the client and the bucket check: once per session, not timed
    if failure is not None:
        raise RuntimeError(failure.message)


@dataclass(frozen=True)
class Round:
    drain_s: float
    end_to_end_s: float
    gaps: list[float]


@dataclass(frozen=True)
class Figures:
    ours_mb_s: float
    raw_mb_s: float
    end_to_end_mb_s: float
    gaps: list[float]
    raw_gaps: list[float]


async def _measure(folder: Path, dsn: str, url: str) -> Figures:
    executor = QThreadPoolExecutor(max_workers=WORKERS, background=True)  # as the Runtime makes it
    pool = await open_pool(dsn)
    settings = Settings(
        data_dir=folder,
        user_id=uuid.uuid4(),
        storage_backend="supabase",
        supabase_url=url,
        supabase_key=SecretStr(KEY),
        supabase_bucket=BUCKET,
        upload_concurrency=CONCURRENCY,
        request_timeout=30,
    )
    try:
        images = await asyncio.wrap_future(executor.submit(_make_images, folder / "cache"))
        raw_times: list[float] = []
        raw_gaps: list[float] = []
        rounds: list[Round] = []
        with ThreadPoolExecutor(max_workers=1) as baseline:
            for round_number in range(ROUNDS):
                # The baseline runs off the loop with the same timer ticking: its gaps are this machine's floor.
                heartbeat = LoopLag()
                heartbeat.start()
                raw = baseline.submit(_raw_upload_seconds, url, images, round_number)
                raw_times.append(await asyncio.wrap_future(raw))
                await heartbeat.stop()
                raw_gaps += heartbeat.gaps
                rounds.append(await _ours(settings, pool, executor, images))
    finally:
        await pool.close()
        executor.shutdown(wait=True, cancel_futures=True, timeout=10)
    megabytes = IMAGES * IMAGE_BYTES / 1e6
    return Figures(
        ours_mb_s=megabytes / min(r.drain_s for r in rounds),
        raw_mb_s=megabytes / min(raw_times),
        end_to_end_mb_s=megabytes / min(r.end_to_end_s for r in rounds),
        gaps=[gap for r in rounds for gap in r.gaps],
        raw_gaps=raw_gaps,
    )


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.storage_server", "--key", KEY, "--bucket", BUCKET],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = json.loads(server.stdout.readline())["url"]
        gc.freeze()  # as desktop.app does before it starts the loop
        with (
            tempfile.TemporaryDirectory(prefix="storyforge-bench-") as folder,
            asyncio.Runner(loop_factory=lambda: EventLoop(app)) as runner,
        ):
            figures = runner.run(with_database(Path(folder), lambda data, dsn: _measure(data, dsn, url)))
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)
    comparisons = [
        Comparison("ours_mb_s", figures.ours_mb_s, "raw_mb_s", figures.raw_mb_s, MIN_RATIO, at_least=True),
        *gap_comparisons(figures.gaps, figures.raw_gaps, "raw"),
    ]
    context = (
        f"end_to_end_mb_s={figures.end_to_end_mb_s:.0f} ticks={len(figures.gaps)} raw_ticks={len(figures.raw_gaps)} "
        f"images={IMAGES} image_mb=1 concurrency={CONCURRENCY} cpus={os.cpu_count()} load1={os.getloadavg()[0]:.2f}"
    )
    return report("uploads", comparisons, context)


if __name__ == "__main__":
    sys.exit(main())
