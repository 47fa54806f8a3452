"""`storyforge delete STORY_ID`: move a story to the trash, as Story → Delete does in the window.

The story leaves the library and `list`; View → Trash in the window restores it (or it is purged after 30 days). A
story still being written (here or by another process), already in the trash, or an id no story has is one line on
stderr and exit 1, as `resume` refuses; an id that is not one exits 2.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from desktop.cli.export import story_id_argument
from desktop.cli.story_report import as_json, say
from desktop.models import printable

if TYPE_CHECKING:  # the window's start parses these commands' arguments too: it must not wait for the services
    from desktop.services.session import Session

REFUSED = 1


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("delete", help="move a story to the trash")
    parser.add_argument("story_id", type=story_id_argument, metavar="STORY_ID", help="the story's id")
    parser.add_argument("--json", action="store_true", help="print the story moved to the trash as JSON")


async def run(session: Session, args: argparse.Namespace) -> int:
    from desktop.services.story_errors import StoryError

    story = await session.stories.summary(args.story_id)  # None when gone or already in the trash
    if story is None:
        title = await session.stories.title(args.story_id)
        if title is None:
            say(f"storyforge: no story has the id {args.story_id}.")
        else:
            say(f"storyforge: “{title}” is already in the trash — restore it from View → Trash in Storyforge.")
        return REFUSED
    # The trash service knows only this process's runs; `generating` is also another live process writing it (a
    # dead writer's story was marked interrupted when this process started).
    if story.status.is_running:
        say(f"storyforge: “{story.title}” is still being written — cancel it first, then delete it.")
        return REFUSED
    try:
        deleted = await session.trash.delete_story(story.id)
    except StoryError as exc:  # it went to the trash or was purged meanwhile
        say(f"storyforge: {exc}")
        return REFUSED
    if args.json:
        when = deleted.deleted_at.isoformat() if deleted.deleted_at else None
        print(as_json({"story_id": str(deleted.id), "title": deleted.title, "deleted_at": when}))
    else:
        print(f"Moved “{printable(deleted.title)}” to the trash — restore it from View → Trash in Storyforge.")
    return 0
