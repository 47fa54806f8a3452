"""The change feed on a real PostgreSQL: what another process writes is announced; this process's own is not."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from desktop.db.address import DatabaseAddress
from desktop.db.changes import CHANNEL, Change, ChangeListener, Op, Table
from desktop.db.connect import open_pool

from .conftest import Run

INSERT_STORY = """INSERT INTO stories (id, user_id, title, prompt, scene_count, status)
                  VALUES ($1, $2, 'Elsewhere', 'A story written by another process.', 1, 'complete')"""


def test_changes_by_another_instance_arrive_and_our_own_and_unreadable_ones_do_not(
    database_url: str, run: Run, qtbot: Any
) -> None:
    seen: list[Change] = []

    async def handler(batch: list[Change]) -> None:
        seen.extend(batch)

    async def nothing() -> None:
        return None

    address = DatabaseAddress.of(database_url)
    listener = ChangeListener(address, handler, nothing, nothing)
    pool = run(open_pool(address))
    run(listener.start())
    try:
        ours = uuid.uuid4()
        run(pool.execute(INSERT_STORY, ours, uuid.uuid4()))  # this instance: its pool carries the address's name
        run(pool.execute("SELECT pg_notify($1, 'not json at all')", CHANNEL))  # logged and skipped

        theirs, last = uuid.uuid4(), uuid.uuid4()

        async def written_by_another_process() -> None:
            other = await asyncpg.connect(database_url, server_settings={"application_name": "storyforge-7-0badf00d"})
            try:
                await other.execute(INSERT_STORY, theirs, uuid.uuid4())
                await other.execute("UPDATE stories SET title = 'Renamed elsewhere' WHERE id = $1", theirs)
                await other.execute("UPDATE stories SET title = title WHERE id = $1", theirs)  # changes nothing
                await other.execute(INSERT_STORY, last, uuid.uuid4())
            finally:
                await other.close()

        run(written_by_another_process())
        # Notifications arrive in commit order: once the last one is here, every earlier one is too.
        qtbot.waitUntil(lambda: any(change.id == last for change in seen), timeout=10_000)
        assert [(c.table, c.op, c.id, c.story_id) for c in seen] == [
            (Table.stories, Op.insert, theirs, theirs),
            (Table.stories, Op.update, theirs, theirs),
            (Table.stories, Op.insert, last, last),
        ]
        assert {c.origin for c in seen} == {"storyforge-7-0badf00d"} != {address.instance}
        assert listener.listening
    finally:
        run(listener.stop())
        run(pool.close())
