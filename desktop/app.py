"""The entry point: arguments, the QApplication, the one asyncio loop, ordered start-up and shut-down."""

from __future__ import annotations

import time

STARTED_AT = time.monotonic()

import argparse  # noqa: E402  (the clock starts before the heavy imports)
import asyncio  # noqa: E402
import errno  # noqa: E402
import gc  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, NoReturn, cast  # noqa: E402

from desktop import __version__  # noqa: E402

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from desktop.config import Settings
    from desktop.secrets import SecretStore
    from desktop.ui.window.main_window import MainWindow

log = logging.getLogger("desktop")

# Exit code for input that makes no run (arguments, settings, the data folder): nothing was started.
BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line on stderr (usage stays behind --help)."""

    def error(self, message: str) -> NoReturn:
        from desktop.models import printable

        self.exit(BAD_INPUT, f"storyforge: {printable(message.removeprefix('argument '))} — see {self.prog} --help.\n")


def _folder(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a folder, not an empty value")
    return Path(text)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="storyforge", description="Write illustrated stories scene by scene.")
    parser.add_argument("--version", action="version", version=f"storyforge {__version__}")
    parser.add_argument("--data-dir", type=_folder, help="where stories, images and the embedded database live")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start everything, show the window, round-trip the database, write, paint and upload one scene, quit;"
        " exit 0 when all worked",
    )
    if _window_options_only(sys.argv[1:] if argv is None else argv):
        # The usual start: the commands' modules (and the data models they load) would only delay the window.
        parser.set_defaults(command=None)
        return parser.parse_args(argv)
    from desktop.cli import bible, delete, export, generate, library, resume, uploads

    commands = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(dest="command", metavar="COMMAND"),
    )
    generate.register(commands)
    uploads.register(commands)
    export.register(commands)
    library.register(commands)
    resume.register(commands)
    delete.register(commands)
    bible.register(commands)
    return parser.parse_args(argv)


def _window_options_only(argv: list[str]) -> bool:
    """Nothing but the window's own options: no command, no help, nothing to refuse."""
    words = iter(argv)
    for word in words:
        if word == "--data-dir":
            next(words, None)
        elif not (word.startswith("--data-dir=") or word == "--self-test"):
            return False
    return True


def _needs_offscreen(args: argparse.Namespace) -> bool:
    no_display = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return sys.platform.startswith("linux") and no_display and bool(args.self_test or args.command)


def main(argv: list[str] | None = None) -> int:
    # Start-up makes objects that live as long as the app: collecting while it does only walks them again and again.
    gc.disable()
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("storyforge: interrupted.", file=sys.stderr)
        return 130
    finally:
        gc.enable()


def _started() -> None:
    """Start-up is over: what it made is kept out of the collector's sight (full collections stay short instead of
    pausing every thread, the GUI's too, for tens of ms), and collections resume."""
    gc.freeze()
    gc.enable()


def _say(line: str) -> None:
    from desktop.models import printable

    print(f"storyforge: {printable(line)}", file=sys.stderr, flush=True)


def _main(argv: list[str] | None) -> int:
    args = parse_args(argv)
    # Arguments first: a mistake in them is told before anything (the database least of all) starts.
    if args.command == "generate":
        from desktop.cli import generate

        if problem := generate.check_arguments(args):
            _say(problem)
            return BAD_INPUT
    from desktop.desktop_check import desktop_problem
    from desktop.frozen import is_frozen, restore_users_library_path
    from desktop.logs import setup_logging
    from desktop.places import log_dir

    if is_frozen():
        restore_users_library_path()
    if _needs_offscreen(args):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "pyside6")  # qasync must take the binding we use
    if problem := desktop_problem(frozen=is_frozen()):  # instead of Qt's abort, a bare desktop hears what it lacks
        _say(problem)
        return BAD_INPUT
    try:
        setup_logging(log_dir())
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        return _refuse(args, _log_folder_problem(log_dir(), exc))
    if args.command:
        return _run_command(args)
    return _run_window(args)


def _run_command(args: argparse.Namespace) -> int:
    """A command: its settings, secrets and data folder checked before anything starts, then its work on the loop."""
    # Before PySide6: once it is imported, its import hook looks at every later import.
    from desktop.cli import bible, delete, export, generate, library, resume, uploads
    from desktop.data_folder import check_data_dir
    from desktop.headless import run_headless
    from desktop.logs import SECRET_MASK
    from desktop.secrets import SECRET_NAMES, SecretStore

    secrets = SecretStore()
    settings = _settings(args, secrets)
    if isinstance(settings, str):
        return _refuse(args, settings)
    if problem := check_data_dir(settings.data_dir):
        return _refuse(args, problem)
    SECRET_MASK.add(getattr(settings, name).get_secret_value() for name in SECRET_NAMES)
    log.info("Storyforge %s starting, data in %s", __version__, settings.data_dir)
    app = _application()
    _started()
    command = {
        "generate": generate.run,
        "uploads": uploads.run,
        "export": export.run,
        "list": library.run,
        "resume": resume.run,
        "delete": delete.run,
        "bible": bible.run,
    }[args.command]
    with asyncio.Runner(loop_factory=lambda: _loop(app)) as runner:
        return runner.run(run_headless(settings, secrets, command, args))


