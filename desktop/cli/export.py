"""`storyforge export`: one story, with its images, to Markdown, HTML, EPUB, PDF or Word.

The story is named by its id or by its title. Progress goes to stderr, the written file's path to stdout; a scene
shown without its image (missing, or failed) is one warning line each. Exit 0 when the file is written, 1 with one
line saying why otherwise, 2 for arguments that name no story.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.models import printable

if TYPE_CHECKING:  # the window's start parses these commands' arguments too: it must not wait for the services
    from desktop.services.session import Session

# What the writer types → desktop.export.ExportFormat's value (the module is imported when a command runs).
FORMATS = {"md": "markdown", "html": "html", "epub": "epub", "pdf": "pdf", "docx": "docx"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("export", help="export a story with its images to a file")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("story_id", nargs="?", type=story_id_argument, metavar="STORY_ID", help="the story's id")
    which.add_argument("--title", help="the story's title (exactly, in any case)")
    parser.add_argument("--format", required=True, choices=list(FORMATS), help="md, html, epub, pdf or docx")
    parser.add_argument(
        "--out", required=True, help="the file to write, or a folder to name it in (an existing one, or ending in /)"
    )


def story_id_argument(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a story's id (storyforge list prints them), not {text!r}") from None


def _say(line: str) -> None:
    print(printable(line), file=sys.stderr, flush=True)


async def run(session: Session, args: argparse.Namespace) -> int:
    from desktop.explain import words_without_the_file
    from desktop.export import ExportFormat
    from desktop.services.story_errors import StoryError

    story_id = args.story_id if args.story_id is not None else await _by_title(session, args.title)
    if story_id is None:
        return 1
    format = ExportFormat(FORMATS[args.format])
    out, folder = _destination(args.out)

    def progress(done: int, total: int) -> None:
        _say(f"Exporting scene {done} of {total}…" if done < total else "Exported.")

    try:
        result = await session.exports.export(story_id, format, out, progress, make_folder=folder)
    except StoryError as exc:
        _say(f"storyforge: {exc}")
        return 1
    except OSError as exc:
        _say(f"storyforge: cannot write {out}. {words_without_the_file(exc)}")  # named by --out
        return 1
    for warning in result.warnings:
        _say(warning)
    print(printable(str(result.path)))
    return 0


def _destination(text: str) -> tuple[Path, bool]:
    """Where --out points, and whether it names a folder by its spelling (Path() drops a trailing slash): such a
    folder is made if missing."""
    return Path(text).expanduser(), text.endswith(("/", os.sep))


async def _by_title(session: Session, title: str) -> uuid.UUID | None:
    """The one story with this title; None, having said why, when there is none or more than one."""
    wanted = title.strip().casefold()
    found = [
        story
        for story in await session.stories.library_page(title.strip(), limit=50, offset=0)
        if story.title.strip().casefold() == wanted
    ]
    if not found:
        _say(f"storyforge: no story is titled {title!r}.")
        return None
    if len(found) > 1:
        ids = ", ".join(str(story.id) for story in found)
        _say(f"storyforge: {len(found)} stories are titled {title!r}; name one by its id: {ids}")
        return None
    return found[0].id
