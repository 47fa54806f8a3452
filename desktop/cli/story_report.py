"""What `generate` and `resume` share: the run with its progress on stderr, the wait for the story's uploads, the
summary on stdout (`--json`: machine-readable) and the exit code — 0 when the story is complete and every image is
uploaded, 1 with one line saying why otherwise."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from desktop.models import Scene, Story, StoryStatus, Upload, UploadStatus, is_control, printable

if TYPE_CHECKING:  # the window's start parses these commands' arguments too: it must not wait for the services
    from desktop.services.session import Session

DEFAULT_UPLOAD_WAIT_S = 120


def add_summary_options(parser: argparse.ArgumentParser) -> None:
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


def say(line: str) -> None:
    # Titles and reasons may hold what the writer typed: never raw escape sequences on their terminal.
    print(printable(line), file=sys.stderr, flush=True)


def as_json(value: object) -> str:
    # json.dumps escapes C0 controls but leaves DEL and the C1 range (a terminal reads \x9b as an escape) raw.
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return "".join(f"\\u{ord(char):04x}" if is_control(char) and char != "\n" else char for char in text)


async def write_and_report(session: Session, args: argparse.Namespace, write: Callable[[], Awaitable[Story]]) -> int:
    """Run `write` (a story's generation or resumption) with its progress on stderr, then wait for the story's
    uploads and print its summary; the exit code says whether all of it worked."""
    from desktop.generation.errors import ProviderError
    from desktop.services.story_errors import StoryError

    service = session.stories

    def progress(_story_id: object, line: str) -> None:
        say(line)

    service.story_progress.connect(progress)
    try:
        story = await write()
    except (StoryError, ProviderError) as exc:
        say(f"storyforge: {exc}")
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
        print(as_json(summary))
    else:
        _print_text(summary)
    failure = _failure(story, scenes, by_scene)
    if waited_out and story.status is StoryStatus.complete:
        failure = _not_yet_uploaded(by_scene, args.wait_uploads)
    if failure:
        say(f"storyforge: {failure}")
        return 1
    return 0


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
        "text": scene.text,
        "image_path": scene.image_path,
        "image_status": scene.image_status.value,
        "image_error": scene.image_error,
        # How the picture was made: provider, model, seed, size, the prompt sent, the style, the portraits sent.
        "image_made": scene.image_made.model_dump(mode="json") if not scene.image_made.empty else None,
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
        # What every request was told (given with --bible or drafted), so a script can keep or adjust it.
        "bible": story.bible.as_json(),
        "scenes": [_scene_summary(scene, uploads.get(scene.id)) for scene in scenes],
    }


def _print_text(summary: dict[str, Any]) -> None:
    print(printable(f"{summary['title']} — {summary['status']} ({summary['story_id']})"))
    for scene in summary["scenes"]:
        upload = scene["upload_status"] or "not queued"
        where = scene["url"] or scene["image_path"] or scene["image_error"] or "no image"
        print(printable(f"  {scene['index'] + 1:>2}. {scene['title']} [{upload}] {where}"))


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


async def _wait_for_uploads(session: Session, story: Story, seconds: float) -> bool:
    """Wait until the story's uploads settle, at most `seconds`, saying on stderr what it waits for and each retry
    with its reason. True: they settled."""
    manager = session.uploads
    target = manager.storage_label
    say(f"Waiting for the images to upload to {target} (at most {seconds:g} s)…")

    told: set[tuple[uuid.UUID, int, UploadStatus]] = set()  # a row may be announced more than once per state

    def changed(upload: Upload) -> None:
        news = (upload.id, upload.attempts, upload.status)
        if upload.story_id == story.id and news not in told and (line := _upload_news(upload)):
            told.add(news)
            say(line)

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
