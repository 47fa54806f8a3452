"""`storyforge generate`: write one story with no window, wait for its uploads, print a summary.

Progress goes to stderr, the summary to stdout (`--json`: machine-readable). While the uploads are sent, each retry
is reported on stderr with its reason; `--wait-uploads SECONDS` bounds that wait. Exit 0 when the story is complete
and every image is uploaded; 1 with one line saying why otherwise; 2 for arguments that make no story.
"""

from __future__ import annotations

import argparse
import asyncio
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
    UploadStatus,
    is_control,
    printable,
)

if TYPE_CHECKING:  # the window's start parses these commands' arguments too: it must not wait for the services
    from desktop.services.session import Session

_OPTIONS = {"title": "--title", "prompt": "--prompt", "scene_count": "--scenes", "style": "--style"}
_LIMITS = {"title": TITLE_MAX, "prompt": PROMPT_MAX, "style": EXTRA_MAX, "characters": EXTRA_MAX}
_EMPTY = {"title": "give the story a title", "prompt": "say what the story is about"}
DEFAULT_UPLOAD_WAIT_S = 120


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("generate", help="write a story without opening the window")
    parser.add_argument("--title", required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--scenes", type=_scene_count, default=6, help=f"how many scenes (1–{SCENES_MAX}, default 6)")
    parser.add_argument("--style", default="", help="the look of every image, e.g. 'woodcut, muted colours'")
    parser.add_argument("--characters", default="", help="who appears, e.g. 'Ama, a courier; Tobin, her brother'")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--wait-uploads",
        type=_seconds,
        default=DEFAULT_UPLOAD_WAIT_S,
        metavar="SECONDS",
        help=f"how long to wait for the images to upload (default {DEFAULT_UPLOAD_WAIT_S}); "
        "images not uploaded by then are kept and upload later",
    )


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 24 * 3600:
        raise argparse.ArgumentTypeError(f"must be a number of seconds from 0 to 86400, not {text!r}")
    return seconds


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
        return f"{option} is empty — {_EMPTY.get(field, 'fill it in')}."
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
    failed = [upload for upload in not_uploaded if upload is None or upload.status is not UploadStatus.uploaded]
    if not failed:
        return ""
    first = next((upload.error_message for upload in failed if upload and upload.error_message), "")
    detail = f": {first}" if first else ""
    return f"{len(failed)} of {len(painted)} images were not uploaded{detail}"


async def run(session: Session, args: argparse.Namespace) -> int:
    from desktop.generation.errors import ProviderError
    from desktop.services.story_errors import StoryError

    service = session.stories
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
    waited_out = False
    if any(scene.image_path for scene in scenes):
        waited_out = not await _wait_for_uploads(session, story, args.wait_uploads)
    by_scene = await _uploads_by_scene(session, story)
    summary = _summary(story, scenes, by_scene)
    if args.json:
        print(_as_json(summary))
    else:
        _print_text(summary)
    failure = _failure(story, scenes, by_scene)
    if waited_out and story.status is StoryStatus.complete:
        failure = _not_yet_uploaded(by_scene, args.wait_uploads)
    if failure:
        _say(f"storyforge: {failure}")
        return 1
    return 0


async def _wait_for_uploads(session: Session, story: Story, seconds: float) -> bool:
    """Wait until the story's uploads settle, at most `seconds`, saying on stderr what it waits for and each retry
    with its reason. True: they settled."""
    manager = session.uploads
    target = manager.storage_label
    _say(f"Waiting for the images to upload to {target} (at most {seconds:g} s)…")

    told: set[tuple[uuid.UUID, int, UploadStatus]] = set()  # a row may be announced more than once per state

    def changed(upload: Upload) -> None:
        news = (upload.id, upload.attempts, upload.status)
        if upload.story_id == story.id and news not in told and (line := _upload_news(upload)):
            told.add(news)
            _say(line)

    manager.upload_changed.connect(changed)
    try:
        await asyncio.wait_for(manager.wait_settled(story.id), timeout=seconds)
    except TimeoutError:
        return False
    finally:
        manager.upload_changed.disconnect(changed)
    return True


def _upload_news(upload: Upload) -> str:
    """What a writer waiting at the terminal wants to hear of an upload's change: a retry or a failure."""
    scene = f"Scene {upload.scene_index + 1}'s image"
    reason = upload.error_message or "no reason was given"
    if upload.status is UploadStatus.queued and upload.next_attempt_at is not None:
        when = upload.next_attempt_at.astimezone()
        reason = reason if reason.endswith(".") else reason + "."
        return f"{scene} did not upload: {reason} Trying again at {when:%H:%M:%S} (try {upload.attempts + 1})."
    if upload.status is UploadStatus.failed:
        return f"{scene} could not be uploaded: {reason}"
    return ""


def _not_yet_uploaded(uploads: dict[uuid.UUID, Upload], seconds: float) -> str:
    waiting = [upload for upload in uploads.values() if upload.status is not UploadStatus.uploaded]
    one = len(waiting) == 1
    images = f"{len(waiting)} image" + ("" if one else "s")
    return (
        f"{images} not uploaded after {seconds:g} s; {'it is' if one else 'they are'} kept on this computer "
        "and will upload with `storyforge uploads --retry-failed` (or when Storyforge next opens)"
    )
