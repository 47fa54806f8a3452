"""`storyforge list`: the library as the window shows it, newest first — one line per story, or `--json`.

`--search` is the window's library search. The module is not named `list`: importing it would hide the builtin.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from desktop.cli.story_report import as_json
from desktop.models import StorySummary, printable

if TYPE_CHECKING:  # the window's start parses these commands' arguments too: it must not wait for the services
    from desktop.services.session import Session

PAGE = 500


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("list", help="list the stories in the library, newest first")
    parser.add_argument("--search", default="", metavar="Q", help="only the stories the library's search finds")
    parser.add_argument("--json", action="store_true", help="print the stories as JSON")


async def run(session: Session, args: argparse.Namespace) -> int:
    stories = await _all(session, args.search)
    if args.json:
        print(as_json([_as_dict(story) for story in stories]))
    elif not stories:
        print("No stories match." if args.search else "No stories yet.")
    else:
        for line in _lines(stories):
            print(line)
    return 0


async def _all(session: Session, search: str) -> list[StorySummary]:
    total = await session.stories.count(search)
    stories: list[StorySummary] = []
    while len(stories) < total:
        page = await session.stories.library_page(search, limit=PAGE, offset=len(stories))
        if not page:  # stories deleted while we read
            break
        stories.extend(page)
    return stories


def _as_dict(story: StorySummary) -> dict[str, Any]:
    return story.model_dump(mode="json")


def _lines(stories: list[StorySummary]) -> list[str]:
    titles = [printable(story.title) for story in stories]
    width = max(len(title) for title in titles)
    return [
        f"{story.id}  {story.status.value:<11}  {story.scenes_written:>2}/{story.scene_count:<2}  {title:<{width}}  "
        f"{story.updated_at.astimezone():%Y-%m-%d %H:%M}".rstrip()
        for story, title in zip(stories, titles, strict=True)
    ]
