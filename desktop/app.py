"""The entry point: arguments, the QApplication, the one asyncio loop, ordered start-up and shut-down."""

from __future__ import annotations

import time

STARTED_AT = time.monotonic()

import argparse  # noqa: E402  (the clock starts before the heavy imports)
import asyncio  # noqa: E402
import gc  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from collections.abc import Coroutine  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from desktop import __version__  # noqa: E402

if TYPE_CHECKING:
    from desktop.config import Settings
    from desktop.secrets import SecretStore

log = logging.getLogger("desktop")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="storyforge", description="Write illustrated stories scene by scene.")
    parser.add_argument("--version", action="version", version=f"storyforge {__version__}")
    parser.add_argument("--data-dir", type=Path, help="where stories, images and the embedded database live")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start everything, show the window, round-trip the database, write, paint and upload one scene, quit;"
        " exit 0 when all worked",
    )
    from desktop.cli import generate, uploads

    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    generate.register(commands)
    uploads.register(commands)
    return parser.parse_args(argv)


def _needs_offscreen(args: argparse.Namespace) -> bool:
    no_display = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return sys.platform.startswith("linux") and no_display and bool(args.self_test or args.command)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from desktop.frozen import is_frozen, restore_users_library_path

    if is_frozen():
        restore_users_library_path()
    if _needs_offscreen(args):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "pyside6")  # qasync must take the binding we use

    from PySide6.QtWidgets import QApplication

    from desktop.config import load_settings, log_dir
    from desktop.logs import SECRET_MASK, setup_logging
    from desktop.qt.loop import EventLoop
    from desktop.qt.messages import route_qt_messages_to_log
    from desktop.secrets import SECRET_NAMES, SecretStore

    setup_logging(log_dir())
    secrets = SecretStore()
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    settings = load_settings(secrets, **overrides)
    SECRET_MASK.add(getattr(settings, name).get_secret_value() for name in SECRET_NAMES)
    log.info("Storyforge %s starting, data in %s", __version__, settings.data_dir)

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Storyforge")
    app.setOrganizationName("Storyforge")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)  # quitting is a coroutine; the loop ends when it is done
    route_qt_messages_to_log()

    # What start-up imported lives as long as the app: out of the collector's sight, full collections stay short
    # instead of pausing every thread, the GUI's too, for tens of ms.
    gc.freeze()
    # The one loop of the process: qasync's (see desktop.qt.loop) drives Qt and asyncio together until the app's work
    # ends.
    with asyncio.Runner(loop_factory=lambda: EventLoop(app)) as runner:
        return runner.run(_work(args, settings, secrets))


def _work(args: argparse.Namespace, settings: Settings, secrets: SecretStore) -> Coroutine[Any, Any, int]:
    if args.command:
        from desktop.cli import generate, uploads
        from desktop.headless import run_headless

        command = {"generate": generate.run, "uploads": uploads.run}[args.command]
        return run_headless(settings, secrets, command, args)
    from desktop.gui import run_gui

    return run_gui(settings, secrets, self_test=args.self_test, started_at=STARTED_AT)
