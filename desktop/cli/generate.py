"""`storyforge generate`: write one story with no window, wait for its uploads, print a summary.

Progress goes to stderr, the summary to stdout (`--json`: machine-readable). Exit 0 when the story is complete
and every image is uploaded; 1 with one line saying why otherwise; 2 for arguments that make no story.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from desktop.models import (
    EXTRA_MAX,
    PROMPT_MAX,
    SCENES_MAX,
    TITLE_MAX,
    Scene,
    Story,
    StoryRequest,
    StoryStatus,
    Upload,
    is_control,
    printable,
)

if TYPE_CHECKING:  # the window's start parses these commands' arguments too: it must not wait for the services
    from desktop.services.session import Session

_OPTIONS = {"title": "--title", "prompt": "--prompt", "scene_count": "--scenes", "style": "--style"}
_LIMITS = {"title": TITLE_MAX, "prompt": PROMPT_MAX, "style": EXTRA_MAX, "characters": EXTRA_MAX}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("generate", help="write a story without opening the window")
    parser.add_argument("--title", required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--scenes", type=_scene_count, default=6, help=f"how many scenes (1–{SCENES_MAX}, default 6)")
    parser.add_argument("--style", default="", help="the look of every image, e.g. 'woodcut, muted colours'")
    parser.add_argument("--characters", default="", help="who appears, e.g. 'Ama, a courier; Tobin, her brother'")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def _scene_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= SCENES_MAX:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {SCENES_MAX}, not {text!r}")
    return count


def _say(line: str) -> None:
    # Titles and reasons may hold what the writer typed: never raw escape sequences on their terminal.
    print(printable(line), file=sys.stderr, flush=True)


def _request(args: argparse.Namespace) -> StoryRequest:
    return StoryRequest(
        title=args.title, prompt=args.prompt, scene_count=args.scenes, style=args.style, characters=args.characters
    )


def check_arguments(args: argparse.Namespace) -> str | None:
    """Why these arguments make no story, in one line; run before anything starts."""
    try:
        _request(args)
    except ValidationError as exc:
        return _request_problem(exc)
    return None


def _request_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    option = _OPTIONS.get(field, f"--{field}")
    if field == "scene_count":
        return f"{option} must be a number from 1 to {SCENES_MAX}."
    if error["type"] == "string_too_short":
        return f"{option} is empty — say what the story is about."
    if error["type"] == "string_too_long":
        return f"{option} is longer than {_LIMITS.get(field, 0)} characters."
    if error["type"] == "control_character":
        return f"{option} {error['msg'][0].lower()}{error['msg'][1:]}"
    return f"{option}: {error['msg']}"


async def _uploads_by_scene(session: Session, story: Story) -> dict[uuid.UUID, Upload]:
    """The newest upload of each scene."""
    uploads = await session.uploads.uploads(story_id=story.id)
    newest: dict[uuid.UUID, Upload] = {}
    for upload in sorted(uploads, key=lambda u: u.updated_at):
        newest[upload.scene_id] = upload
    return newest


def _scene_summary(scene: Scene, upload: Upload | None) -> dict[str, Any]:
    return {
        "index": scene.index,
        "title": scene.title,
        "image_path": scene.image_path,
        "image_status": scene.image_status.value,
        "image_error": scene.image_error,
        "upload_status": upload.status.value if upload else None,
        "url": upload.url if upload else "",
        "upload_error": upload.error_message if upload else "",
    }


def _summary(story: Story, scenes: list[Scene], uploads: dict[uuid.UUID, Upload]) -> dict[str, Any]:
    return {
        "story_id": str(story.id),
        "title": story.title,
        "status": story.status.value,
        "error": story.error,
        "text_provider": story.text_provider,
        "image_provider": story.image_provider,
        "scenes": [_scene_summary(scene, uploads.get(scene.id)) for scene in scenes],
    }


def _print_text(summary: dict[str, Any]) -> None:
    print(printable(f"{summary['title']} — {summary['status']} ({summary['story_id']})"))
    for scene in summary["scenes"]:
        upload = scene["upload_status"] or "not queued"
        where = scene["url"] or scene["image_path"] or scene["image_error"] or "no image"
        print(printable(f"  {scene['index'] + 1:>2}. {scene['title']} [{upload}] {where}"))


def _as_json(summary: dict[str, Any]) -> str:
    # json.dumps escapes C0 controls but leaves DEL and the C1 range (a terminal reads \x9b as an escape) raw.
    text = json.dumps(summary, indent=2, ensure_ascii=False)
    return "".join(f"\\u{ord(char):04x}" if is_control(char) and char != "\n" else char for char in text)


def _failure(story: Story, scenes: list[Scene], uploads: dict[uuid.UUID, Upload]) -> str:
    if story.status is not StoryStatus.complete:
        reason = story.error or "no reason was given"
        return f"the story ended {story.status.value}: {reason}"
    painted = [scene for scene in scenes if scene.image_path]
    not_uploaded = [uploads.get(scene.id) for scene in painted]
    failed = [upload for upload in not_uploaded if upload is None or upload.status.value != "uploaded"]
    if not failed:
        return ""
    first = next((upload.error_message for upload in failed if upload and upload.error_message), "")
    detail = f": {first}" if first else ""
    return f"{len(failed)} of {len(painted)} images were not uploaded{detail}"


async def run(session: Session, args: argparse.Namespace) -> int:
    from desktop.generation.errors import ProviderError
    from desktop.services.story_errors import StoryError

    service, uploads = session.stories, session.uploads
    try:
        request = _request(args)
    except ValidationError as exc:
        _say(f"storyforge: {_request_problem(exc)}")
        return 2

    def progress(_story_id: object, line: str) -> None:
        _say(line)

    service.story_progress.connect(progress)
    try:
        story = await service.generate(request)
    except (StoryError, ProviderError) as exc:
        _say(f"storyforge: {exc}")
        return 1
    finally:
        service.story_progress.disconnect(progress)
    scenes = await session.scene_rows.for_story(story.id)
    if any(scene.image_path for scene in scenes):
        _say("Waiting for the uploads to finish…")
        await uploads.wait_settled(story.id)
    by_scene = await _uploads_by_scene(session, story)
    summary = _summary(story, scenes, by_scene)
    if args.json:
        print(_as_json(summary))
    else:
        _print_text(summary)
    failure = _failure(story, scenes, by_scene)
    if failure:
        _say(f"storyforge: {failure}")
        return 1
    return 0
