"""`storyforge uploads`: list uploads, or retry the failed ones. Skeleton; the uploads issue fills it in."""

from __future__ import annotations

import argparse

from desktop.services.runtime import Runtime


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("uploads", help="list uploads with their state and reason")
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.add_argument("--retry-failed", action="store_true", help="retry failed uploads and wait until they settle")


async def run(runtime: Runtime, args: argparse.Namespace) -> int:
    raise NotImplementedError
