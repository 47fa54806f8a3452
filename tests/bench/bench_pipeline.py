"""`python -m tests.bench pipeline`: a 12-scene story through the real StoryService with simulated latencies
(text 0.3 s per scene, streamed; image 1.0 s; upload 0.5 s on the real QThreadPoolExecutor), against the seed-style
sequential loop with the same stand-ins and against the critical-path bound, in one run on the app's loop.

A 5 ms timer on that loop (a precise QTimer) records the gap between its ticks through our run; just before, the
same timer ticks as long on the idle loop (`idle_*`): the floor this machine allows at this moment.
The database is a real PostgreSQL: STORYFORGE_DATABASE_URL when set, otherwise an embedded one in a temp folder.
Pass, on ratios only: ours ≥ 3.5× faster than the sequential loop and ≤ 1.15× the bound; the loop's p99 gap
≤ idle p99 + 2 ms and its longest gap ≤ 2× idle's (see tests.bench.compare).
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from concurrent.futures import Future
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncpg
from PIL import Image
from PySide6.QtWidgets import QApplication

from desktop.bible import Bible
from desktop.config import Settings
from desktop.db.connect import open_pool
from desktop.db.embedded import EmbeddedPostgres
from desktop.db.repositories import SceneRepository, StoryRepository, UndoLogRepository
from desktop.generation.base import (
    ImageAbilities,
    ImageRequest,
    Notify,
    Providers,
    SceneDraft,
    SceneStreaming,
    SceneWritten,
    TextEvent,
    TextRequest,
)
from desktop.models import Scene, Story, StoryRequest, StoryStatus, Upload
from desktop.qt.executor import QThreadPoolExecutor
from desktop.qt.loop import EventLoop
from desktop.services.runtime import WORKERS
from desktop.services.story_service import StoryService
from tests.bench.compare import TICK_S, Comparison, LoopLag, gap_comparisons, idle_gaps, percentile, report
from tests.support.generation_fixtures import stand_in_upload

SCENES = 12
TEXT_S = 0.3
IMAGE_S = 1.0
UPLOAD_S = 0.5
IMAGE_CONCURRENCY = 3
TEXT_PIECES = 10
T = TypeVar("T")
MIN_SPEEDUP = 3.5
MAX_RATIO_TO_BOUND = 1.15


def _picture() -> bytes:
    out = io.BytesIO()
    Image.radial_gradient("L").resize((768, 512)).convert("RGB").save(out, "PNG")
    return out.getvalue()


class SimulatedText:
    label = "simulated text"

    def __init__(self, seconds_per_scene: float) -> None:
        self.seconds = seconds_per_scene

    async def stream_scenes(self, request: TextRequest) -> AsyncGenerator[TextEvent, None]:
        for index in range(request.start, request.end):
            text = ""
            for piece in range(TEXT_PIECES):
                await asyncio.sleep(self.seconds / TEXT_PIECES)
                text += f"Sentence {piece + 1} of scene {index + 1}. "
                yield SceneStreaming(index, text)
            yield SceneWritten(index, SceneDraft(title=f"Scene {index + 1}", text=text, image_prompt=f"scene {index}"))

    async def draft_bible(self, title: str, prompt: str, style: str, characters: str) -> Bible:
        return Bible()

    async def aclose(self) -> None:
        return None


class SimulatedImage:
    label = "simulated images"
    model = "simulated"

    def __init__(self, seconds: float, picture: bytes) -> None:
        self.seconds = seconds
        self.picture = picture

    async def paint(self, request: ImageRequest) -> bytes:
        await asyncio.sleep(self.seconds)
        return self.picture

    async def abilities(self) -> ImageAbilities:
        return ImageAbilities(seed=False)

    async def aclose(self) -> None:
        return None


class SimulatedUploads:
    """The upload queue's contract; each upload is a blocking 0.5 s job on the real QThreadPoolExecutor."""

    def __init__(self, executor: QThreadPoolExecutor, seconds: float) -> None:
        self.executor = executor
        self.seconds = seconds
        self.jobs: dict[uuid.UUID, list[Future[None]]] = {}

    async def enqueue_scene_image(self, story: Story, scene: Scene, image: Path) -> Upload:
        self.jobs.setdefault(story.id, []).append(self.executor.submit(time.sleep, self.seconds))
        return stand_in_upload(story, scene, image, "simulated")

    async def wait_settled(self, story_id: uuid.UUID | None = None) -> None:
        for job in self.jobs.get(story_id, []) if story_id else []:
            await asyncio.wrap_future(job)

    async def upload_now(self) -> None:
        await asyncio.wrap_future(self.executor.submit(time.sleep, self.seconds))


async def _sequential(text: SimulatedText, image: SimulatedImage, uploads: SimulatedUploads) -> float:
    """The seed's loop: each scene's text, then await its image, then await its upload."""
    request = TextRequest(title="Bench", prompt="A bench story.", scene_count=SCENES)
    started = time.perf_counter()
    async with aclosing(text.stream_scenes(request)) as events:
        async for event in events:
            if isinstance(event, SceneWritten):
                await image.paint(ImageRequest(prompt=event.scene.image_prompt))
                await uploads.upload_now()
    return time.perf_counter() - started


