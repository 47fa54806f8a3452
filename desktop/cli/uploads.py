"""`storyforge uploads`: list uploads with their state and reason, or retry the failed ones and wait for them."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import TYPE_CHECKING, Any

from desktop.models import Upload, UploadStatus, printable

if TYPE_CHECKING:  # the window's start parses these commands' arguments too: it must not wait for the services
    from desktop.services.session import Session

_TITLE_WIDTH = 28


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("uploads", help="list uploads with their state and reason")
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.add_argument("--retry-failed", action="store_true", help="retry failed uploads and wait until they settle")
    parser.add_argument(
        "--retarget",
        action="store_true",
        help="send uploads not yet stored on a storage no longer chosen to the chosen one, and wait until they settle",
    )


async def run(session: Session, args: argparse.Namespace) -> int:
    manager = session.uploads
    settle = args.retry_failed or args.retarget
    if args.retarget:
        moved = await manager.retarget()
        if not args.json:
            print(
                f"Sending {_count(len(moved), 'upload')} to {manager.storage_label}; "
                "waiting until every upload has settled…"
            )
        if not args.retry_failed:
            await manager.wait_settled()
    if args.retry_failed:
        retried = await manager.retry_all_failed()
        if not args.json:
            print(f"Retrying {_count(len(retried), 'failed upload')}; waiting until every upload has settled…")
        repaired = await manager.repair_links()  # uploaded images whose link is missing or expired
        if repaired and not args.json:
            print(f"Making {_count(len(repaired), 'missing or expired link')} again.")
        await manager.wait_settled()
    uploads = await manager.uploads()
    titles = await _titles(session, {upload.story_id for upload in uploads})
    if args.json:
        print(json.dumps([_as_json(upload, titles) for upload in uploads], indent=2))
    elif not settle:
        _print_table(uploads, titles, manager.storage_label, chosen=manager.backend_name)
    # Not stored where they were sent: failed on any storage, or (after --retarget) still waiting on one left behind.
    stranded = [u for u in uploads if u.backend != manager.backend_name and u.status is UploadStatus.queued]
    failed = [u for u in uploads if u.status is UploadStatus.failed or (args.retarget and u in stranded)]
    if settle and not args.json:
        if failed:
            print(f"{_count(len(failed), 'upload')} still failed:")
            _print_table(failed, titles, manager.storage_label, heading=False)
        else:
            print(f"Every upload to {manager.storage_label} is done.")
    if settle and failed:
        print(f"storyforge: {_count(len(failed), 'upload')} still failed.", file=sys.stderr)
        return 1
    return 0


async def _titles(session: Session, story_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    titles = {}
    for story_id in story_ids:
        title = await session.stories.title(story_id)
        titles[story_id] = title if title is not None else "(deleted story)"
    return titles


def _as_json(upload: Upload, titles: dict[uuid.UUID, str]) -> dict[str, Any]:
    data = upload.model_dump(mode="json")
    data["story_title"] = titles.get(upload.story_id, "")
    data["target"] = upload.backend  # where the image is to be stored, whatever storage is chosen now
    data["scene_number"] = upload.scene_index + 1
    return data


def _print_table(
    uploads: list[Upload], titles: dict[uuid.UUID, str], where: str, *, heading: bool = True, chosen: str = ""
) -> None:
    if heading:
        if not uploads:
            print(f"No uploads to {where} yet.")
            return
        # An upload keeps its target (TARGET) when the writer chooses another storage.
        elsewhere = any(upload.backend != chosen for upload in uploads)
        print(f"Uploads (new images go to {where}):" if elsewhere else f"Uploads to {where}:")
    print(f"{'STATE':<10} {'STORY':<{_TITLE_WIDTH}} {'SCENE':>5} {'TRIES':>5}  {'TARGET':<8}  REASON")
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
