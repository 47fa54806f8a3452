from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from desktop.models import ImageStatus, Scene, utc_now

_WRITTEN = (
    "id, story_id, index, title, text, image_prompt, image_status, image_path, image_error, edited_at, created_at,"
    " updated_at"
)
# The revision is read, never written: the database moves it (migration 007). What the image was painted from is
# written only with the image (set_image).
_COLUMNS = f"{_WRITTEN}, revision, painted_title, painted_prompt"
_UPSERT = f"""
    INSERT INTO scenes ({_WRITTEN}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
    ON CONFLICT (story_id, index) DO UPDATE SET
        title = excluded.title, text = excluded.text, image_prompt = excluded.image_prompt,
        image_status = excluded.image_status, image_path = excluded.image_path,
        image_error = excluded.image_error, edited_at = excluded.edited_at, updated_at = excluded.updated_at
    RETURNING {_COLUMNS}"""


def _existing(row: asyncpg.Record | None, scene_id: uuid.UUID) -> Scene:
    """The scene an UPDATE … RETURNING wrote; no row means it was not there."""
    if row is None:
        raise LookupError(f"scene {scene_id} does not exist")
    return Scene.model_validate(dict(row))


class StaleRevision(Exception):
    """The scene's title or text changed since the revision a write was based on; `current` is the scene now."""

    def __init__(self, current: Scene) -> None:
        super().__init__(f"scene {current.id} is at revision {current.revision}")
        self.current = current


def _args(scene: Scene) -> tuple[object, ...]:
    return (
        scene.id,
        scene.story_id,
        scene.index,
        scene.title,
        scene.text,
        scene.image_prompt,
        scene.image_status.value,
        scene.image_path,
        scene.image_error,
        scene.edited_at,
        scene.created_at,
        scene.updated_at,
    )


class SceneRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def save(self, scene: Scene) -> Scene:
        """Insert or replace the scene at its index; a replaced scene keeps its first id."""
        row = await self._pool.fetchrow(_UPSERT, *_args(scene))
        return Scene.model_validate(dict(row))

    async def save_many(self, scenes: Sequence[Scene]) -> list[Scene]:
        """All or nothing: a story's scenes are saved in one transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = [await conn.fetchrow(_UPSERT, *_args(scene)) for scene in scenes]
        return [Scene.model_validate(dict(row)) for row in rows]

    async def get(self, scene_id: uuid.UUID) -> Scene | None:
        row = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM scenes WHERE id = $1", scene_id)
        return Scene.model_validate(dict(row)) if row else None

    async def for_story(self, story_id: uuid.UUID) -> list[Scene]:
        rows = await self._pool.fetch(f"SELECT {_COLUMNS} FROM scenes WHERE story_id = $1 ORDER BY index", story_id)
        return [Scene.model_validate(dict(row)) for row in rows]

    async def update_text(self, scene_id: uuid.UUID, title: str, text: str, *, revision: int | None = None) -> Scene:
        """The writer's own words: a change to the title or text marks the scene edited by hand (`edited_at`).

        With `revision`, only over that revision of the scene; otherwise StaleRevision, and nothing is written.
        """
        row = await self._pool.fetchrow(
            f"""UPDATE scenes SET title = $2, text = $3, updated_at = greatest($4, updated_at),
                   edited_at = CASE WHEN (title, text) IS DISTINCT FROM ($2, $3) THEN $4 ELSE edited_at END
                WHERE id = $1 AND ($5::integer IS NULL OR revision = $5) RETURNING {_COLUMNS}""",
            scene_id,
            title,
            text,
            utc_now(),
            revision,
        )
        return await self._written(row, scene_id)

    async def replace_text(
        self, scene_id: uuid.UUID, title: str, text: str, image_prompt: str, *, revision: int | None = None
    ) -> Scene:
        """A regenerated text: it replaces the writer's edits, so the scene reads as generated again.

        Only the text columns: an image being painted for the scene meanwhile keeps its own status and path. With
        `revision`, only over that revision (the one the new text was written from); otherwise StaleRevision.
        """
        row = await self._pool.fetchrow(
            f"""UPDATE scenes SET title = $2, text = $3, image_prompt = $4, edited_at = NULL,
                   updated_at = greatest($5, updated_at)
                WHERE id = $1 AND ($6::integer IS NULL OR revision = $6) RETURNING {_COLUMNS}""",
            scene_id,
            title,
            text,
            image_prompt,
            utc_now(),
            revision,
        )
        return await self._written(row, scene_id)

    async def _written(self, row: asyncpg.Record | None, scene_id: uuid.UUID) -> Scene:
        """The scene a conditional UPDATE wrote; no row means it is gone, or its revision moved on."""
        if row is not None:
            return Scene.model_validate(dict(row))
        current = await self.get(scene_id)
        if current is None:
            raise LookupError(f"scene {scene_id} does not exist")
        raise StaleRevision(current)

    async def set_image(
        self,
        scene_id: uuid.UUID,
        status: ImageStatus,
        *,
        path: str | None = None,
        error: str = "",
        painted_from: tuple[str, str] | None = None,
    ) -> Scene:
        """`painted_from`: the (title, image prompt) a new image at `path` was painted from."""
        title, prompt = painted_from if painted_from is not None else (None, None)
        row = await self._pool.fetchrow(
            f"""UPDATE scenes SET image_status = $2, image_path = coalesce($3, image_path), image_error = $4,
                   updated_at = greatest($5, updated_at),
                   painted_title = coalesce($6, painted_title), painted_prompt = coalesce($7, painted_prompt)
                WHERE id = $1 RETURNING {_COLUMNS}""",
            scene_id,
            status.value,
            path,
            error,
            utc_now(),
            title,
            prompt,
        )
        return _existing(row, scene_id)

    async def reset_unfinished_images(self) -> int:
        """At start-up: images left `painting` by an app that died go back to what they were (painted or pending).
        Those of a story another running process is writing are its own business."""
        result = await self._pool.execute(
            """UPDATE scenes SET image_status = CASE WHEN image_path <> '' THEN 'painted' ELSE 'pending' END,
                   updated_at = greatest($1, updated_at)
               WHERE image_status = 'painting' AND story_id NOT IN (
                   SELECT id FROM stories WHERE status = 'generating' AND storyforge_owner_alive(writer))""",
            utc_now(),
        )
        return int(result.split()[-1])
