"""`storyforge uploads`: list uploads with their state and reason, or retry the failed ones and wait for them."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any

from desktop.models import Upload, UploadStatus, printable
from desktop.services.runtime import Runtime

_TITLE_WIDTH = 28


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("uploads", help="list uploads with their state and reason")
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.add_argument("--retry-failed", action="store_true", help="retry failed uploads and wait until they settle")


async def run(runtime: Runtime, args: argparse.Namespace) -> int:
    manager = runtime.uploads
    assert manager is not None, "run_headless starts the database first"
    if args.retry_failed:
        retried = await manager.retry_all_failed()
        if not args.json:
            print(f"Retrying {_count(len(retried), 'failed upload')}; waiting until every upload has settled…")
        await manager.wait_settled()
    uploads = await manager.uploads()
    titles = await _titles(runtime, {upload.story_id for upload in uploads})
    if args.json:
        print(json.dumps([_as_json(upload, titles) for upload in uploads], indent=2))
    elif not args.retry_failed:
        _print_table(uploads, titles, manager.storage_label)
    failed = [upload for upload in uploads if upload.status is UploadStatus.failed]
    if args.retry_failed and not args.json:
        if failed:
            print(f"{_count(len(failed), 'upload')} still failed:")
            _print_table(failed, titles, manager.storage_label, heading=False)
        else:
            print(f"Every upload to {manager.storage_label} is done.")
    if args.retry_failed and failed:
        print(f"storyforge: {_count(len(failed), 'upload')} still failed.", file=sys.stderr)
        return 1
    return 0


async def _titles(runtime: Runtime, story_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    assert runtime.stories is not None
    titles = {}
    for story_id in story_ids:
        story = await runtime.stories.get(story_id)
        titles[story_id] = story.title if story else "(deleted story)"
    return titles


def _as_json(upload: Upload, titles: dict[uuid.UUID, str]) -> dict[str, Any]:
    data = upload.model_dump(mode="json")
    data["story_title"] = titles.get(upload.story_id, "")
    data["scene_number"] = upload.scene_index + 1
    return data


def _print_table(uploads: list[Upload], titles: dict[uuid.UUID, str], where: str, *, heading: bool = True) -> None:
    if heading:
        if not uploads:
            print(f"No uploads to {where} yet.")
            return
        print(f"Uploads to {where}:")
    print(f"{'STATE':<10} {'STORY':<{_TITLE_WIDTH}} {'SCENE':>5} {'TRIES':>5}  REASON")
    for upload in uploads:
        title = titles.get(upload.story_id, "")
        if len(title) > _TITLE_WIDTH:
            title = title[: _TITLE_WIDTH - 1] + "…"
        reason = upload.error_message if upload.status is not UploadStatus.uploaded else ""
        if upload.status is UploadStatus.queued and upload.next_attempt_at is not None:
            reason += f" (tries again at {upload.next_attempt_at.astimezone():%H:%M:%S})"
        scene, tries = upload.scene_index + 1, upload.attempts
        # Titles and reasons may hold what the writer typed: escaped, never raw control characters on a terminal.
        line = f"{upload.status.value:<10} {title:<{_TITLE_WIDTH}} {scene:>5} {tries:>5}  {upload.backend:<8}  {reason}"
        print(printable(line))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
