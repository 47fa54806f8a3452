"""A command with no window: the same runtime and services, on the same one loop."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from desktop.config import Settings
from desktop.explain import plain_words
from desktop.models import printable
from desktop.places import log_dir
from desktop.secrets import SecretStore
from desktop.services.runtime import Runtime

if TYPE_CHECKING:
    from desktop.services.session import Session

Command = Callable[["Session", argparse.Namespace], Awaitable[int]]

log = logging.getLogger(__name__)


async def run_headless(settings: Settings, secrets: SecretStore, command: Command, args: argparse.Namespace) -> int:
    runtime = Runtime(settings, secrets)
    try:
        if not await runtime.start_database():
            _say(runtime.database_error)
            return 1
        return await command(await runtime.wait_ready(), args)
    except BrokenPipeError:
        # The reader went away (`storyforge uploads --json | head`): it has what it wanted; nothing to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the final flush cannot fail again
        return 1
    except Exception as exc:
        # One line for the terminal; the traceback goes to the log, where a bug report can find it.
        log.error("storyforge %s failed", args.command, exc_info=exc)
        _say(f"{plain_words(exc)} (details in {log_dir() / 'storyforge.log'})")
        return 1
    finally:
        await runtime.shutdown()


def _say(line: str) -> None:
    print(f"storyforge: {printable(line)}", file=sys.stderr, flush=True)