def _run_window(args: argparse.Namespace) -> int:
    """The window's frame first, then — on the loop, once it is painted — the settings, the rest of the window and
    the database behind it."""
    app = _application()
    from desktop.places import data_dir_hint, window_open_for
    from desktop.ui.window.main_window import MainWindow

    window = MainWindow()
    # A second launch on a folder whose window is open shows no frame of its own: that window comes forward instead.
    if args.self_test or not window_open_for(data_dir_hint(args.data_dir)):
        window.show()
        log.info("window shown %.0f ms after start", (time.monotonic() - STARTED_AT) * 1000)
    else:
        log.info("this data folder's window is open: no frame of this launch's own")
    window_ms = (time.monotonic() - STARTED_AT) * 1000
    with asyncio.Runner(loop_factory=lambda: _loop(app)) as runner:
        outcome = runner.run(_windowed(args, window, window_ms))
    if isinstance(outcome, str):  # the settings or the data folder make no run: the frame goes, the box says why
        window.hide()
        return _refuse(args, outcome)
    return outcome


def _log_folder_problem(folder: Path, exc: BaseException) -> str:
    if isinstance(exc, FileExistsError | NotADirectoryError):
        what = "is a file, not a folder"
    elif isinstance(exc, PermissionError) or getattr(exc, "errno", None) == errno.EROFS:
        what = "cannot be written"
    else:
        what = f"cannot be used ({(getattr(exc, 'strerror', None) or 'not a usable path').lower()})"
    return f"The log folder {folder} {what} — set STORYFORGE_LOG_DIR to a folder Storyforge may write in."


def _refuse(args: argparse.Namespace, problem: str) -> int:
    """Input that makes no run: one line on stderr and, for the window, the same words in a box (never inside a
    coroutine: before the loop runs, or after it ended)."""
    _say(problem)
    if not (args.command or args.self_test):
        from PySide6.QtWidgets import QApplication, QMessageBox

        _app = QApplication.instance() or QApplication(sys.argv[:1])  # kept alive while the box shows
        box = QMessageBox(QMessageBox.Icon.Critical, "Storyforge cannot start", problem)
        box.setInformativeText("Nothing was changed. Fix this, then start Storyforge again.")
        box.exec()
    return BAD_INPUT


def _application() -> QApplication:
    from PySide6.QtWidgets import QApplication

    from desktop.qt.messages import route_qt_messages_to_log

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Storyforge")
    app.setOrganizationName("Storyforge")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)  # quitting is a coroutine; the loop ends when it is done
    route_qt_messages_to_log()
    return app


def _loop(app: QApplication) -> asyncio.AbstractEventLoop:
    """The one loop of the process: qasync's (see desktop.qt.loop) drives Qt and asyncio together until the app's
    work ends."""
    from desktop.qt.loop import EventLoop

    return EventLoop(app)


def _settings(args: argparse.Namespace, secrets: SecretStore | None) -> Settings | str:
    """The settings (without their secrets when `secrets` is None), or why they make no run. Problems a window can
    live with are told in it, on defaults; a command stops at the first."""
    from desktop.config import SettingsError, read_settings

    try:
        loaded = read_settings(secrets, **({"data_dir": args.data_dir} if args.data_dir else {}))
    except SettingsError as exc:
        return str(exc)
    for problem in loaded.problems:
        log.warning("settings: %s", problem)
    if loaded.problems and (args.command or args.self_test):
        return loaded.problems[0]
    if loaded.problems:
        # The window is filled before the loop's next turn; the notice then finds it.
        asyncio.get_running_loop().call_soon(_tell_the_window, loaded.problems)
    return loaded.settings


async def _windowed(args: argparse.Namespace, window: MainWindow, window_ms: float) -> int | str:
    """The rest of the start, once the frame is painted: the settings (without waiting for the keyring), the data
    folder, then the app's life in run_gui. A problem that makes no run is returned, for the box after the loop."""
    from desktop.ui.window.frame_pacer import first_paint

    if window.isVisible():  # hidden: another window has the folder, and run_gui brings it forward
        await first_paint(window)
    from desktop.data_folder import check_data_dir
    from desktop.gui import run_gui
    from desktop.logs import SECRET_MASK
    from desktop.secrets import SECRET_NAMES, SecretStore

    secrets = SecretStore()
    settings = _settings(args, None)
    if isinstance(settings, str):
        return settings
    if problem := check_data_dir(settings.data_dir):
        return problem
    SECRET_MASK.add(getattr(settings, name).get_secret_value() for name in SECRET_NAMES)  # those set by variables
    log.info("Storyforge %s starting, data in %s", __version__, settings.data_dir)
    return await run_gui(
        window, settings, secrets, self_test=args.self_test, started_at=STARTED_AT, window_ms=window_ms, shown=_started
    )


def _tell_the_window(problems: list[str]) -> None:
    """Settings that failed to load: the window opened on defaults for them and says so; the file is left as it is."""
    from PySide6.QtWidgets import QApplication

    from desktop.ui.window.main_window import MainWindow

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and widget.attached:
            for problem in problems:
                widget.notices.add_message(
                    "Reading the settings",
                    f"{problem} Until then Storyforge uses its defaults and leaves the file as it is.",
                )
