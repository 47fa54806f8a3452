"""Story-level edits the writer asks for from the library: a new title, checked the way a new story's title is,
and a copy of a story with copies of its scenes and their image files."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from desktop.db.repositories import SceneRepository, StoryRepository
from desktop.generation.image_folder import DISK_FULL
from desktop.models import TITLE_MAX, ImageStatus, Scene, Story, Title, utc_now
from desktop.qt.executor import QThreadPoolExecutor
from desktop.services.scene_images import ImageUploads
from desktop.services.story_errors import StoryError

_TITLE: TypeAdapter[str] = TypeAdapter(Title)
COPY_SUFFIX = " (copy)"


def checked_title(title: str) -> str:
    """The title as it will be stored (trimmed), or StoryError in words the writer can act on."""
    if not title.strip():
        raise StoryError("Give the story a title.")
    try:
        return _TITLE.validate_python(title)
    except ValidationError:
        raise StoryError(f"A title has at most {TITLE_MAX} characters.") from None


def copy_title(title: str) -> str:
    """ "Title (copy)", shortening the title where the suffix would make it too long."""
    return title[: TITLE_MAX - len(COPY_SUFFIX)].rstrip() + COPY_SUFFIX


def copy_image(source: Path, directory: Path) -> Path:
    """Blocking (run on the executor): the file copied into `directory` under its own name, complete or absent."""
    target = directory / source.name
    try:
        directory.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".incoming-", suffix=".part", dir=directory)
        os.close(descriptor)
        try:
            shutil.copyfile(source, temporary)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StoryError(DISK_FULL) from exc
        raise StoryError(f"The image {source.name} could not be copied: {exc.strerror or type(exc).__name__}.") from exc
    return target


@dataclass(frozen=True)
class StoryCopier:
    """A story's copy: its scenes stored at once, then each painted image copied and queued for upload the way a
    freshly painted one is (the outbox row first, then the scene says "painted")."""

    stories: StoryRepository
    scenes: SceneRepository
    uploads: ImageUploads
    executor: QThreadPoolExecutor
    images_dir: Path

    async def copy(self, story: Story) -> Story:
        now = utc_now()
        twin = story.model_copy(
            update={"id": uuid.uuid4(), "title": copy_title(story.title), "created_at": now, "updated_at": now}
        )
        await self.stories.create(twin)
        originals = await self.scenes.for_story(story.id)
        copies = await self.scenes.save_many(
            [self._scene_copy(scene, twin.id) for scene in originals], maker=story.text_provider
        )
        for original, scene in zip(originals, copies, strict=True):
            if original.image_status is ImageStatus.painted and original.image_path:
                await self._copy_image(twin, original, scene)
        return twin

    @staticmethod
    def _scene_copy(scene: Scene, story_id: uuid.UUID) -> Scene:
        now = utc_now()
        # The image comes with its file, later: until then the copy has none.
        waiting = scene.image_status in (ImageStatus.painted, ImageStatus.painting)
        return scene.model_copy(
            update={
                "id": uuid.uuid4(),
                "story_id": story_id,
                "image_path": "",
                "image_status": ImageStatus.pending if waiting else scene.image_status,
                "created_at": now,
                "updated_at": now,
            }
        )

    async def _copy_image(self, story: Story, original: Scene, scene: Scene) -> None:
        directory = self.images_dir / str(story.id)
        try:
            path = await asyncio.wrap_future(self.executor.submit(copy_image, Path(original.image_path), directory))
        except StoryError as exc:
            await self.scenes.set_image(scene.id, ImageStatus.failed, error=str(exc))
            return
        await self.uploads.enqueue_scene_image(story, scene, path)
        painted_from = (original.painted_title or original.title, original.painted_prompt or original.image_prompt)
        await self.scenes.set_image(
            scene.id, ImageStatus.painted, path=str(path), painted_from=painted_from, maker=story.image_provider
        )
