"""`python -m tests.bench real_stream`: a story written by the real OpenAI-compatible provider through the real
StoryService, from a loopback server that streams as a small local model does (issue 14): the scenes asked, then
the list again from scene 1, on and on until max_tokens, in small chunks with a pause between them.

The story must end soon after its last needed scene arrived, not when the server runs out of tokens: its time
(generate called → generate returned) against the time to the last needed scene (generate called → that scene
stored), both measured in the same run. Pass: story ≤ 1.2× last scene. The time the server would have taken to send
its whole answer is shown beside, not judged. Images are instant stand-ins: the figure is about reading the text.
The database is a real PostgreSQL: STORYFORGE_DATABASE_URL when set, otherwise an embedded one in a temp folder.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncpg
from PySide6.QtWidgets import QApplication

from desktop.config import Settings
from desktop.db.connect import open_pool
from desktop.db.repositories import SceneRepository, StoryRepository, UndoLogRepository
from desktop.generation.base import Notify, Providers
from desktop.generation.openai_text import OpenAITextProvider
from desktop.models import Scene, StoryRequest, StoryStatus
from desktop.qt.executor import QThreadPoolExecutor
from desktop.qt.loop import EventLoop
from desktop.services.runtime import WORKERS
from desktop.services.story_service import StoryService
from tests.bench.bench_pipeline import SimulatedImage, SimulatedUploads, _picture, with_database
from tests.bench.compare import Comparison, report
from tests.support.openai_server import FakeOpenAIServer

SCENES = 6
CHUNK_CHARS = 16  # about four tokens
CHUNK_PAUSE_S = 0.004  # ≈ 1000 tokens/s: a fast server; a slow one only widens the gap this bench guards
MAX_RATIO = 1.2


@dataclass(frozen=True)
class Figures:
    story_s: float
    last_scene_s: float
    whole_answer_s: float
    chunks_sent: int
    chunks_in_answer: int
    requests: int


async def _story(service: StoryService, scenes: int) -> tuple[float, float]:
    """(story time, time to its last scene stored), both from the moment generate is called."""
    stored: list[float] = []

    def saved(scene: Scene) -> None:
        stored.append(time.perf_counter())

    service.scene_saved.connect(saved)
    started = time.perf_counter()
    try:
        story = await service.generate(StoryRequest(title="Salt Gate", prompt="Ama waits.", scene_count=scenes))
    finally:
        service.scene_saved.disconnect(saved)
    ended = time.perf_counter()
    if story.status is not StoryStatus.complete:
        raise RuntimeError(f"the bench story ended {story.status}: {story.error}")
    return ended - started, stored[-1] - started


async def _measure(folder: Path, dsn: str) -> Figures:
    server = FakeOpenAIServer()
    server.start()
    pool: asyncpg.Pool = await open_pool(dsn)
    executor = QThreadPoolExecutor(max_workers=WORKERS, name="bench-real-stream", background=True)
    try:
        image = SimulatedImage(0.0, _picture())
        uploads = SimulatedUploads(executor, 0.0)
        settings = Settings(data_dir=folder, user_id=uuid.uuid4())

        def providers(notify: Notify) -> Providers:
            text = OpenAITextProvider(
                base_url=server.base_url, model="story-model", api_key=server.api_key, timeout=30.0, notify=notify
            )
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
        await _story(service, 1)  # warm up: first queries, first connection, first image check
        server.endless = True
        server.chunk_size, server.chunk_pause = CHUNK_CHARS, CHUNK_PAUSE_S
        before = len(server.chat_bodies())
        story_s, last_scene_s = await _story(service, SCENES)
        await service.shutdown()
        log = server.stream_log()[-1]
        requests = len(server.chat_bodies()) - before
    finally:
        executor.shutdown(wait=True, timeout=10)
        await pool.close()
        server.stop()
    return Figures(story_s, last_scene_s, log.chunks * CHUNK_PAUSE_S, log.sent, log.chunks, requests)


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with (
        tempfile.TemporaryDirectory(prefix="storyforge-bench-") as folder,
        asyncio.Runner(loop_factory=lambda: EventLoop(app)) as runner,
    ):
        figures = runner.run(with_database(Path(folder), _measure))
    comparisons = [Comparison("story_s", figures.story_s, "last_scene_s", figures.last_scene_s, MAX_RATIO)]
    context = (
        f"scenes={SCENES} requests={figures.requests} chunks_sent={figures.chunks_sent} of "
        f"{figures.chunks_in_answer} (to max_tokens) whole_answer_s≈{figures.whole_answer_s:.2f} "
        f"chunk={CHUNK_CHARS} chars every {CHUNK_PAUSE_S * 1000:.0f} ms cpus={os.cpu_count()} "
        f"load1={os.getloadavg()[0]:.2f}"
    )
    return report("real_stream", comparisons, context)


if __name__ == "__main__":
    sys.exit(main())
