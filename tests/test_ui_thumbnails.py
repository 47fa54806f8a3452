"""Thumbnails: decoded off the GUI thread, kept in the picture cache, so hundreds of scenes keep memory flat."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from PySide6.QtGui import QColor, QImage

from desktop.qt.executor import QThreadPoolExecutor
from desktop.ui.common import thumbnails
from desktop.ui.common.pictures import PictureCache
from desktop.ui.common.thumbnails import ThumbnailLoader
from desktop.ui.story.scene_card import THUMB_SIZE, SceneCard

Run = Callable[..., Any]


@pytest.fixture
def executor(qapp: object) -> Iterator[QThreadPoolExecutor]:
    pool = QThreadPoolExecutor(max_workers=2, name="test-thumbnails")
    yield pool
    pool.shutdown(wait=True, cancel_futures=True, timeout=5)


def write_images(folder: Path, count: int) -> list[Path]:
    """`count` real 480×320 PNGs (one painted, the rest copies under their own names)."""
    folder.mkdir(parents=True, exist_ok=True)
    first = folder / "scene-000.png"
    image = QImage(480, 320, QImage.Format.Format_RGB32)
    image.fill(QColor("#3f7d5c"))
    assert image.save(str(first))
    paths = [first]
    for index in range(1, count):
        copy = folder / f"scene-{index:03d}.png"
        shutil.copyfile(first, copy)
        paths.append(copy)
    return paths


def test_thumbnails_are_scaled_off_the_gui_thread_and_decoded_once(
    executor: QThreadPoolExecutor, tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    original = thumbnails.scale_image

    def recording(path: str, width: int, height: int) -> QImage | None:
        threads.append(threading.current_thread().name)
        return original(path, width, height)

    monkeypatch.setattr(thumbnails, "scale_image", recording)
    (path,) = write_images(tmp_path, 1)
    loader = ThumbnailLoader(executor, PictureCache())

    async def twice() -> list[QImage | None]:
        return list(await asyncio.gather(*(loader.thumbnail(str(path), THUMB_SIZE) for _ in range(3))))

    images = run(twice())
    assert all(image is not None and image.width() == THUMB_SIZE.width() for image in images)
    assert loader.decoded == 1 and len(threads) == 1
    assert threads[0] != threading.main_thread().name
    assert run(loader.thumbnail(str(path), THUMB_SIZE)) is not None
    assert loader.decoded == 1  # the cache answered
    assert run(loader.thumbnail(str(tmp_path / "missing.png"), THUMB_SIZE)) is None


def test_two_hundred_scene_thumbnails_keep_memory_bounded(
    executor: QThreadPoolExecutor, tmp_path: Path, run: Run, qtbot: Any
) -> None:
    paths = write_images(tmp_path / "images", 200)
    budget = 12 * 1024 * 1024
    loader = ThumbnailLoader(executor, PictureCache(budget_bytes=budget))
    process = psutil.Process()
    before = process.memory_info().rss

    cards: list[SceneCard] = []

    async def open_cards() -> None:  # 200 cards, as four 50-scene stories would show, each fed from the loader
        for index, path in enumerate(paths):
            card = SceneCard(index % 50)
            card.set_thumbnail(await loader.thumbnail(str(path), THUMB_SIZE))
            cards.append(card)

    run(open_cards(), timeout=60)
    grown_mb = (process.memory_info().rss - before) / 1024 / 1024
    print(f"\n200 scene cards with thumbnails: +{grown_mb:.0f} MB RSS, cache {loader.cache.bytes_used / 1e6:.1f} MB")
    assert loader.cache.bytes_used <= budget
    assert loader.decoded == 200
    # Each card keeps one thumbnail-sized pixmap (~150 KB); whole 768×512 images would take 300 MB for 200 scenes.
    assert all(card.thumbnail.pixmap.deviceIndependentSize().toSize() == THUMB_SIZE for card in cards)
    assert grown_mb < 120
    for card in cards:
        card.deleteLater()