async def _ours(service: StoryService, uploads: SimulatedUploads, scenes: int) -> tuple[float, Story]:
    request = StoryRequest(title="Bench", prompt="A bench story.", scene_count=scenes)
    started = time.perf_counter()
    story = await service.generate(request)
    await uploads.wait_settled(story.id)
    return time.perf_counter() - started, story


@dataclass(frozen=True)
class Figures:
    ours_s: float
    sequential_s: float
    bound_s: float
    gaps: list[float]
    sleep_gaps: list[float]
    idle_gaps: list[float]


def _bound_s() -> float:
    """The critical path: every scene's text one after another, or the images three at a time, whichever is longer."""
    return max(
        SCENES * TEXT_S + IMAGE_S + UPLOAD_S,
        TEXT_S + SCENES * IMAGE_S / IMAGE_CONCURRENCY + UPLOAD_S,
    )


async def _measure(folder: Path, dsn: str) -> Figures:
    pool: asyncpg.Pool = await open_pool(dsn)
    executor = QThreadPoolExecutor(max_workers=WORKERS, name="bench-pipeline", background=True)
    try:
        text, image = SimulatedText(0.0), SimulatedImage(0.0, _picture())
        uploads = SimulatedUploads(executor, 0.0)
        settings = Settings(data_dir=folder, user_id=uuid.uuid4(), image_concurrency=IMAGE_CONCURRENCY)

        def providers(_: Notify) -> Providers:
            return Providers(text=text, image=image)

        service = StoryService(
            settings=settings,
            stories=StoryRepository(pool),
            scenes=SceneRepository(pool),
            undo_log=UndoLogRepository(pool),
            executor=executor,
            uploads=uploads,
            providers=providers,
        )
        await _ours(service, uploads, 2)  # warm up: first queries, first image check, first write
        text.seconds, image.seconds, uploads.seconds = TEXT_S, IMAGE_S, UPLOAD_S

        idle = await idle_gaps(_bound_s())  # as long as our story should take, so both count as many ticks
        lag = LoopLag()
        lag.start()
        ours_s, story = await _ours(service, uploads, SCENES)
        await lag.stop()
        if story.status is not StoryStatus.complete:
            raise RuntimeError(f"the bench story ended {story.status}: {story.error}")
        sequential_s = await _sequential(text, image, uploads)
        await service.shutdown()
    finally:
        executor.shutdown(wait=True, timeout=10)
        await pool.close()
    return Figures(ours_s, sequential_s, _bound_s(), lag.gaps, lag.sleep_gaps, idle)


async def with_database(folder: Path, measure: Callable[[Path, str], Awaitable[T]]) -> T:
    """`measure(data folder, dsn)` on STORYFORGE_DATABASE_URL, or on an embedded server that is removed afterwards."""
    url = os.environ.get("STORYFORGE_DATABASE_URL")
    if url:
        return await measure(folder / "data", url)
    server = EmbeddedPostgres(folder / "postgres")
    starter = QThreadPoolExecutor(max_workers=1, name="bench-postgres")  # start() blocks: not on the loop
    try:
        dsn = await asyncio.wrap_future(starter.submit(server.start))
        try:
            return await measure(folder / "data", dsn)
        finally:
            # Stopped first; as root the cluster lives outside the temp folder (see cluster_dir) and goes too.
            await asyncio.wrap_future(starter.submit(server.stop))
            if server.cluster_dir.exists() and not server.cluster_dir.is_relative_to(folder):
                shutil.rmtree(server.cluster_dir, ignore_errors=True)
    finally:
        starter.shutdown(wait=True, timeout=10)


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with (
        tempfile.TemporaryDirectory(prefix="storyforge-bench-") as folder,
        asyncio.Runner(loop_factory=lambda: EventLoop(app)) as runner,
    ):
        figures = runner.run(with_database(Path(folder), _measure))
    comparisons = [
        Comparison(
            "ours_s", figures.ours_s, "sequential_s", figures.sequential_s, MIN_SPEEDUP, at_least=True, faster=True
        ),
        Comparison("ours_s", figures.ours_s, "bound_s", figures.bound_s, MAX_RATIO_TO_BOUND),
        *gap_comparisons(figures.gaps, figures.idle_gaps, "idle"),
    ]
    context = (
        f"scenes={SCENES} image_concurrency={IMAGE_CONCURRENCY} tick_ms={TICK_S * 1000:.0f} "
        f"ticks={len(figures.gaps)} idle_ticks={len(figures.idle_gaps)} "
        f"mean_gap_ms={statistics.fmean(figures.gaps):.2f} "
        f"sleep_max_gap_ms={max(figures.sleep_gaps):.1f} sleep_p99_gap_ms={percentile(figures.sleep_gaps, 0.99):.1f} "
        f"cpus={os.cpu_count()} load1={os.getloadavg()[0]:.2f}"
    )
    return report("pipeline", comparisons, context)


if __name__ == "__main__":
    sys.exit(main())
