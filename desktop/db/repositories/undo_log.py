"""A story's undo history (migration 011's `story_changes`): the writer's changes, newest last; undone ones are the
redo stack until a new change drops them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from desktop.models import ChangeKind, StoryChange, utc_now

_COLUMNS = "number, story_id, kind, scene_id, before, after, undone, created_at"


def _change(row: asyncpg.Record) -> StoryChange:
    data = dict(row)
    data["before"], data["after"] = json.loads(data["before"]), json.loads(data["after"])
    return StoryChange.model_validate(data)


class UndoLogRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record(
        self,
        story_id: uuid.UUID,
        kind: ChangeKind,
        before: dict[str, Any],
        after: dict[str, Any],
        scene_id: uuid.UUID | None = None,
    ) -> None:
        """A new change: what was undone before it can no longer be redone."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM story_changes WHERE story_id = $1 AND undone", story_id)
            await conn.execute(
                """INSERT INTO story_changes (story_id, kind, scene_id, before, after, created_at)
                   VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)""",
                story_id,
                kind.value,
                scene_id,
                json.dumps(before),
                json.dumps(after),
                utc_now(),
            )

    async def to_undo(self, story_id: uuid.UUID) -> StoryChange | None:
        """The newest change not undone."""
        row = await self._pool.fetchrow(
            f"""SELECT {_COLUMNS} FROM story_changes WHERE story_id = $1 AND NOT undone
                ORDER BY number DESC LIMIT 1""",
            story_id,
        )
        return _change(row) if row else None

    async def to_redo(self, story_id: uuid.UUID) -> StoryChange | None:
        """The oldest change undone: the one undone last."""
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM story_changes WHERE story_id = $1 AND undone ORDER BY number LIMIT 1",
            story_id,
        )
        return _change(row) if row else None

    async def set_undone(self, number: int, undone: bool) -> None:
        await self._pool.execute("UPDATE story_changes SET undone = $2 WHERE number = $1", number, undone)

    async def forget(self, number: int) -> None:
        """A change that can no longer be undone or redone (what it changed is gone)."""
        await self._pool.execute("DELETE FROM story_changes WHERE number = $1", number)
