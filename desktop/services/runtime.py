"""What the app runs on: settings, the executor, the task runner and the database, started and stopped in order."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desktop.config import Settings, with_secrets
from desktop.db.address import DatabaseAddress, database_host
from desktop.db.embedded import EmbeddedPostgres
from desktop.db.server_user import EmbeddedPostgresError
from desktop.logs import SECRET_MASK
from desktop.qt.aio import SHUTDOWN_GRACE_S, TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.secrets import SECRET_NAMES, SecretStore

if TYPE_CHECKING:
    # Imported when the database is up (providers, httpx, Pillow): the window shows before they load.
    from desktop.services.session import Session

log = logging.getLogger(__name__)

# The app's short blocking calls: painting offline, checking and writing images, hashing, signing links, saving
# settings. Uploads have a pool of their own (the UploadQueue's), so this one's size does not follow theirs.
WORKERS = 4


@dataclass(frozen=True)
class SettingsChange:
    database_changed: bool
    local_only_images: int  # images kept only on this computer, when storage just moved to Supabase
    storage_changed: bool  # another storage, or the same one reached another way (URL, key, bucket…)


class Runtime(QObject):
    """Owns what exists before the database: settings, the executors, the task runner, the database's start and stop.

    Once the database is ready, `session` (the repositories and services, never None) is set and only then
    `database_ready` is emitted with the database's label: a slot connected to it reads `runtime.session` and hands
    it to the pages; `wait_ready()` returns it to a coroutine started earlier. `database_failed` says why not.
    """

    database_ready = Signal(str)
    database_failed = Signal(str)

    def __init__(
        self, settings: Settings, secrets: SecretStore, parent: QObject | None = None, *, keyring_pending: bool = False
    ) -> None:
        """`keyring_pending`: the settings' secrets are still in the keyring; they are read on the executor as the
        database starts (`read_secrets`), so the window never waits for the keyring."""
        super().__init__(parent)
        self.settings = settings
        self.secrets = secrets
        self.executor = QThreadPoolExecutor(max_workers=WORKERS, background=True)
        # The embedded server inherits the priority of the thread that starts it: not a background one.
        self._database_executor = QThreadPoolExecutor(max_workers=1, name="storyforge-database")
        self.tasks = TaskRunner(self)
        self.session: Session | None = None
        self.database_label = (
            "embedded PostgreSQL"
            if settings.uses_embedded_database
            else (f"PostgreSQL at {database_host(settings.database_url)}")
        )
        self.database_error = ""
        self._embedded: EmbeddedPostgres | None = None
        self._reading_secrets = False
        self._ready = asyncio.Event()
        self._secrets_read = asyncio.Event()
        if not keyring_pending:
            self._secrets_read.set()

    @property
    def secrets_read(self) -> bool:
        return self._secrets_read.is_set()

    async def read_secrets(self) -> Settings:
        """The settings with their secrets, once read from the keyring (at most once, whoever asks first)."""
        if not self._secrets_read.is_set() and not self._reading_secrets:
            self._reading_secrets = True
            settings = await asyncio.wrap_future(self.executor.submit(with_secrets, self.settings, self.secrets))
            self.settings = settings
            SECRET_MASK.add(getattr(settings, name).get_secret_value() for name in SECRET_NAMES)
            self._secrets_read.set()
        await self._secrets_read.wait()
        return self.settings

    async def start_database(self) -> bool:
        """Start (or reach) the database and migrate it; False with `database_error` set when it cannot."""
        from desktop.db.connect import DatabaseUnavailable, open_pool  # asyncpg: not before the window shows

        await self.read_secrets()  # the database's password may be one
        try:
            address = DatabaseAddress.of(
                await self._dsn(),
                session_url=self.settings.database_session_dsn(),
                ca_file=self.settings.database_ca_file,
            )
            pool = await open_pool(address)
        except (DatabaseUnavailable, EmbeddedPostgresError) as exc:
            self.database_error = str(exc)
            log.error("database unavailable: %s", exc, exc_info=exc.__cause__)
            self.database_failed.emit(self.database_error)
            return False
        from desktop.services.session import Session

        session = Session.open(
            settings=self.settings,
            address=address,
            pool=pool,
            executor=self.executor,
            tasks=self.tasks,
            restart_database=self._restart_embedded,
            parent=self,
        )
        self.session = session
        await session.start()
        self._ready.set()
        self.database_ready.emit(self.database_label)
        return True

    async def apply_settings(self, settings: Settings) -> SettingsChange:
        """Providers, storage and concurrency change at once; another database is used from the next start."""
        from desktop.services.upload_manager import storage_identity

        before, self.settings = self.settings, settings
        SECRET_MASK.add(getattr(settings, name).get_secret_value() for name in SECRET_NAMES)
        local_only = 0
        if self.session is not None:
            self.session.stories.reconfigure(settings)
            await self.session.uploads.reconfigure(settings)
            await self.session.removals.start()  # purged images waiting for a storage the new settings may mend
            if before.storage_backend == "local" and settings.storage_backend == "supabase":
                local_only = len(await self.session.uploads.local_only_images())
        database_changed = _database_identity(before) != _database_identity(settings)
        return SettingsChange(
            database_changed=database_changed,
            local_only_images=local_only,
            storage_changed=storage_identity(before) != storage_identity(settings),
        )

    async def wait_ready(self) -> Session:
        await self._ready.wait()
        assert self.session is not None  # set before `_ready`
        return self.session

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
        session = self.session
        if session is not None:
            await session.shutdown()
        await self.tasks.cancel_all()
        if session is not None:
            try:
                # close() waits for every connection to come back; one stuck on a dead server must not stop a quit.
                async with asyncio.timeout(SHUTDOWN_GRACE_S):
                    await session.pool.close()
            except TimeoutError:
                log.warning("the database connections did not close in time; closing them now")
                session.pool.terminate()
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
