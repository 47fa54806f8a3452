"""`storyforge generate`: write one story with no window. Skeleton; the generation issue fills it in."""

from __future__ import annotations

import argparse

from desktop.services.runtime import Runtime


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("generate", help="write a story without opening the window")
    parser.add_argument("--title", required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--scenes", type=int, default=6)
    parser.add_argument("--style", default="")
    parser.add_argument("--characters", default="")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


async def run(runtime: Runtime, args: argparse.Namespace) -> int:
    raise NotImplementedError
