"""`--self-test`: start everything, show the window, prove each layer once, quit the orderly way."""

from __future__ import annotations

import sys
import time
import uuid

from desktop.models import Story, StoryRequest
from desktop.services.runtime import Runtime
from desktop.ui.main_window import MainWindow


class SelfTestFailure(RuntimeError):
    pass


async def _database_round_trip(runtime: Runtime) -> None:
    assert runtime.stories is not None
    request = StoryRequest(title="Self-test", prompt="A lighthouse keeper finds a map.", scene_count=1)
    story = await runtime.stories.create(Story.create(request, user_id=uuid.uuid4()))
    try:
        found = await runtime.stories.get(story.id)
        if found is None or found.title != story.title:
            raise SelfTestFailure("the database did not return the story it was given")
    finally:
        await runtime.stories.delete(story.id)


async def run_self_test(runtime: Runtime, window: MainWindow, *, started_at: float, window_ms: float) -> int:
    failure = ""
    try:
        if not window.isVisible():
            raise SelfTestFailure("the main window did not appear")
        if not await runtime.start_database():
            raise SelfTestFailure(runtime.database_error)
        database_ms = (time.monotonic() - started_at) * 1000
        await _database_round_trip(runtime)
    except SelfTestFailure as exc:
        failure = str(exc)
    finally:
        await runtime.shutdown()
    if failure:
        print(f"self-test failed: {failure}", file=sys.stderr)
        return 1
    print(f"self-test passed: window shown {window_ms:.0f} ms, database ready {database_ms:.0f} ms after start")
    return 0
