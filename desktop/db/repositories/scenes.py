from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from desktop.models import ImageRecord, ImageStatus, Scene, SceneVersion, VersionMaker, utc_now

_WRITTEN = (
    "id, story_id, index, title, text, image_prompt, image_status, image_path, image_error, edited_at, created_at,"
    " updated_at"
)
# The revision is read, never written: the database moves it (migration 007). What the image was painted from is
# written only with the image (set_image); the version only with a new version (_record_version).
COLUMNS = f"{_WRITTEN}, revision, painted_title, painted_prompt, version_id, deleted_at, asked_image, image_made"
LIVE = "deleted_at IS NULL"
_UPSERT = f"""
    INSERT INTO scenes ({_WRITTEN}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
    ON CONFLICT (story_id, index) WHERE deleted_at IS NULL DO UPDATE SET
        title = excluded.title, text = excluded.text, image_prompt = excluded.image_prompt,
        image_status = excluded.image_status, image_path = excluded.image_path,
        image_error = excluded.image_error, edited_at = excluded.edited_at, updated_at = excluded.updated_at
    RETURNING {COLUMNS}"""
_VERSION_COLUMNS = (
    "id, scene_id, story_id, number, made_by, maker, title, text, image_prompt, image_path, painted_title,"
    " painted_prompt, edited_at, created_at, asked_image, image_made"
)


def _existing(row: asyncpg.Record | None, scene_id: uuid.UUID) -> Scene:
    """The scene an UPDATE … RETURNING wrote; no row means it was not there."""
    if row is None:
        raise LookupError(f"scene {scene_id} does not exist")
    return Scene.model_validate(dict(row))


