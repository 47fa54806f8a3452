"""`storyforge generate`: write one story with no window, wait for its uploads, print a summary.

Progress goes to stderr, the summary to stdout (`--json`: machine-readable). While the uploads are sent, each retry
is reported on stderr with its reason; `--wait-uploads SECONDS` bounds that wait. `--bible FILE` gives the story's
bible (TOML or JSON, the shape desktop.bible describes); without it one is drafted from the prompt. Exit 0 when the
story is complete and every image is uploaded; 1 with one line saying why otherwise; 2 for arguments (a bible file
included) that make no story.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from desktop.bible import BibleError, load_bible_file
from desktop.cli.story_report import add_summary_options, say, write_and_report
from desktop.models import EXTRA_MAX, PROMPT_MAX, SCENES_MAX, TITLE_MAX, StoryRequest

if TYPE_CHECKING:  # the window's start parses these commands' arguments too: it must not wait for the services
    from desktop.services.session import Session

_OPTIONS = {"title": "--title", "prompt": "--prompt", "scene_count": "--scenes", "style": "--style"}
_LIMITS = {"title": TITLE_MAX, "prompt": PROMPT_MAX, "style": EXTRA_MAX, "characters": EXTRA_MAX}
_EMPTY = {"title": "give the story a title", "prompt": "say what the story is about"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("generate", help="write a story without opening the window")
    parser.add_argument("--title", required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--scenes", type=_scene_count, default=6, help=f"how many scenes (1–{SCENES_MAX}, default 6)")
    parser.add_argument("--style", default="", help="the look of every image, e.g. 'woodcut, muted colours'")
    parser.add_argument("--characters", default="", help="who appears, e.g. 'Ama, a courier; Tobin, her brother'")
    parser.add_argument(
        "--bible",
        type=Path,
        metavar="FILE",
        help="the story's bible, a TOML or JSON file: style, notes, characters and places (see the README);"
        " without it one is drafted from the prompt",
    )
    add_summary_options(parser)


def _scene_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= SCENES_MAX:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {SCENES_MAX}, not {text!r}")
    return count


def _request(args: argparse.Namespace) -> StoryRequest:
    """The request these arguments make; ValidationError or BibleError when they make none."""
    return StoryRequest(
        title=args.title,
        prompt=args.prompt,
        scene_count=args.scenes,
        style=args.style,
        characters=args.characters,
        bible=load_bible_file(args.bible) if args.bible is not None else None,
    )


def check_arguments(args: argparse.Namespace) -> str | None:
    """Why these arguments make no story, in one line; run before anything starts."""
    made = _request_or_problem(args)
    return made if isinstance(made, str) else None


def _request_or_problem(args: argparse.Namespace) -> StoryRequest | str:
    try:
        return _request(args)
    except ValidationError as exc:
        return _request_problem(exc)
    except BibleError as exc:
        return str(exc)


def _request_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    option = _OPTIONS.get(field, f"--{field}")
    if field == "scene_count":
        return f"{option} must be a number from 1 to {SCENES_MAX}."
    if error["type"] == "string_too_short":
        return f"{option} is empty — {_EMPTY.get(field, 'fill it in')}."
    if error["type"] == "string_too_long":
        return f"{option} is longer than {_LIMITS.get(field, 0)} characters."
    if error["type"] == "control_character":
        return f"{option} {error['msg'][0].lower()}{error['msg'][1:]}"
    return f"{option}: {error['msg']}"


async def run(session: Session, args: argparse.Namespace) -> int:
    # Checked before the start too; the bible file is read again here and may have changed meanwhile.
    request = _request_or_problem(args)
    if isinstance(request, str):
        say(f"storyforge: {request}")
        return 2
    return await write_and_report(session, args, lambda: session.stories.generate(request))
