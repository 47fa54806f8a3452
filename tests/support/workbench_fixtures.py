"""The workbench's services as the Session composes them (story service, scene order, history, trash, removals),
on the test database with the real UploadManager and the offline providers. `make_workbench(settings)` again on the
same database is a restart: nothing is shared but what is stored."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import asyncpg
import pytest

from desktop.config import Settings
from desktop.db.repositories import (
    SceneOrderRepository,
    SceneRepository,
    StoryRepository,
    TrashRepository,
    UndoLogRepository,
)
from desktop.qt.aio import TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.services.scene_history import SceneHistory
from desktop.services.scene_order import SceneOrder
from desktop.services.storage_removals import StorageRemovals
from desktop.services.story_service import StoryService
from desktop.services.trash import Trash
from desktop.services.upload_manager import UploadManager
from tests.support.storage_fixtures import MakeManager


@dataclass
class Workbench:
    stories: StoryService
    uploads: UploadManager
    order: SceneOrder
    history: SceneHistory
    trash: Trash
    removals: StorageRemovals
    tasks: TaskRunner


MakeWorkbench = Callable[[Settings], Workbench]


@pytest.fixture
def make_workbench(
    pool: asyncpg.Pool,
    generation_executor: QThreadPoolExecutor,
    make_upload_manager: MakeManager,
    run: Callable[..., object],
) -> Iterator[MakeWorkbench]:
    made: list[Workbench] = []

    def make(settings: Settings) -> Workbench:
        uploads = make_upload_manager(settings)
        scenes, undo_log, tasks = SceneRepository(pool), UndoLogRepository(pool), TaskRunner()
        stories = StoryService(
            settings=settings,
            stories=StoryRepository(pool),
            scenes=scenes,
            undo_log=undo_log,
            executor=generation_executor,
            uploads=uploads,
        )
        order = SceneOrder(stories, SceneOrderRepository(pool), scenes)
        history = SceneHistory(stories, scenes, undo_log, order, uploads)
        removals = StorageRemovals(TrashRepository(pool), uploads, generation_executor, tasks)
        trash = Trash(
            stories=stories,
            order=order,
            repository=TrashRepository(pool),
            removals=removals,
            executor=generation_executor,
        )
        bench = Workbench(stories, uploads, order, history, trash, removals, tasks)
        made.append(bench)
        return bench

    yield make
    for bench in made:
        bench.removals.stop()
        run(bench.tasks.cancel_all())
        run(bench.stories.shutdown())
