"""The app's loop runs `call_soon` callbacks from one queue: in order, cancelled ones skipped, errors reported, and
what a callback queues runs after it, on a later turn."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from .conftest import Run

scene = contextvars.ContextVar("scene", default="none")


def test_callbacks_run_once_each_in_the_order_they_were_queued(loop: asyncio.AbstractEventLoop, qtbot: Any) -> None:
    ran: list[str] = []
    handles = [loop.call_soon(ran.append, name) for name in ("first", "second", "third", "fourth")]
    handles[2].cancel()
    loop.call_soon(lambda: loop.call_soon(ran.append, "queued by a callback"))
    loop.call_soon(ran.append, "fifth")

    qtbot.waitUntil(lambda: len(ran) == 5, timeout=5000)
    assert ran == ["first", "second", "fourth", "fifth", "queued by a callback"]


def test_a_failing_callback_is_reported_and_the_next_still_runs(loop: asyncio.AbstractEventLoop, qtbot: Any) -> None:
    reported: list[dict[str, Any]] = []
    ran: list[str] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        loop.call_soon(lambda: 1 / 0)
        loop.call_soon(ran.append, "after")
        qtbot.waitUntil(lambda: ran == ["after"], timeout=5000)
    finally:
        loop.set_exception_handler(previous)
    assert [type(context["exception"]) for context in reported] == [ZeroDivisionError]


def test_callbacks_run_in_the_context_they_were_given(loop: asyncio.AbstractEventLoop, run: Run) -> None:
    async def in_a_task() -> str:
        scene.set("scene 3")
        seen = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(lambda: seen.set_result(scene.get()))
        return await seen

    assert run(in_a_task()) == "scene 3"
    assert scene.get() == "none"


def test_timed_callbacks_run_when_due_in_their_context_and_cancelled_ones_never(
    loop: asyncio.AbstractEventLoop, qtbot: Any
) -> None:
    ran: list[str] = []
    context = contextvars.copy_context()
    context.run(scene.set, "scene 7")
    loop.call_later(0.06, ran.append, "later")
    loop.call_at(loop.time() + 0.02, lambda: ran.append(scene.get()), context=context)
    loop.call_later(0.04, ran.append, "cancelled").cancel()
    loop.call_later(0, ran.append, "now")

    qtbot.waitUntil(lambda: len(ran) == 3, timeout=5000)
    assert ran == ["now", "scene 7", "later"]
