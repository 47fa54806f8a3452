"""What other Storyforge processes change, as the database announces it (`LISTEN storyforge_changes`).

Migration 005 makes every insert, update and delete of a story, scene or upload send a notification naming the row,
its story and the process that made the change. `ChangeListener` keeps one connection of its own listening (a
notification reaches only a connection that stays in its session), hands each batch of changes made by *other*
processes to a callback, and reconnects by itself when the connection drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

import asyncpg

from desktop.db.address import DatabaseAddress

log = logging.getLogger(__name__)

CHANNEL = "storyforge_changes"
# Changes that arrive together (a story's uploads recorded in one statement) are handed over together.
BATCH_DELAY_S = 0.05
RECONNECT_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 5.0)


class Table(StrEnum):
    stories = "stories"
    scenes = "scenes"
    uploads = "uploads"


class NoSessionUrl(RuntimeError):
    """Only a transaction-mode pooler's URL is known: no connection could keep a LISTEN."""


class Op(StrEnum):
    insert = "insert"
    update = "update"
    delete = "delete"
    cancel = "cancel"  # not a change: a window asks the process writing a story to stop (stories.ask_writer_to_cancel)


@dataclass(frozen=True)
class Change:
    table: Table
    op: Op
    id: uuid.UUID
    story_id: uuid.UUID
    origin: str  # the application_name of the app instance that made it (its DatabaseAddress.instance)


def parse_change(payload: str) -> Change | None:
    """The change a notification announces, or None for one that is not ours to read."""
    try:
        data = json.loads(payload)
        return Change(
            Table(data["table"]),
            Op(data["op"]),
            uuid.UUID(data["id"]),
            uuid.UUID(data["story_id"]),
            str(data.get("origin", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("ignoring a change notification that cannot be read: %.200r", payload)
        return None


Handler = Callable[[list[Change]], Awaitable[None]]


class ChangeListener:
    """Listens while started; `handler` gets each batch of other processes' changes, in order, one batch at a time.

    It listens on the address's session URL: LISTEN needs a connection that keeps its session. After a dropped
    connection it calls `reconnect` (which starts the embedded server again if it stopped) and listens again. What
    changed meanwhile was never announced to it, so it then calls `missed` instead, for the pages to reload what
    they show.
    """

    def __init__(
        self,
        address: DatabaseAddress,
        handler: Handler,
        missed: Callable[[], Awaitable[None]],
        reconnect: Callable[[], Awaitable[None]],
    ) -> None:
        self._address = address
        self._handler = handler
        self._missed = missed
        self._reconnect = reconnect
        self._connection: asyncpg.Connection | None = None
        self._pending: list[Change] = []
        self._arrived = asyncio.Event()
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def start(self) -> None:
        await self._connect()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="Listening for changes")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._disconnect()

    async def _connect(self) -> None:
        address = self._address
        if not address.session_dsn:
            raise NoSessionUrl()
        connection = await asyncpg.connect(address.session_dsn, timeout=15, **address.options(session=True))
        connection.add_termination_listener(self._on_terminated)
        await connection.add_listener(CHANNEL, self._on_notification)
        self._connection = connection
        self._lost.clear()

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)

    def _on_notification(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        change = parse_change(payload)
        # This process's own changes are skipped: its services have told the window already.
        if change is not None and change.origin != self._address.instance:
            self._pending.append(change)
            self._arrived.set()

    def _on_terminated(self, _connection: object) -> None:
        self._lost.set()
        self._arrived.set()

    async def _run(self) -> None:
        while True:
            await self._arrived.wait()
            if self._lost.is_set():
                await self._listen_again()
                continue
            await asyncio.sleep(BATCH_DELAY_S)
            self._arrived.clear()
            batch, self._pending = self._pending, []
            if batch:
                await self._deliver(self._handler(batch))

    async def _listen_again(self) -> None:
        log.warning("the connection that listens for changes was lost; reconnecting")
        await self._disconnect()
        for attempt in itertools.count():
            delay = RECONNECT_DELAYS_S[min(attempt, len(RECONNECT_DELAYS_S) - 1)]
            await asyncio.sleep(delay)
            try:
                await self._reconnect()
                await self._connect()
            except Exception as exc:  # any failure here means "try again later"
                log.info("still cannot listen for changes (%s); trying again", exc)
                continue
            break
        log.info("listening for changes again")
        self._arrived.clear()
        self._pending.clear()
        await self._deliver(self._missed())

    async def _deliver(self, work: Awaitable[None]) -> None:
        # A change that cannot be shown must not stop the listening: it is logged, and the next one is shown.
        try:
            await work
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            log.warning("could not show a change made by another process: %s", exc)
        except Exception:
            log.exception("showing a change made by another process failed")
