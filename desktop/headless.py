"""A command with no window: the same runtime and services, on the same one loop."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable

from desktop.config import Settings
from desktop.secrets import SecretStore
from desktop.services.runtime import Runtime

Command = Callable[[Runtime, argparse.Namespace], Awaitable[int]]


async def run_headless(settings: Settings, secrets: SecretStore, command: Command, args: argparse.Namespace) -> int:
    runtime = Runtime(settings, secrets)
    try:
        if not await runtime.start_database():
            print(f"storyforge: {runtime.database_error}", file=sys.stderr)
            return 1
        return await command(runtime, args)
    finally:
        await runtime.shutdown()
