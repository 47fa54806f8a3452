"""A stored story exported with its images (desktop/export): read through the story service, written on the
executor, its progress told on the loop."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

from desktop.export import Book, ExportCancelled, ExportFormat, ExportResult, book_from_story, export_book
from desktop.services.story_errors import StoryError
from desktop.services.story_service import StoryService

Progress = Callable[[int, int], None]  # (scenes written, scenes in all), called on the loop


class StoryExports:
    def __init__(self, stories: StoryService, executor: Executor) -> None:
        self._stories = stories
        self._executor = executor

    async def export(
        self,
        story_id: uuid.UUID,
        format: ExportFormat,
        out: Path,
        progress: Progress | None = None,
        *,
        make_folder: bool = False,
        cancel: threading.Event | None = None,
    ) -> ExportResult:
        """The story as it is stored now, to `out`: a file, or a folder to name it in (made first if `make_folder`).
        OSError when it cannot be written; ExportCancelled once `cancel` is set (checked between scenes, on the
        worker). Either way the file that was there stays until a new one is complete."""
        opened = await self._stories.open(story_id)
        if opened is None:
            raise StoryError("That story no longer exists.")
        book = book_from_story(opened.story, opened.scenes, byline=opened.story.byline)
        loop = asyncio.get_running_loop()

        def report(done: int, total: int) -> None:  # on the worker thread
            if cancel is not None and cancel.is_set():
                raise ExportCancelled
            if progress is not None:
                loop.call_soon_threadsafe(progress, done, total)

        return await asyncio.wrap_future(self._executor.submit(_export, book, format, out, report, make_folder))


def _export(book: Book, format: ExportFormat, out: Path, progress: Progress, make_folder: bool) -> ExportResult:
    if make_folder:
        out.mkdir(parents=True, exist_ok=True)
    return export_book(book, format, out, progress)