async def record_version(conn: asyncpg.Connection, scene_id: uuid.UUID, made_by: VersionMaker, maker: str) -> Scene:
    """A new version of the scene: a copy of what it says and shows now, which it then points at. Called in the
    transaction that changed the scene, so a change and its version are stored together or not at all."""
    version_id = uuid.uuid4()
    await conn.execute(
        f"""INSERT INTO scene_versions ({_VERSION_COLUMNS})
            SELECT $2, c.id, c.story_id,
                   coalesce((SELECT max(v.number) FROM scene_versions v WHERE v.scene_id = c.id), 0) + 1,
                   $3, $4, c.title, c.text, c.image_prompt, c.image_path, c.painted_title, c.painted_prompt,
                   c.edited_at, $5, c.asked_image, c.image_made
            FROM scenes c WHERE c.id = $1""",
        scene_id,
        version_id,
        made_by.value,
        maker,
        utc_now(),
    )
    row = await conn.fetchrow(
        f"UPDATE scenes SET version_id = $2 WHERE id = $1 RETURNING {COLUMNS}", scene_id, version_id
    )
    return _existing(row, scene_id)


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

    async def save(self, scene: Scene, made_by: VersionMaker = VersionMaker.written, maker: str = "") -> Scene:
        """Insert or replace the scene at its index (a replaced scene keeps its first id), as a new version."""
        [saved] = await self.save_many([scene], made_by, maker)
        return saved

    async def save_many(
        self, scenes: Sequence[Scene], made_by: VersionMaker = VersionMaker.written, maker: str = ""
    ) -> list[Scene]:
        """All or nothing: a story's scenes are saved in one transaction, each as a new version."""
        saved = []
        async with self._pool.acquire() as conn, conn.transaction():
            for scene in scenes:
                row = await conn.fetchrow(_UPSERT, *_args(scene))
                saved.append(await record_version(conn, row["id"], made_by, maker))
        return saved

    async def get(self, scene_id: uuid.UUID) -> Scene | None:
        """The scene, also while it is in the trash (`deleted_at`)."""
        row = await self._pool.fetchrow(f"SELECT {COLUMNS} FROM scenes WHERE id = $1", scene_id)
        return Scene.model_validate(dict(row)) if row else None

    async def for_story(self, story_id: uuid.UUID) -> list[Scene]:
        """The story's scenes in their order; those in the trash are not among them."""
        rows = await self._pool.fetch(
            f"SELECT {COLUMNS} FROM scenes WHERE story_id = $1 AND {LIVE} ORDER BY index", story_id
        )
        return [Scene.model_validate(dict(row)) for row in rows]

    # Versions ----------------------------------------------------------------------------------------------------

    async def versions(self, scene_id: uuid.UUID) -> list[SceneVersion]:
        """Every version of the scene, newest first."""
        rows = await self._pool.fetch(
            f"SELECT {_VERSION_COLUMNS} FROM scene_versions WHERE scene_id = $1 ORDER BY number DESC", scene_id
        )
        return [SceneVersion.model_validate(dict(row)) for row in rows]

    async def version(self, version_id: uuid.UUID) -> SceneVersion | None:
        row = await self._pool.fetchrow(f"SELECT {_VERSION_COLUMNS} FROM scene_versions WHERE id = $1", version_id)
        return SceneVersion.model_validate(dict(row)) if row else None

    async def add_candidate(
        self, scene_id: uuid.UUID, path: str, *, asked: str, made: ImageRecord, maker: str
    ) -> SceneVersion:
        """A picture painted as a candidate ("More images"): a version with the scene's words as they are and this
        picture, which the scene does not show until the writer picks it (show_version)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT 1 FROM scenes WHERE id = $1 FOR UPDATE", scene_id)  # one number at a time
            row = await conn.fetchrow(
                f"""INSERT INTO scene_versions ({_VERSION_COLUMNS})
                    SELECT $2, c.id, c.story_id,
                           coalesce((SELECT max(v.number) FROM scene_versions v WHERE v.scene_id = c.id), 0) + 1,
                           'candidate', $3, c.title, c.text, c.image_prompt, $4, c.title, c.image_prompt,
                           c.edited_at, $5, $6, $7::jsonb
                    FROM scenes c WHERE c.id = $1
                    RETURNING {_VERSION_COLUMNS}""",
                scene_id,
                uuid.uuid4(),
                maker,
                path,
                utc_now(),
                asked,
                made.model_dump_json(),
            )
        if row is None:
            raise LookupError(f"scene {scene_id} does not exist")
        return SceneVersion.model_validate(dict(row))

    async def show_version(
        self, version: SceneVersion, *, as_new: bool, made_by: VersionMaker = VersionMaker.restored
    ) -> Scene:
        """The scene says and shows what `version` did. `as_new` (a restore from the History view, a candidate
        picked) records that as a new version made by `made_by`; otherwise (undo, redo) the scene only points at
        `version` again.

        The image comes back as painted when the version had one; a file that is gone is the caller's to check.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """UPDATE scenes SET title = v.title, text = v.text, image_prompt = v.image_prompt,
                       image_path = v.image_path, painted_title = v.painted_title, painted_prompt = v.painted_prompt,
                       edited_at = v.edited_at, version_id = v.id, image_error = '', asked_image = v.asked_image,
                       image_made = v.image_made,
                       image_status = CASE WHEN v.image_path <> '' THEN 'painted' ELSE 'pending' END,
                       updated_at = greatest($2, scenes.updated_at)
                    FROM scene_versions v WHERE v.id = $1 AND scenes.id = v.scene_id""",
                version.id,
                utc_now(),
            )
            row = await conn.fetchrow(f"SELECT {COLUMNS} FROM scenes WHERE id = $1", version.scene_id)
            scene = _existing(row, version.scene_id)
            if as_new:
                scene = await record_version(conn, scene.id, made_by, str(version.number))
        return scene

    async def update_text(self, scene_id: uuid.UUID, title: str, text: str, *, revision: int | None = None) -> Scene:
        """The writer's own words: a change to the title or text marks the scene edited by hand (`edited_at`).

        With `revision`, only over that revision of the scene; otherwise StaleRevision, and nothing is written.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            before = await conn.fetchrow("SELECT title, text FROM scenes WHERE id = $1 FOR UPDATE", scene_id)
            row = await conn.fetchrow(
                f"""UPDATE scenes SET title = $2, text = $3, updated_at = greatest($4, updated_at),
                       edited_at = CASE WHEN (title, text) IS DISTINCT FROM ($2, $3) THEN $4 ELSE edited_at END
                    WHERE id = $1 AND ($5::integer IS NULL OR revision = $5) RETURNING {COLUMNS}""",
                scene_id,
                title,
                text,
                utc_now(),
                revision,
            )
            if row is not None and before is not None and (before["title"], before["text"]) != (title, text):
                return await record_version(conn, scene_id, VersionMaker.edited, "")
        return await self._written(row, scene_id)

    async def replace_text(
        self,
        scene_id: uuid.UUID,
        title: str,
        text: str,
        image_prompt: str,
        *,
        revision: int | None = None,
        maker: str = "",
    ) -> Scene:
        """A regenerated text: it replaces the writer's edits, so the scene reads as generated again.

        Only the text columns: an image being painted for the scene meanwhile keeps its own status and path. With
        `revision`, only over that revision (the one the new text was written from); otherwise StaleRevision.
        A new version, written by `maker` (the text provider's label).
        """
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                f"""UPDATE scenes SET title = $2, text = $3, image_prompt = $4, edited_at = NULL,
                       updated_at = greatest($5, updated_at)
                    WHERE id = $1 AND ($6::integer IS NULL OR revision = $6) RETURNING {COLUMNS}""",
                scene_id,
                title,
                text,
                image_prompt,
                utc_now(),
                revision,
            )
            if row is not None:
                return await record_version(conn, scene_id, VersionMaker.written, maker)
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
        maker: str = "",
        asked: str | None = None,
        made: ImageRecord | None = None,
    ) -> Scene:
        """`painted_from`: the (title, image prompt) a new image at `path` was painted from; `asked`, the prompt
        sent for it; `made`, how it was made. A new image is a new version, painted by `maker` (the image provider's
        label)."""
        title, prompt = painted_from if painted_from is not None else (None, None)
        async with self._pool.acquire() as conn, conn.transaction():
            before = await conn.fetchval("SELECT image_path FROM scenes WHERE id = $1 FOR UPDATE", scene_id)
            row = await conn.fetchrow(
                f"""UPDATE scenes SET image_status = $2, image_path = coalesce($3, image_path), image_error = $4,
                       updated_at = greatest($5, updated_at),
                       painted_title = coalesce($6, painted_title), painted_prompt = coalesce($7, painted_prompt),
                       asked_image = coalesce($8, asked_image), image_made = coalesce($9::jsonb, image_made)
                    WHERE id = $1 RETURNING {COLUMNS}""",
                scene_id,
                status.value,
                path,
                error,
                utc_now(),
                title,
                prompt,
                asked,
                made.model_dump_json() if made is not None else None,
            )
            scene = _existing(row, scene_id)
            if path is not None and path != before:
                scene = await record_version(conn, scene_id, VersionMaker.painted, maker)
        return scene

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
