"""Where a story's scenes stand: insert, move, delete to the trash and restore.

Each is one transaction that also keeps the story's scene count and its uploads' scene numbers right. Places are
0…n-1 among the live scenes; a scene in the trash keeps the place it had in `index`, to go back to.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from desktop.db.repositories.scenes import COLUMNS, LIVE, record_version
from desktop.models import SCENES_MAX, Scene, VersionMaker, utc_now

# Renumbering lifts a story's places to 50–98 first (migration 011's CHECK allows them only for that); a scene
# coming in (inserted, restored) waits at 99 meanwhile. A story has at most 50 scenes, so 99 is never a lifted one.
LIFTED = 50
ARRIVING = 99


class SceneLimit(Exception):
    """A story already has as many scenes as it can (50), or would have none left."""


async def renumber(conn: asyncpg.Connection, story_id: uuid.UUID, order: Sequence[uuid.UUID]) -> None:
    """The story's live scenes take places 0, 1, 2… in `order` (which must name each of them once)."""
    await conn.execute(
        f"UPDATE scenes SET index = index + {LIFTED} WHERE story_id = $1 AND {LIVE} AND index < {LIFTED}", story_id
    )
    await conn.execute(
        """UPDATE scenes SET index = o.place - 1, updated_at = greatest($3, scenes.updated_at)
           FROM unnest($2::uuid[]) WITH ORDINALITY AS o (id, place)
           WHERE scenes.id = o.id AND scenes.story_id = $1""",
        story_id,
        list(order),
        utc_now(),
    )
    # The Uploads panel lists images by scene number.
    await conn.execute(
        """UPDATE uploads u SET scene_index = c.index FROM scenes c
           WHERE c.id = u.scene_id AND c.story_id = $1 AND u.scene_index <> c.index""",
        story_id,
    )


async def _live_order(conn: asyncpg.Connection, story_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await conn.fetch(f"SELECT id FROM scenes WHERE story_id = $1 AND {LIVE} ORDER BY index FOR UPDATE", story_id)
    return [row["id"] for row in rows]


async def _add_to_count(conn: asyncpg.Connection, story_id: uuid.UUID, change: int) -> None:
    count = await conn.fetchval("SELECT scene_count FROM stories WHERE id = $1 FOR UPDATE", story_id)
    if count is None:
        raise LookupError(f"story {story_id} does not exist")
    if not 1 <= count + change <= SCENES_MAX:
        raise SceneLimit(
            f"A story has at most {SCENES_MAX} scenes." if change > 0 else "A story keeps at least one scene."
        )
    await conn.execute(
        "UPDATE stories SET scene_count = $2, updated_at = greatest($3, updated_at) WHERE id = $1",
        story_id,
        count + change,
        utc_now(),
    )


class SceneOrderRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def insert_blank(self, story_id: uuid.UUID, place: int, title: str) -> Scene:
        """A new empty scene at `place` (those from there on move one down); the story counts one scene more."""
        async with self._pool.acquire() as conn, conn.transaction():
            await _add_to_count(conn, story_id, +1)
            order = await _live_order(conn, story_id)
            place = max(0, min(place, len(order)))
            scene = Scene.create(story_id, 0, title, "")
            await conn.execute(
                """INSERT INTO scenes (id, story_id, index, title, text, created_at, updated_at)
                   VALUES ($1, $2, $3, $4, '', $5, $5)""",
                scene.id,
                story_id,
                ARRIVING,
                title,
                scene.created_at,
            )
            await renumber(conn, story_id, [*order[:place], scene.id, *order[place:]])
            return await record_version(conn, scene.id, VersionMaker.blank, "")

    async def move(self, story_id: uuid.UUID, order: Sequence[uuid.UUID]) -> list[Scene]:
        """The story's live scenes in this order; LookupError when `order` is not exactly them."""
        async with self._pool.acquire() as conn, conn.transaction():
            if sorted(await _live_order(conn, story_id)) != sorted(order):
                raise LookupError("the story's scenes changed meanwhile")
            await renumber(conn, story_id, order)
            return await self._scenes(conn, story_id)

    async def delete(self, scene_id: uuid.UUID) -> Scene:
        """To the trash: the scenes after it move up one, and the story counts one scene less."""
        async with self._pool.acquire() as conn, conn.transaction():
            story_id = await conn.fetchval(f"SELECT story_id FROM scenes WHERE id = $1 AND {LIVE}", scene_id)
            if story_id is None:
                raise LookupError(f"scene {scene_id} is not in its story")
            await _add_to_count(conn, story_id, -1)
            order = await _live_order(conn, story_id)
            row = await conn.fetchrow(
                f"UPDATE scenes SET deleted_at = $2 WHERE id = $1 RETURNING {COLUMNS}", scene_id, utc_now()
            )
            await renumber(conn, story_id, [other for other in order if other != scene_id])
            return Scene.model_validate(dict(row))

    async def restore(self, scene_id: uuid.UUID) -> Scene:
        """Back from the trash to the place it had (or the end, if the story is shorter now)."""
        async with self._pool.acquire() as conn, conn.transaction():
            trashed = await conn.fetchrow(
                "SELECT story_id, index FROM scenes WHERE id = $1 AND deleted_at IS NOT NULL FOR UPDATE", scene_id
            )
            if trashed is None:
                raise LookupError(f"scene {scene_id} is not in the trash")
            story_id = trashed["story_id"]
            await _add_to_count(conn, story_id, +1)
            order = await _live_order(conn, story_id)
            place = min(trashed["index"], len(order))
            await conn.execute("UPDATE scenes SET deleted_at = NULL, index = $2 WHERE id = $1", scene_id, ARRIVING)
            await renumber(conn, story_id, [*order[:place], scene_id, *order[place:]])
            row = await conn.fetchrow(f"SELECT {COLUMNS} FROM scenes WHERE id = $1", scene_id)
            return Scene.model_validate(dict(row))

    @staticmethod
    async def _scenes(conn: asyncpg.Connection, story_id: uuid.UUID) -> list[Scene]:
        rows = await conn.fetch(f"SELECT {COLUMNS} FROM scenes WHERE story_id = $1 AND {LIVE} ORDER BY index", story_id)
        return [Scene.model_validate(dict(row)) for row in rows]
