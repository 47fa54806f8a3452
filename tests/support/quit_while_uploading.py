"""The app's headless path, quit while uploads are in flight: `python -m tests.support.quit_while_uploading IMAGE…`.

Starts like `desktop.app.main` (logging, settings from the environment, the QApplication, the one qasync loop,
`run_headless`), enqueues the images for one new story, waits until uploads are running, then returns, so that
`run_headless` quits the Runtime the way the app always does. The test expects exit code 0 and no output at all.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from pathlib import Path

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from desktop.config import load_settings, log_dir
from desktop.headless import run_headless
from desktop.logs import setup_logging
from desktop.models import Scene, Story, StoryRequest
from desktop.qt.loop import EventLoop
from desktop.qt.messages import route_qt_messages_to_log
from desktop.secrets import SecretStore
from desktop.services import upload_manager
from desktop.services.session import Session


async def enqueue_then_quit(session: Session, args: argparse.Namespace) -> int:
    manager, stories, scenes = session.uploads, session.story_rows, session.scene_rows
    images = [Path(name) for name in args.images]
    request = StoryRequest(title="Quitting mid-upload", prompt="A ferry leaves at dawn.", scene_count=len(images))
    story = await stories.create(Story.create(request, user_id=uuid.uuid4()))
    saved = await scenes.save_many([Scene.create(story.id, i, f"Scene {i + 1}", "Text.") for i in range(len(images))])
    in_flight = asyncio.Event()
    manager.upload_changed.connect(lambda _: in_flight.set() if manager.running >= args.running else None)
    for scene, image in zip(saved, images, strict=True):
        await manager.enqueue_scene_image(story, scene, image)
    await asyncio.wait_for(in_flight.wait(), timeout=30)
    return 0  # run_headless now shuts the Runtime down with the uploads still running


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("images", nargs="+")
    parser.add_argument("--running", type=int, default=1, help="quit once this many uploads are in flight")
    parser.add_argument("--grace", type=float, default=upload_manager.SHUTDOWN_GRACE_S)
    args = parser.parse_args()
    upload_manager.SHUTDOWN_GRACE_S = args.grace
    setup_logging(log_dir())
    secrets = SecretStore()
    settings = load_settings(secrets)
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    route_qt_messages_to_log()
    with asyncio.Runner(loop_factory=lambda: EventLoop(app)) as runner:
        return runner.run(run_headless(settings, secrets, enqueue_then_quit, args))


if __name__ == "__main__":
    sys.exit(main())
