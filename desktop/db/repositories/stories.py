from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import asyncpg

from desktop.bible import Bible
from desktop.db.changes import CHANNEL as CHANGES_CHANNEL
from desktop.db.repositories.search import prefix_tsquery
from desktop.models import Story, StoryStatus, StorySummary, utc_now

_COLUMNS = (
    "id, user_id, title, prompt, scene_count, style, characters, status, "
    "text_provider, image_provider, error, created_at, updated_at"
)
READ_COLUMNS = f"{_COLUMNS}, deleted_at, bible, made_with"


# A library row: the story, how many scenes exist, and how many of its images are not stored where they were sent
# (on any storage: an upload keeps its target when the writer switches storage).
_SUMMARY = """s.id, s.title, s.status, s.scene_count, s.created_at, s.updated_at,
    (SELECT count(*) FROM scenes c WHERE c.story_id = s.id AND c.deleted_at IS NULL) AS scenes_written,
    (SELECT count(*) FROM uploads u WHERE u.story_id = s.id AND u.status = 'failed') AS uploads_failed,
    (SELECT count(DISTINCT u.scene_id) FROM uploads u WHERE u.story_id = s.id AND u.status <> 'uploaded')
        AS images_not_stored"""


# A search reads one GIN index, stories.words (migration 012: the story's title, prompt and live scenes), and only the
# page's stories are then asked which scene matched: the first live one whose own words match, NULL when only the
# title or the prompt did. Matching the scenes first and grouping them by story hashed every matching scene row,
# ~170 ms for a word found in nearly every scene of 10,000 stories (tests/bench/bench_search.py).
_FOUND = "s.words @@ to_tsquery('simple', $1) AND s.deleted_at IS NULL"
# The scene test is an aggregate's FILTER, never an index condition: a story's live scenes (≤ 50) are read through
# their (story_id, index) index and each tested. As a WHERE condition the planner ANDs in the scenes' GIN index, whose
# list for a common word holds every scene in the library — read again for each row of the page (~1.8 s).
_MATCHED_SCENE = """SELECT min(c.index) FILTER (WHERE c.search @@ to_tsquery('simple', $1)) AS matched_scene
    FROM scenes c WHERE c.story_id = s.id AND c.deleted_at IS NULL"""


class StoryRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, story: Story) -> Story:
        await self._pool.execute(
            f"INSERT INTO stories ({_COLUMNS}, bible, made_with) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
            " $12, $13, $14::jsonb, $15::jsonb)",
            story.id,
            story.user_id,
            story.title,
            story.prompt,
            story.scene_count,
            story.style,
            story.characters,
            story.status.value,
            story.text_provider,
            story.image_provider,
            story.error,
            story.created_at,
            story.updated_at,
            json.dumps(story.bible.as_json()),
            json.dumps(story.made_with),
        )
        return story

    async def set_made_with(self, story_id: uuid.UUID, made_with: dict[str, str]) -> Story | None:
        """The providers the story is written and painted with from now on; None when it is gone."""
        row = await self._pool.fetchrow(
            f"""UPDATE stories SET made_with = $2::jsonb, updated_at = greatest($3, updated_at)
                WHERE id = $1 RETURNING {READ_COLUMNS}""",
            story_id,
            json.dumps(made_with),
            utc_now(),
        )
        return Story.model_validate(dict(row)) if row else None

    async def get(self, story_id: uuid.UUID) -> Story | None:
        """The story, also while it is in the trash (`deleted_at`)."""
        row = await self._pool.fetchrow(f"SELECT {READ_COLUMNS} FROM stories WHERE id = $1", story_id)
        return Story.model_validate(dict(row)) if row else None

    async def update(self, story: Story) -> Story:
        """Write the editable fields of `story` back; returns it as stored."""
        row = await self._pool.fetchrow(
            f"""UPDATE stories SET title = $2, prompt = $3, scene_count = $4, style = $5, characters = $6,
                   status = $7, text_provider = $8, image_provider = $9, error = $10, updated_at = $11
                WHERE id = $1 RETURNING {READ_COLUMNS}""",
            story.id,
            story.title,
            story.prompt,
            story.scene_count,
            story.style,
            story.characters,
            story.status.value,
            story.text_provider,
            story.image_provider,
            story.error,
            story.updated_at,
        )
        if row is None:
            raise LookupError(f"story {story.id} does not exist")
        return Story.model_validate(dict(row))

    async def set_status(self, story_id: uuid.UUID, status: StoryStatus, error: str = "") -> Story | None:
        row = await self._pool.fetchrow(
            f"""UPDATE stories SET status = $2, error = $3, updated_at = greatest($4, updated_at)
                WHERE id = $1 RETURNING {READ_COLUMNS}""",
            story_id,
            status.value,
            error,
            utc_now(),
        )
        return Story.model_validate(dict(row)) if row else None

    async def mark_interrupted(self) -> list[uuid.UUID]:
        """Stories left `generating` by an app that died; they can be resumed. A story another running process is
        writing is left alone."""
        rows = await self._pool.fetch(
            """UPDATE stories SET status = 'interrupted', updated_at = greatest($1, updated_at)
               WHERE status = 'generating' AND NOT storyforge_owner_alive(writer) RETURNING id""",
            utc_now(),
        )
        return [row["id"] for row in rows]

    async def ask_writer_to_cancel(self, story_id: uuid.UUID) -> None:
        """Announce a cancel request on the changes channel; the process writing the story acts on it."""
        await self._pool.execute(
            """SELECT pg_notify($1, json_build_object('table', 'stories', 'op', 'cancel', 'id', $2::text,
                   'story_id', $2::text, 'origin', current_setting('application_name'))::text)""",
            CHANGES_CHANNEL,
            str(story_id),
        )

    async def delete(self, story_id: uuid.UUID) -> bool:
        result = await self._pool.execute("DELETE FROM stories WHERE id = $1", story_id)
        return result.endswith(" 1")

    async def list(self, search: str = "", *, limit: int = 100, offset: int = 0) -> list[StorySummary]:
        """Newest first; `search` matches word prefixes in the title, the prompt and every scene's title and text."""
        query = prefix_tsquery(search)
        # Two statements rather than "$1 IS NULL OR …": a generic plan for that could never use the search indexes.
        if query is None:
            sql = f"""SELECT {_SUMMARY}
                FROM stories s
                WHERE s.deleted_at IS NULL
                ORDER BY s.created_at DESC, s.id DESC
                LIMIT $1 OFFSET $2"""
            rows = await self._pool.fetch(sql, limit, offset)
        else:
            # The page is cut before the summaries and the matched scene are computed, so they cost per row shown.
            sql = f"""SELECT {_SUMMARY}, m.matched_scene
                FROM (SELECT id, title, status, scene_count, created_at, updated_at FROM stories s
                      WHERE {_FOUND}
                      ORDER BY s.created_at DESC, s.id DESC
                      LIMIT $2 OFFSET $3) AS s
                CROSS JOIN LATERAL ({_MATCHED_SCENE}) AS m
                ORDER BY s.created_at DESC, s.id DESC"""
            rows = await self._pool.fetch(sql, query, limit, offset)
        return [StorySummary.model_validate(dict(row)) for row in rows]

    async def summary(self, story_id: uuid.UUID) -> StorySummary | None:
        """One story's library row as it is now (its uploads changed, say); None when it is gone or in the trash."""
        row = await self._pool.fetchrow(
            f"SELECT {_SUMMARY} FROM stories s WHERE s.id = $1 AND s.deleted_at IS NULL", story_id
        )
        return StorySummary.model_validate(dict(row)) if row else None

    async def count(self, search: str = "") -> int:
        query = prefix_tsquery(search)
        if query is None:
            value = await self._pool.fetchval("SELECT count(*) FROM stories WHERE deleted_at IS NULL")
        else:
            value = await self._pool.fetchval(f"SELECT count(*) FROM stories s WHERE {_FOUND}", query)
        return int(value)

    async def set_bible(self, story_id: uuid.UUID, bible: Bible, made_by: str) -> Story | None:
        """The story's bible now, kept as a new version (`made_by`: drafted, edited, given); None when it is gone."""
        async with self._pool.acquire() as conn, conn.transaction():
            return await self._write_bible(conn, story_id, bible, made_by)

    async def change_bible(self, story_id: uuid.UUID, change: Callable[[Bible], Bible], made_by: str) -> Story | None:
        """`change` applied to the bible as it is stored now, with the story's row locked, so a change made
        meanwhile elsewhere (a save, another portrait) is kept, not written over; None when the story is gone."""
        async with self._pool.acquire() as conn, conn.transaction():
            stored = await conn.fetchval("SELECT bible FROM stories WHERE id = $1 FOR UPDATE", story_id)
            if stored is None:
                return None
            return await self._write_bible(conn, story_id, change(Bible.model_validate(json.loads(stored))), made_by)

    @staticmethod
    async def _write_bible(conn: asyncpg.Connection, story_id: uuid.UUID, bible: Bible, made_by: str) -> Story | None:
        data = json.dumps(bible.as_json())
        row = await conn.fetchrow(
            f"""UPDATE stories SET bible = $2::jsonb, updated_at = greatest($3, updated_at)
                WHERE id = $1 RETURNING {READ_COLUMNS}""",
            story_id,
            data,
            utc_now(),
        )
        if row is None:
            return None
        await conn.execute(
            """INSERT INTO bible_versions (id, story_id, number, made_by, bible, created_at)
               SELECT $1, $2, coalesce(max(number), 0) + 1, $3, $4::jsonb, $5
               FROM bible_versions WHERE story_id = $2""",
            uuid.uuid4(),
            story_id,
            made_by,
            data,
            utc_now(),
        )
        return Story.model_validate(dict(row))

    async def rename(self, story_id: uuid.UUID, title: str) -> Story | None:
        """None when the story is gone. The update trigger announces the new title to the other processes."""
        row = await self._pool.fetchrow(
            f"""UPDATE stories SET title = $2, updated_at = greatest($3, updated_at)
                WHERE id = $1 RETURNING {READ_COLUMNS}""",
            story_id,
            title,
            utc_now(),
        )
        return Story.model_validate(dict(row)) if row else None
