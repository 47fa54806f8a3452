"""The trash: stories and scenes the writer deleted, until they are restored or purged.

Purging removes the rows for good, hands every object their images were stored under to `storage_removals` (the
outbox for deletions) in the same transaction, and returns the image files on this computer for the caller to
delete.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from desktop.db.repositories.stories import READ_COLUMNS
from desktop.models import Story, TrashedScene, TrashedStory, utc_now

# An upload row that may have put its object in storage: whatever may be there is removed.
_MAY_BE_STORED = "(u.stored_at IS NOT NULL OR u.status IN ('uploaded', 'uploading') OR u.attempts > 0)"


@dataclass(frozen=True)
class Purged:
    stories: int
    scenes: int
    files: list[str]  # image files on this computer that no scene or version uses any more


@dataclass(frozen=True)
class Removal:
    backend: str
    object_path: str
    attempts: int


class TrashRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def delete_story(self, story_id: uuid.UUID) -> Story | None:
        """To the trash; None when there is no such story (or it is there already)."""
        row = await self._pool.fetchrow(
            f"""UPDATE stories SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING {READ_COLUMNS}""",
            story_id,
            utc_now(),
        )
        return Story.model_validate(dict(row)) if row else None

    async def restore_story(self, story_id: uuid.UUID) -> bool:
        result = await self._pool.execute(
            "UPDATE stories SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL", story_id
        )
        return result.endswith(" 1")

    async def stories(self) -> list[TrashedStory]:
        """Newest deletion first."""
        rows = await self._pool.fetch(
            """SELECT s.id, s.title, s.deleted_at,
                   (SELECT count(*) FROM scenes c WHERE c.story_id = s.id AND c.deleted_at IS NULL) AS scenes
               FROM stories s WHERE s.deleted_at IS NOT NULL ORDER BY s.deleted_at DESC, s.id"""
        )
        return [TrashedStory.model_validate(dict(row)) for row in rows]

    async def scenes(self) -> list[TrashedScene]:
        """Scenes deleted from stories that are themselves not in the trash (those come back with their story)."""
        rows = await self._pool.fetch(
            """SELECT c.id, c.story_id, s.title AS story_title, c.index, c.title, c.deleted_at
               FROM scenes c JOIN stories s ON s.id = c.story_id
               WHERE c.deleted_at IS NOT NULL AND s.deleted_at IS NULL
               ORDER BY c.deleted_at DESC, c.id"""
        )
        return [TrashedScene.model_validate(dict(row)) for row in rows]

    async def purge(self, *, deleted_before: datetime | None = None) -> Purged:
        """Remove for good what is in the trash (what went there before `deleted_before`, or everything)."""
        cutoff = deleted_before or utc_now()
        async with self._pool.acquire() as conn, conn.transaction():
            story_ids = [
                row["id"]
                for row in await conn.fetch(
                    "SELECT id FROM stories WHERE deleted_at IS NOT NULL AND deleted_at <= $1 FOR UPDATE", cutoff
                )
            ]
            scene_ids = [
                row["id"]
                for row in await conn.fetch(
                    """SELECT id FROM scenes WHERE story_id = ANY($1::uuid[])
                       OR (deleted_at IS NOT NULL AND deleted_at <= $2) FOR UPDATE""",
                    story_ids,
                    cutoff,
                )
            ]
            trashed_scenes = await conn.fetchval(
                "SELECT count(*) FROM scenes WHERE id = ANY($1::uuid[]) AND NOT story_id = ANY($2::uuid[])",
                scene_ids,
                story_ids,
            )
            files = await self._files_of(conn, scene_ids) + await self._portraits_of(conn, story_ids)
            await self._queue_removals(conn, scene_ids)
            await conn.execute("DELETE FROM scenes WHERE id = ANY($1::uuid[])", scene_ids)
            await conn.execute("DELETE FROM stories WHERE id = ANY($1::uuid[])", story_ids)
        return Purged(len(story_ids), int(trashed_scenes), files)

    @staticmethod
    async def _files_of(conn: asyncpg.Connection, scene_ids: Sequence[uuid.UUID]) -> list[str]:
        """The image files of these scenes' versions that no other scene or version names (a copied story has
        copies of its own, but be sure)."""
        rows = await conn.fetch(
            """SELECT DISTINCT path FROM (
                   SELECT image_path AS path FROM scene_versions WHERE scene_id = ANY($1::uuid[])
                   UNION SELECT image_path FROM scenes WHERE id = ANY($1::uuid[])
                   UNION SELECT local_path FROM uploads WHERE scene_id = ANY($1::uuid[])
               ) AS mine
               WHERE path <> ''
                 AND NOT EXISTS (SELECT 1 FROM scene_versions v
                                 WHERE v.image_path = mine.path AND NOT v.scene_id = ANY($1::uuid[]))
                 AND NOT EXISTS (SELECT 1 FROM scenes c
                                 WHERE c.image_path = mine.path AND NOT c.id = ANY($1::uuid[]))""",
            scene_ids,
        )
        return [row["path"] for row in rows]

    @staticmethod
    async def _portraits_of(conn: asyncpg.Connection, story_ids: Sequence[uuid.UUID]) -> list[str]:
        """The portrait files any version of these stories' bibles chose that no other story's bible names (a
        duplicated story's bible names its original's portraits)."""
        rows = await conn.fetch(
            """WITH portraits AS (
                   SELECT b.story_id, c->>'portrait' AS path
                   FROM (SELECT story_id, bible FROM bible_versions UNION ALL SELECT id, bible FROM stories) b,
                        jsonb_array_elements(CASE WHEN jsonb_typeof(b.bible->'characters') = 'array'
                                                  THEN b.bible->'characters' ELSE '[]'::jsonb END) c
                   WHERE coalesce(c->>'portrait', '') <> ''
               )
               SELECT DISTINCT path FROM portraits mine
               WHERE story_id = ANY($1::uuid[])
                 AND NOT EXISTS (SELECT 1 FROM portraits other
                                 WHERE other.path = mine.path AND NOT other.story_id = ANY($1::uuid[]))""",
            story_ids,
        )
        return [row["path"] for row in rows]

    @staticmethod
    async def _queue_removals(conn: asyncpg.Connection, scene_ids: Sequence[uuid.UUID]) -> None:
        await conn.execute(
            f"""INSERT INTO storage_removals (backend, object_path)
                SELECT u.backend, u.object_path FROM uploads u WHERE u.scene_id = ANY($1::uuid[]) AND {_MAY_BE_STORED}
                UNION SELECT u.backend, unnest(u.replaced_paths) FROM uploads u WHERE u.scene_id = ANY($1::uuid[])
                UNION SELECT k.backend, k.object_path FROM kept_objects k WHERE k.scene_id = ANY($1::uuid[])
                ON CONFLICT DO NOTHING""",
            scene_ids,
        )

    # The outbox for deletions ------------------------------------------------------------------------------------

    async def due_removals(self, backend: str, limit: int = 100) -> list[Removal]:
        rows = await self._pool.fetch(
            """SELECT backend, object_path, attempts FROM storage_removals
               WHERE backend = $1 AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
               ORDER BY created_at, object_path LIMIT $3""",
            backend,
            utc_now(),
            limit,
        )
        return [Removal(row["backend"], row["object_path"], row["attempts"]) for row in rows]

    async def removed(self, backend: str, object_paths: Sequence[str]) -> None:
        await self._pool.execute(
            "DELETE FROM storage_removals WHERE backend = $1 AND object_path = ANY($2::text[])",
            backend,
            list(object_paths),
        )

    async def removal_failed(
        self, backend: str, object_paths: Sequence[str], error: str, next_attempt_at: datetime
    ) -> None:
        await self._pool.execute(
            """UPDATE storage_removals SET attempts = attempts + 1, error_message = $3, next_attempt_at = $4
               WHERE backend = $1 AND object_path = ANY($2::text[])""",
            backend,
            list(object_paths),
            error,
            next_attempt_at,
        )

    async def removals_due_now(self) -> None:
        await self._pool.execute("UPDATE storage_removals SET next_attempt_at = NULL WHERE next_attempt_at IS NOT NULL")

    async def next_removal_due(self, backend: str) -> datetime | None:
        value: datetime | None = await self._pool.fetchval(
            "SELECT min(coalesce(next_attempt_at, created_at)) FROM storage_removals WHERE backend = $1", backend
        )
        return value
