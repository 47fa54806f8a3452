"""`python -m tests.bench offline`: the offline generator writing and painting a 12-scene story with no delay.

Text through OfflineTextProvider on the app's loop; images through OfflineImageProvider on the QThreadPoolExecutor,
first one at a time (the time per image), then three at a time as the StoryService paints (the story's wall time).

The baseline, in the same run on the same executor: encoding each painted picture again as the same PNG
(`encode_ms_mean`). Any painter pays that much to hand over a picture of this size and detail, so the ratio is what
the drawing itself costs on top, and a busy machine slows both sides alike.
Pass, on the ratio only: image_ms_mean ≤ 4× encode_ms_mean (about twice the ratio the painter shows today).
"""

from __future__ import annotations

import asyncio
import io
import os
import statistics
import sys
import time
from contextlib import aclosing

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image
from PySide6.QtWidgets import QApplication

from desktop.generation.base import ImageRequest, SceneDraft, SceneWritten, TextRequest
from desktop.generation.images import check_image
from desktop.generation.offline_image import OfflineImageProvider
from desktop.generation.offline_text import OfflineTextProvider
from desktop.qt.executor import QThreadPoolExecutor
from desktop.qt.loop import EventLoop
from tests.bench.compare import Comparison, report

SCENES = 12
CONCURRENCY = 3
MAX_RATIO_TO_ENCODE = 4.0
REQUEST = TextRequest(
    title="The Key in the Fish",
    prompt="Mira, a lighthouse keeper in the village of Harrow, finds a brass key in the belly of a fish.",
    scene_count=SCENES,
    seed=2026,
)


def _encode(picture: Image.Image) -> bytes:
    """The same PNG the painter writes (desktop.generation.offline_image.paint_scene's last step)."""
    out = io.BytesIO()
    picture.save(out, "PNG", compress_level=3)
    return out.getvalue()


async def _measure() -> dict[str, float]:
    executor = QThreadPoolExecutor(max_workers=CONCURRENCY, name="bench-offline")
    try:
        started = time.perf_counter()
        scenes: list[SceneDraft] = []
        async with aclosing(OfflineTextProvider().stream_scenes(REQUEST)) as events:
            async for event in events:
                if isinstance(event, SceneWritten):
                    scenes.append(event.scene)
        text_ms = (time.perf_counter() - started) * 1000
        painter = OfflineImageProvider(executor)
        requests = [ImageRequest(prompt=scene.image_prompt, title=scene.title) for scene in scenes]
        await painter.paint(requests[0])  # the first paint loads the font

        times: list[float] = []
        encodes: list[float] = []
        sizes: list[int] = []
        for request in requests:
            began = time.perf_counter()
            picture = await painter.paint(request)
            times.append((time.perf_counter() - began) * 1000)
            sizes.append(len(picture))
            check_image(picture)
            decoded = Image.open(io.BytesIO(picture))
            decoded.load()
            began = time.perf_counter()
            await asyncio.wrap_future(executor.submit(_encode, decoded))
            encodes.append((time.perf_counter() - began) * 1000)

        slots = asyncio.Semaphore(CONCURRENCY)

        async def paint(request: ImageRequest) -> bytes:
            async with slots:
                return await painter.paint(request)

        began = time.perf_counter()
        await asyncio.gather(*(paint(request) for request in requests))
        parallel_s = time.perf_counter() - began
    finally:
        executor.shutdown(wait=True, timeout=10)
    return {
        "text_ms": text_ms,
        "image_ms_mean": statistics.fmean(times),
        "image_ms_max": max(times),
        "encode_ms_mean": statistics.fmean(encodes),
        "image_kb_mean": statistics.fmean(sizes) / 1024,
        "story_images_s": parallel_s,
        "words_per_scene": statistics.fmean(len(scene.text.split()) for scene in scenes),
    }


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with asyncio.Runner(loop_factory=lambda: EventLoop(app)) as runner:
        figures = runner.run(_measure())
    comparison = Comparison(
        "image_ms_mean", figures["image_ms_mean"], "encode_ms_mean", figures["encode_ms_mean"], MAX_RATIO_TO_ENCODE
    )
    context = (
        f"scenes={SCENES} text_ms={figures['text_ms']:.1f} image_ms_max={figures['image_ms_max']:.1f} "
        f"image_kb_mean={figures['image_kb_mean']:.0f} story_images_s={figures['story_images_s']:.2f} "
        f"concurrency={CONCURRENCY} words_per_scene={figures['words_per_scene']:.0f}"
    )
    return report("offline", [comparison], context)


if __name__ == "__main__":
    sys.exit(main())
