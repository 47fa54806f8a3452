"""The outbox: one row per image on its way to storage. Every change returns the row as it now is."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from desktop.models import FailureKind, Upload, UploadStatus, utc_now

_COLUMNS = (
    "id, story_id, scene_id, scene_index, local_path, object_path, content_type, backend, status, attempts, "
    "error_kind, error_message, next_attempt_at, url, created_at, updated_at, url_expires_at, stored_at, "
    "replaced_paths, device"
)
_U_COLUMNS = ", ".join(f"u.{column.strip()}" for column in _COLUMNS.split(","))
# Every UPDATE passes "now" as $2: updated_at only moves forward.
_TOUCH = "updated_at = greatest($2, uploads.updated_at)"


def _upload(row: asyncpg.Record) -> Upload:
    return Upload.model_validate(dict(row))


@dataclass(frozen=True)
class Outcome:
    """What became of one transfer; `url` None keeps the row's URL (and its expiry); `stored` True records that the
    object is in storage, False that it must be sent again, None keeps what the row says."""

    upload_id: uuid.UUID
    status: UploadStatus
    error_kind: FailureKind | None = None
    error_message: str = ""
    next_attempt_at: datetime | None = None
    url: str | None = None
    url_expires_at: datetime | None = None
    stored: bool | None = None


@dataclass(frozen=True)
class NewLink:
    upload_id: uuid.UUID
    url: str
    expires_at: datetime | None


class UploadRepository:
    """Over the pool, or — between `hold_connection()` and `release_connection()` — over a connection of its own.

    The uploads queue talks to this table several times per image. Through the pool each query also costs an
    acquire, a release and the pool's reset query; on qasync that is a dozen loop callbacks per query.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._own: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    async def hold_connection(self) -> None:
        if self._own is None:
            self._own = await self._pool.acquire()

    async def release_connection(self) -> None:
        own = await self._held()
        self._own = None
        if own is not None:
            async with self._lock:  # let a query in flight finish first
                await self._pool.release(own)

    async def _held(self) -> asyncpg.Connection | None:
        """The held connection while it is usable; from the moment the server drops it, the pool serves."""
        own = self._own
        if own is None:
            return None
        try:
            if not own.is_closed():
                return own
        except asyncpg.InterfaceError:  # the pool has taken it back already
            self._own = None
            return None
        # Closed under us: hand it back, so the pool replaces it and closing the pool does not wait for it.
        self._own = None
        await self._pool.release(own)
        return None

    async def _fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        own = await self._held()
        if own is None:
            return list(await self._pool.fetch(sql, *args))
        async with self._lock:
            return list(await own.fetch(sql, *args))

    async def _fetchrow(self, sql: str, *args: object) -> asyncpg.Record | None:
        rows = await self._fetch(sql, *args)
        return rows[0] if rows else None

    async def _fetchval(self, sql: str, *args: object) -> Any:
        row = await self._fetchrow(sql, *args)
        return row[0] if row else None

    async def add(self, upload: Upload) -> Upload:
        """Record an image for upload. The same object again (same backend and path) keeps its row: a failed or
        cancelled one is queued afresh, a pending or uploaded one stays as it is."""
        # $2 is updated_at, as in every statement here (see _TOUCH); the other columns follow in order.
        row = await self._fetchrow(
            f"""INSERT INTO uploads ({_COLUMNS})
                VALUES ($1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $2, $17, $18, $19, $20)
                ON CONFLICT (backend, object_path) DO UPDATE SET
                    local_path = excluded.local_path,
                    device = excluded.device,
                    scene_id = excluded.scene_id,
                    attempts = CASE WHEN uploads.status IN ('failed', 'cancelled') THEN 0 ELSE uploads.attempts END,
                    error_kind = CASE WHEN uploads.status IN ('failed', 'cancelled') THEN NULL
                                      ELSE uploads.error_kind END,
                    error_message = CASE WHEN uploads.status IN ('failed', 'cancelled') THEN ''
                                         ELSE uploads.error_message END,
                    next_attempt_at = CASE WHEN uploads.status IN ('failed', 'cancelled') THEN NULL
                                           ELSE uploads.next_attempt_at END,
                    status = CASE WHEN uploads.status IN ('failed', 'cancelled') THEN 'queued' ELSE uploads.status END,
                    {_TOUCH}
                RETURNING {_COLUMNS}""",
            upload.id,
            upload.updated_at,
            upload.story_id,
            upload.scene_id,
            upload.scene_index,
            upload.local_path,
            upload.object_path,
            upload.content_type,
            upload.backend,
            upload.status.value,
            upload.attempts,
            upload.error_kind.value if upload.error_kind else None,
            upload.error_message,
            upload.next_attempt_at,
            upload.url,
            upload.created_at,
            upload.url_expires_at,
            upload.stored_at,
            list(upload.replaced_paths),
            upload.device,
        )
        return _upload(row)

    async def get(self, upload_id: uuid.UUID) -> Upload | None:
        row = await self._fetchrow(f"SELECT {_COLUMNS} FROM uploads WHERE id = $1", upload_id)
        return _upload(row) if row else None

    async def find(
        self,
        *,
        backend: str | None = None,
        status: UploadStatus | None = None,
        story_id: uuid.UUID | None = None,
        uploaded_limit: int | None = None,
    ) -> list[Upload]:
        """Oldest first; with `uploaded_limit`, of the finished uploads only that many of the latest."""
        rows = await self._fetch(
            f"""SELECT {_COLUMNS} FROM uploads
                WHERE ($1::text IS NULL OR backend = $1) AND ($2::text IS NULL OR status = $2)
                  AND ($3::uuid IS NULL OR story_id = $3)
                  AND ($4::int IS NULL OR status <> 'uploaded' OR id IN (
                      SELECT id FROM uploads
                      WHERE status = 'uploaded' AND ($1::text IS NULL OR backend = $1)
                        AND ($3::uuid IS NULL OR story_id = $3)
                      ORDER BY updated_at DESC, id DESC LIMIT $4))
                ORDER BY created_at, story_id, scene_index""",
            backend,
            status.value if status else None,
            story_id,
            uploaded_limit,
        )
        return [_upload(row) for row in rows]

    async def claim(self, backend: str, device: str, limit: int = 1) -> list[Upload]:
        """Take up to `limit` due `queued` rows of this device (see Upload.device), oldest first, and mark them
        `uploading`; two app instances never take the same row."""
        rows = await self._fetch(
            f"""UPDATE uploads SET status = 'uploading', attempts = attempts + 1, {_TOUCH}
                WHERE id IN (
                    SELECT id FROM uploads
                    WHERE status = 'queued' AND backend = $1 AND device IN ('', $4)
                      AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
                    ORDER BY next_attempt_at NULLS FIRST, created_at
                    LIMIT $3 FOR UPDATE SKIP LOCKED)
                RETURNING {_COLUMNS}""",
            backend,
            utc_now(),
            limit,
            device,
        )
        return sorted((_upload(row) for row in rows), key=lambda upload: (upload.created_at, upload.scene_index))

    async def next_due(self, backend: str, device: str) -> datetime | None:
        """When the earliest queued row of this device waiting out a back-off becomes due."""
        value: datetime | None = await self._fetchval(
            "SELECT min(next_attempt_at) FROM uploads WHERE status = 'queued' AND backend = $1 AND device IN ('', $2)",
            backend,
            device,
        )
        return value

    async def _update(self, sql: str, *args: object) -> list[Upload]:
        rows = await self._fetch(sql, *args)
        return [_upload(row) for row in rows]

    async def record(self, outcomes: Sequence[Outcome]) -> list[Upload]:
        """Write what became of transfers (rows still `uploading`), all in one statement."""
        if not outcomes:
            return []
        return await self._update(
            f"""UPDATE uploads AS u SET status = v.status, error_kind = v.error_kind,
                   error_message = v.error_message, next_attempt_at = v.next_attempt_at,
                   url = coalesce(v.url, u.url),
                   replaced_paths = CASE WHEN v.status = 'uploaded' THEN '{{}}' ELSE u.replaced_paths END,
                   url_expires_at = CASE WHEN v.url IS NULL THEN u.url_expires_at ELSE v.url_expires_at END,
                   stored_at = CASE WHEN v.stored THEN coalesce(u.stored_at, $2)
                                    WHEN NOT v.stored THEN NULL ELSE u.stored_at END,
                   updated_at = greatest($2, u.updated_at)
                FROM unnest($1::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[],
                            $8::timestamptz[], $9::bool[])
                     AS v(id, status, error_kind, error_message, next_attempt_at, url, url_expires_at, stored)
                WHERE u.id = v.id AND u.status = 'uploading'
                RETURNING {_U_COLUMNS}""",
            [outcome.upload_id for outcome in outcomes],
            utc_now(),
            [outcome.status.value for outcome in outcomes],
            [outcome.error_kind.value if outcome.error_kind else None for outcome in outcomes],
            [outcome.error_message for outcome in outcomes],
            [outcome.next_attempt_at for outcome in outcomes],
            [outcome.url for outcome in outcomes],
            [outcome.url_expires_at for outcome in outcomes],
            [outcome.stored for outcome in outcomes],
        )

    async def set_links(self, links: Sequence[NewLink]) -> list[Upload]:
        """Renewed links for uploaded rows (rows that changed state meanwhile are left alone)."""
        if not links:
            return []
        return await self._update(
            f"""UPDATE uploads AS u SET url = v.url, url_expires_at = v.expires_at,
                   updated_at = greatest($2, u.updated_at)
                FROM unnest($1::uuid[], $3::text[], $4::timestamptz[]) AS v(id, url, expires_at)
                WHERE u.id = v.id AND u.status = 'uploaded'
                RETURNING {_U_COLUMNS}""",
            [link.upload_id for link in links],
            utc_now(),
            [link.url for link in links],
            [link.expires_at for link in links],
        )

    async def resend(self, upload_ids: Sequence[uuid.UUID]) -> list[Upload]:
        """Uploaded rows whose object is gone from storage: queued to be sent again, bytes and link."""
        return await self._update(
            f"""UPDATE uploads SET status = 'queued', attempts = 0, error_kind = NULL, error_message = '',
                   next_attempt_at = NULL, stored_at = NULL, url = '', url_expires_at = NULL, {_TOUCH}
                WHERE id = ANY($1::uuid[]) AND status = 'uploaded'
                RETURNING {_COLUMNS}""",
            list(upload_ids),
            utc_now(),
        )

    async def without_working_link(self, backend: str, before: datetime) -> list[Upload]:
        """Uploaded rows whose link is missing or expires before `before`."""
        rows = await self._fetch(
            f"""SELECT {_COLUMNS} FROM uploads
                WHERE backend = $1 AND status = 'uploaded' AND (url = '' OR url_expires_at < $2)
                ORDER BY created_at, story_id, scene_index""",
            backend,
            before,
        )
        return [_upload(row) for row in rows]

    async def cancel_waiting(self, upload_id: uuid.UUID) -> Upload | None:
        found = await self._update(
            f"""UPDATE uploads SET status = 'cancelled', next_attempt_at = NULL, {_TOUCH}
                WHERE id = $1 AND status IN ('queued', 'failed') RETURNING {_COLUMNS}""",
            upload_id,
            utc_now(),
        )
        return found[0] if found else None

    async def requeue(
        self,
        backend: str,
        *,
        upload_ids: Sequence[uuid.UUID] | None = None,
        story_id: uuid.UUID | None = None,
        include_cancelled: bool = False,
    ) -> list[Upload]:
        """A manual retry: failed rows (and those waiting out a back-off) are due now, with a fresh attempt count."""
        statuses = ["failed", "queued"] + (["cancelled"] if include_cancelled else [])
        return await self._update(
            f"""UPDATE uploads SET status = 'queued', attempts = 0, error_kind = NULL, error_message = '',
                   next_attempt_at = NULL, {_TOUCH}
                WHERE backend = $1 AND status = ANY($3::text[])
                  AND (status <> 'queued' OR next_attempt_at IS NOT NULL)
                  AND ($4::uuid[] IS NULL OR id = ANY($4::uuid[]))
                  AND ($5::uuid IS NULL OR story_id = $5)
                RETURNING {_COLUMNS}""",
            backend,
            utc_now(),
            statuses,
            list(upload_ids) if upload_ids is not None else None,
            story_id,
        )

    async def release(self, upload_ids: Sequence[uuid.UUID] | None = None) -> list[Upload]:
        """`uploading` rows back to `queued`: their transfer did not finish. With no ids: every such row whose
        process is gone (another running Storyforge may be sending the rest)."""
        return await self._update(
            f"""UPDATE uploads SET status = 'queued', {_TOUCH}
                WHERE status = 'uploading'
                  AND ($1::uuid[] IS NULL AND NOT storyforge_owner_alive(claimed_by) OR id = ANY($1::uuid[]))
                RETURNING {_COLUMNS}""",
            list(upload_ids) if upload_ids is not None else None,
            utc_now(),
        )

    async def counts(self, backend: str | None = None) -> dict[UploadStatus, int]:
        """Per state, of one storage's rows or (None) of every storage's."""
        rows = await self._fetch(
            "SELECT status, count(*) AS n FROM uploads WHERE $1::text IS NULL OR backend = $1 GROUP BY status", backend
        )
        found = {UploadStatus(row["status"]): int(row["n"]) for row in rows}
        return {status: found.get(status, 0) for status in UploadStatus}

    async def pending_count(self, backend: str, device: str, story_id: uuid.UUID | None = None) -> int:
        """Uploads this device sends (see `claim`) that are not settled yet."""
        value = await self._fetchval(
            """SELECT count(*) FROM uploads
               WHERE backend = $1 AND status IN ('queued', 'uploading') AND device IN ('', $3)
                 AND ($2::uuid IS NULL OR story_id = $2)""",
            backend,
            story_id,
            device,
        )
        return int(value)

    async def missing_from(self, source: str, target: str) -> list[Upload]:
        """Rows stored on `source` whose scene has no row at all on `target` (one row per scene and storage)."""
        rows = await self._fetch(
            f"""SELECT {_COLUMNS} FROM uploads u
                WHERE u.backend = $1 AND u.status = 'uploaded'
                  AND NOT EXISTS (SELECT 1 FROM uploads t WHERE t.backend = $2
                                  AND (t.object_path = u.object_path OR t.scene_id = u.scene_id))
                ORDER BY u.created_at, u.story_id, u.scene_index""",
            source,
            target,
        )
        return [_upload(row) for row in rows]

    # One row per scene's current image and storage ----------------------------------------------------------------

    async def put_scene_image(self, upload: Upload) -> Upload:
        """The scene's image, to be stored on `upload.backend`: the scene's row there is reused, never doubled.

        A new image takes the row over, queued afresh. The object of the image it replaces (if it was ever sent)
        stays in storage, for the scene's earlier version, and is remembered in `kept_objects` until the scene is
        purged from the trash (migration 011). The same image again behaves as `add`: a failed or cancelled row is
        queued, any other stays.
        """
        same = "(object_path = $4 AND status NOT IN ('failed', 'cancelled'))"
        was_sent = "(status IN ('uploaded', 'uploading') OR attempts > 0 OR stored_at IS NOT NULL)"
        row = await self._fetchrow(
            f"""WITH kept AS (
                   INSERT INTO kept_objects (scene_id, story_id, backend, object_path)
                   SELECT scene_id, story_id, backend, object_path FROM uploads
                   WHERE scene_id = $1 AND backend = $7 AND object_path <> $4 AND {was_sent}
                   ON CONFLICT DO NOTHING)
               UPDATE uploads SET local_path = $3, content_type = $5, scene_index = $6, device = $8,
                   replaced_paths = array_remove(replaced_paths, $4),
                   status = CASE WHEN {same} THEN status ELSE 'queued' END,
                   attempts = CASE WHEN {same} THEN attempts ELSE 0 END,
                   error_kind = CASE WHEN {same} THEN error_kind END,
                   error_message = CASE WHEN {same} THEN error_message ELSE '' END,
                   next_attempt_at = CASE WHEN {same} THEN next_attempt_at END,
                   url = CASE WHEN object_path = $4 THEN url ELSE '' END,
                   url_expires_at = CASE WHEN object_path = $4 THEN url_expires_at END,
                   stored_at = CASE WHEN object_path = $4 THEN stored_at END,
                   object_path = $4, {_TOUCH}
                WHERE scene_id = $1 AND backend = $7
                RETURNING {_COLUMNS}""",
            upload.scene_id,
            upload.updated_at,
            upload.local_path,
            upload.object_path,
            upload.content_type,
            upload.scene_index,
            upload.backend,
            upload.device,
        )
        return _upload(row) if row is not None else await self.add(upload)

    async def drop_unsent_elsewhere(self, upload: Upload) -> list[uuid.UUID]:
        """The scene's rows on other storages that never stored an earlier image of it (waiting, failed or
        cancelled, nothing left to remove): the image they were for is replaced, so they go; returns their ids."""
        rows = await self._fetch(
            """DELETE FROM uploads
               WHERE scene_id = $1 AND backend <> $2 AND object_path <> $3
                 AND status IN ('queued', 'failed', 'cancelled') AND stored_at IS NULL
                 AND cardinality(replaced_paths) = 0
               RETURNING id""",
            upload.scene_id,
            upload.backend,
            upload.object_path,
        )
        return [row["id"] for row in rows]

    async def stranded(self, target: str, upload_ids: Sequence[uuid.UUID] | None = None) -> list[Upload]:
        """Uploads waiting or failed on a storage that is not `target` (the one now chosen): nothing works on them
        until they are sent to `target` (`retarget`) or that storage is chosen again."""
        rows = await self._fetch(
            f"""SELECT {_COLUMNS} FROM uploads
                WHERE backend <> $1 AND status IN ('queued', 'failed')
                  AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))
                ORDER BY created_at, story_id, scene_index""",
            target,
            list(upload_ids) if upload_ids is not None else None,
        )
        return [_upload(row) for row in rows]

    async def retarget(
        self, target: str, upload_ids: Sequence[uuid.UUID] | None = None
    ) -> tuple[list[Upload], list[uuid.UUID]]:
        """Send stranded uploads (see `stranded`) to `target`; returns the rows changed and the ids of rows removed.

        A row moves: its `backend` becomes `target` and it is queued afresh. Moving rather than adding a row and
        marking the old one superseded keeps one row per scene and storage and nothing for every query to filter;
        what the old storage never stored needs no record there. When the scene already has a row on `target`,
        the rows are merged (UNIQUE (scene_id, backend) and (backend, object_path)): the one holding the scene's
        current image stays — queued again if it failed — and the other goes; a replaced object already on
        `target` is left for the job to remove. A row `target` is sending right now is left for a later call.
        """
        changed: list[Upload] = []
        removed: list[uuid.UUID] = []
        now = utc_now()
        fresh = f"""status = 'queued', attempts = 0, error_kind = NULL, error_message = '', next_attempt_at = NULL,
                    url = '', url_expires_at = NULL, stored_at = NULL, {_TOUCH}"""
        async with self._pool.acquire() as conn, conn.transaction():
            strays = await conn.fetch(
                f"""SELECT {_U_COLUMNS}, s.image_path FROM uploads u JOIN scenes s ON s.id = u.scene_id
                    WHERE u.backend <> $1 AND u.status IN ('queued', 'failed')
                      AND ($2::uuid[] IS NULL OR u.id = ANY($2::uuid[]))
                    ORDER BY u.created_at, u.story_id, u.scene_index FOR UPDATE OF u""",
                target,
                list(upload_ids) if upload_ids is not None else None,
            )
            for stray in strays:
                there = await conn.fetchrow(
                    f"SELECT {_COLUMNS} FROM uploads WHERE scene_id = $1 AND backend = $2 FOR UPDATE",
                    stray["scene_id"],
                    target,
                )
                replaced = list(stray["replaced_paths"])
                if there is not None:
                    if there["status"] == "uploading":
                        continue
                    if there["object_path"] == stray["object_path"] or not _is_current(stray, there):
                        await conn.execute("DELETE FROM uploads WHERE id = $1", stray["id"])
                        removed.append(stray["id"])
                        if there["status"] in ("failed", "cancelled"):
                            row = await conn.fetchrow(
                                f"UPDATE uploads SET {fresh} WHERE id = $1 RETURNING {_COLUMNS}", there["id"], now
                            )
                            changed.append(_upload(row))
                        continue
                    await conn.execute("DELETE FROM uploads WHERE id = $1", there["id"])
                    removed.append(there["id"])
                    if there["status"] == "uploaded" or there["attempts"] > 0 or there["stored_at"] is not None:
                        replaced.append(there["object_path"])
                row = await conn.fetchrow(
                    f"""UPDATE uploads SET backend = $3, replaced_paths = $4, {fresh}
                        WHERE id = $1 RETURNING {_COLUMNS}""",
                    stray["id"],
                    now,
                    target,
                    [path for path in replaced if path != stray["object_path"]],
                )
                changed.append(_upload(row))
        return changed, removed


def _is_current(stray: asyncpg.Record, there: asyncpg.Record) -> bool:
    """Whether `stray` rather than `there` holds the scene's image now (the scene names its file)."""
    image = stray["image_path"]
    if (stray["local_path"] == image) != (there["local_path"] == image):
        return bool(stray["local_path"] == image)
    return bool(stray["updated_at"] > there["updated_at"])
