"""The `data:` payloads of a server-sent event stream (OpenAI-style streaming).

httpx streams are chains of async generators; leaving one half-read lets the inner ones be finalised later by the
garbage collector, outside any task, where httpcore cannot close them. So a task of its own reads the stream, and
only ever waits inside network reads: cancelling it unwinds the whole chain cleanly. Lines reach the consumer
through a queue, and the consumer may stop whenever it likes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import httpx

_END = object()


async def sse_data(response: httpx.Response) -> AsyncGenerator[str, None]:
    queue: asyncio.Queue[object] = asyncio.Queue()  # unbounded: the reader never waits on it

    async def read() -> None:
        try:
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    queue.put_nowait(line[5:].strip())
        except httpx.HTTPError as exc:
            queue.put_nowait(exc)
        else:
            queue.put_nowait(_END)

    reader = asyncio.ensure_future(read())
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, str)
            yield item
    finally:
        if not reader.done():
            reader.cancel()
            await asyncio.wait([reader])
