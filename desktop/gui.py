"""The windowed app's life on the loop: window first, database behind it, an orderly quit."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from desktop.config import Settings
from desktop.qt.single_instance import WindowClaim
from desktop.secrets import SecretStore
from desktop.services.runtime import Runtime
from desktop.ui.window.main_window import MainWindow

log = logging.getLogger(__name__)


async def run_gui(
    window: MainWindow,
    settings: Settings,
    secrets: SecretStore,
    *,
    self_test: bool,
    started_at: float,
    window_ms: float,
    shown: Callable[[], None],
) -> int:
    """`window` is the frame already on screen; `settings` come without their secrets: the Runtime reads them from
    the keyring as the database starts."""
    claim = WindowClaim(settings.data_dir)
    # The self-test checks this launch's own window, whatever else is open.
    if not self_test and not claim.claim():
        window.hide()  # this launch's frame goes; the open window comes forward
        return _raise_the_open_window(claim, settings.data_dir)
    window.show()  # shown already, unless the folder's window seemed open when this launch began
    runtime = Runtime(settings, secrets, keyring_pending=True)
    window.attach(runtime)
    claim.raise_requested.connect(window.bring_to_front)
    log.info("window filled %.0f ms after start", (time.monotonic() - started_at) * 1000)
    shown()

    if self_test:
        from desktop.selftest import run_self_test

        code = await run_self_test(runtime, window, started_at=started_at, window_ms=window_ms)
        window.deleteLater()
        return code

    quit_done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def quit_app() -> None:
        try:
            window.shutdown()
            await runtime.shutdown()
        finally:
            claim.release()
            window.deleteLater()
            if not quit_done.done():
                quit_done.set_result(0)

    window.close_requested.connect(lambda: runtime.tasks.start(quit_app(), "Quitting"))
    runtime.database_ready.connect(
        lambda _: log.info("database ready %.0f ms after start", (time.monotonic() - started_at) * 1000)
    )

    def first_page() -> None:
        window.library.loaded.disconnect(first_page)
        log.info("library's first page %.0f ms after start", (time.monotonic() - started_at) * 1000)

    window.library.loaded.connect(first_page)
    runtime.tasks.start(runtime.start_database(), "Starting the database")
    return await quit_done


def _raise_the_open_window(claim: WindowClaim, data_dir: Path) -> int:
    if claim.ask_owner_to_raise():
        print(f"Storyforge is already open for {data_dir}: its window was brought to the front.")
        return 0
    print(
        f"storyforge: Storyforge is open for {data_dir} but its window does not answer — close it, or wait for it"
        " to finish starting, and try again.",
        file=sys.stderr,
    )
    return 1
