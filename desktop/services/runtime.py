"""What the app runs on: settings, the executor, the task runner and the database, started and stopped in order."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal

from desktop.config import Settings
from desktop.db.address import DatabaseAddress
from desktop.db.connect import DatabaseUnavailable, database_host, open_pool
from desktop.db.embedded import EmbeddedPostgres, EmbeddedPostgresError
from desktop.logs import SECRET_MASK
from desktop.qt.aio import SHUTDOWN_GRACE_S, TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.secrets import SECRET_NAMES, SecretStore

if TYPE_CHECKING:
    # Imported when the database is up (providers, httpx, Pillow): the window shows before they load.
    import asyncpg

    from desktop.db.repositories import SceneRepository, StoryRepository
    from desktop.services.live_changes import LiveChanges
    from desktop.services.story_service import StoryService
    from desktop.services.upload_manager import UploadManager

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SettingsChange:
    database_changed: bool
    local_only_images: int  # images kept only on this computer, when storage just moved to Supabase
    storage_changed: bool  # another storage, or the same one reached another way (URL, key, bucket…)


class Service(Protocol):
    async def shutdown(self) -> None: ...


class Runtime(QObject):
    """Owns the long-lived pieces; `database_ready`/`database_failed` tell the window how start-up went."""

    database_ready = Signal(str)
    database_failed = Signal(str)

    def __init__(self, settings: Settings, secrets: SecretStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.secrets = secrets
        self.executor = QThreadPoolExecutor(max_workers=settings.upload_concurrency + 1, background=True)
        # The embedded server inherits the priority of the thread that starts it: not a background one.
        self._database_executor = QThreadPoolExecutor(max_workers=1, name="storyforge-database")
        self.tasks = TaskRunner(self)
        self.pool: asyncpg.Pool | None = None
        self.stories: StoryRepository | None = None
        self.scenes: SceneRepository | None = None
        self.uploads: UploadManager | None = None
        self.story_service: StoryService | None = None
        self.live: LiveChanges | None = None
        self.address: DatabaseAddress | None = None
        self.database_label = (
            "embedded PostgreSQL"
            if settings.uses_embedded_database
            else (f"PostgreSQL at {database_host(settings.database_url)}")
        )
        self.database_error = ""
        self.services: list[Service] = []
        self._embedded: EmbeddedPostgres | None = None
        self._ready = asyncio.Event()

    async def start_database(self) -> bool:
        """Start (or reach) the database and migrate it; False with `database_error` set when it cannot."""
        try:
            self.address = DatabaseAddress.of(
                await self._dsn(),
                session_url=self.settings.database_session_dsn(),
                ca_file=self.settings.database_ca_file,
            )
            self.pool = await open_pool(self.address)
        except (DatabaseUnavailable, EmbeddedPostgresError) as exc:
            self.database_error = str(exc)
            log.error("database unavailable: %s", exc, exc_info=exc.__cause__)
            self.database_failed.emit(self.database_error)
            return False
        from desktop.db.repositories import SceneRepository, StoryRepository
        from desktop.services.live_changes import LiveChanges
        from desktop.services.story_service import StoryService
        from desktop.services.upload_manager import UploadManager

        self.stories = StoryRepository(self.pool)
        self.scenes = SceneRepository(self.pool)
        self.uploads = UploadManager(settings=self.settings, pool=self.pool, executor=self.executor, parent=self)
        self.story_service = StoryService(
            settings=self.settings, pool=self.pool, executor=self.executor, uploads=self.uploads, parent=self
        )
        self.live = LiveChanges(self.address, self.story_service, self.uploads, self._restart_embedded, parent=self)
        # Live refresh stops first on quit, then generation; uploads last, since they may still be finishing.
        self.services = [self.live, self.story_service, self.uploads]
        await self.story_service.recover()
        await self.uploads.start()
        await self.live.start()
        self._ready.set()
        self.database_ready.emit(self.database_label)
        return True

    async def apply_settings(self, settings: Settings) -> SettingsChange:
        """Providers, storage and concurrency change at once; another database is used from the next start."""
        from desktop.services.upload_manager import storage_identity

        before, self.settings = self.settings, settings
        SECRET_MASK.add(getattr(settings, name).get_secret_value() for name in SECRET_NAMES)
        self.executor.set_max_workers(settings.upload_concurrency + 1)
        if self.story_service is not None:
            self.story_service.reconfigure(settings)
        local_only = 0
        if self.uploads is not None:
            await self.uploads.reconfigure(settings)
            if before.storage_backend == "local" and settings.storage_backend == "supabase":
                local_only = len(await self.uploads.local_only_images())
        database_changed = _database_identity(before) != _database_identity(settings)
        return SettingsChange(
            database_changed=database_changed,
            local_only_images=local_only,
            storage_changed=storage_identity(before) != storage_identity(settings),
        )

    async def wait_ready(self) -> None:
        await self._ready.wait()

    async def _restart_embedded(self) -> None:
        """After a lost connection: the embedded server is started again if it stopped (a running one is kept)."""
        if self._embedded is not None:
            await asyncio.wrap_future(self._database_executor.submit(self._embedded.start))

    async def _dsn(self) -> str:
        if not self.settings.uses_embedded_database:
            return self.settings.database_dsn()
        self._embedded = EmbeddedPostgres(self.settings.postgres_dir)
        return await asyncio.wrap_future(self._database_executor.submit(self._embedded.start))

    async def shutdown(self) -> None:
        """Cancel work, let services settle, close the pool, stop the embedded server, stop the executor."""
        for service in self.services:
            await service.shutdown()
        await self.tasks.cancel_all()
        if self.pool is not None:
            try:
                # close() waits for every connection to come back; one stuck on a dead server must not stop a quit.
                async with asyncio.timeout(SHUTDOWN_GRACE_S):
                    await self.pool.close()
            except TimeoutError:
                log.warning("the database connections did not close in time; closing them now")
                self.pool.terminate()
            self.pool = None
        if self._embedded is not None:
            await asyncio.wrap_future(self._database_executor.submit(self._embedded.stop))
            self._embedded = None
        self.executor.shutdown(wait=True, cancel_futures=True, timeout=SHUTDOWN_GRACE_S)
        self._database_executor.shutdown(wait=True, timeout=SHUTDOWN_GRACE_S)


def _database_identity(settings: Settings) -> tuple[object, ...]:
    """What decides which database the app reaches and how: a change of any of it applies at the next start."""
    return (
        settings.database_url,
        settings.database_password,
        settings.database_session_url,
        settings.database_ca_file,
    )
