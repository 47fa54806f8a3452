"""`storyforge bible STORY_ID`: a story's bible — its style, notes, characters and places.

`--json` prints the contract's shape (the one `generate --bible FILE` reads, unknown keys included), so a script can
take a story's bible, change it and give it to the next story. An id no story has, or a story in the trash, is one
line on stderr and exit 1, as `resume` and `delete` refuse; an id that is not one exits 2.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from desktop.cli.export import story_id_argument
from desktop.cli.story_report import as_json, say
from desktop.models import printable

if TYPE_CHECKING:  # the window's start parses these commands' arguments too: it must not wait for the services
    from desktop.bible import Bible
    from desktop.services.session import Session

REFUSED = 1


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("bible", help="print a story's bible: style, notes, characters and places")
    parser.add_argument("story_id", type=story_id_argument, metavar="STORY_ID", help="the story's id")
    parser.add_argument("--json", action="store_true", help="print it as JSON, the shape generate --bible reads")


async def run(session: Session, args: argparse.Namespace) -> int:
    from desktop.services.story_errors import StoryError

    try:
        story = await session.stories.story(args.story_id)
    except StoryError as exc:
        if await session.stories.title(args.story_id) is None:
            say(f"storyforge: no story has the id {args.story_id}.")
        else:
            say(f"storyforge: {exc}")  # in the trash: restore it first
        return REFUSED
    if args.json:
        print(as_json(story.bible.as_json()))
    else:
        for line in listing(story.title, story.bible):
            print(printable(line))
    return 0


def listing(title: str, bible: Bible) -> list[str]:
    """The bible as a writer reads it at a terminal: one heading per part, an indented line per detail."""
    lines = [f"The bible of “{title}”"]
    if bible.empty:
        return [*lines, "  (empty)"]
    if bible.style:
        lines += ["", "Style:", f"  {bible.style}"]
    if bible.notes:
        lines += ["", "Notes:", *(f"  {line}" for line in bible.notes.splitlines())]
    if bible.characters:
        lines += ["", "Characters:"]
        for character in bible.characters:
            lines.append(f"  {character.name}" + (f" ({character.role})" if character.role else ""))
            lines += _details(character.description, character.look)
    if bible.places:
        lines += ["", "Places:"]
        for place in bible.places:
            lines += [f"  {place.name}", *_details(place.description, place.look)]
    return lines


def _details(description: str, look: str) -> list[str]:
    return [f"    {line}" for line in (description, f"Looks: {look}" if look else "") if line]
