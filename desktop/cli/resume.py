"""`storyforge resume STORY_ID`: finish a story that stopped part-way (interrupted, cancelled, partial or failed).

Progress, the upload wait, the summary and the exit code are `generate`'s; a story that is complete or still being
written, or an id no story has, is one line on stderr and exit 1; an id that is not one exits 2.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from desktop.cli.export import story_id_argument
from desktop.cli.story_report import add_summary_options, say, write_and_report

if TYPE_CHECKING:  # the window's start parses these commands' arguments too: it must not wait for the services
    from desktop.services.session import Session


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("resume", help="finish a story that stopped part-way")
    parser.add_argument("story_id", type=story_id_argument, metavar="STORY_ID", help="the story's id")
    add_summary_options(parser)


async def run(session: Session, args: argparse.Namespace) -> int:
    story = await session.stories.summary(args.story_id)
    if story is None:
        say(f"storyforge: no story has the id {args.story_id}.")
        return 1
    if not story.status.can_resume:
        why = "is still being written" if story.status.is_running else f"is {story.status.value}"
        say(f"storyforge: {story.title!r} {why}; there is nothing to resume.")
        return 1
    return await write_and_report(session, args, lambda: session.stories.resume(story.id))
