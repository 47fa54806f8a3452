"""One scene's image, start to finish: paint it (a bounded number at a time), check the bytes, write them atomically
into the image folder, hand the file to the upload queue, and record every step on the scene."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from desktop.db.repositories import SceneRepository
from desktop.generation.base import (
    ImageAbilities,
    ImageProgress,
    ImageProvider,
    ImageRequest,
    Reference,
    ReportsProgress,
)
from desktop.generation.errors import ImageFolderError, ProviderError
from desktop.generation.image_folder import write_scene_image
from desktop.generation.images import INLINE_CHECK_BYTES, CheckedImage, check_image
from desktop.generation.prompts import compose_image_prompt
from desktop.models import ImageRecord, ImageStatus, Scene, SceneVersion, Story, Upload

log = logging.getLogger(__name__)


class ImageUploads(Protocol):
    """What the story service needs of the upload queue (UploadManager, or a stand-in in tests and benchmarks)."""

    # The scene's image now: a repainted one replaces the scene's upload (its earlier object is removed from storage
    # once the new one is there), and the earlier file stays on this computer.
    async def enqueue_scene_image(self, story: Story, scene: Scene, image: Path) -> Upload: ...

    async def wait_settled(self, story_id: uuid.UUID | None = None) -> None: ...


def story_seed(story: Story) -> int:
    """The story's seed, kept for good (it is its id's): every scene's first picture is painted from a seed made
    from it, so painting a story again on the same server gives the same pictures."""
    return story.id.int % 2**31


def scene_seed(story: Story, scene: Scene) -> int:
    return (story_seed(story) + 7919 * scene.index) % 2**31


def new_seed() -> int:
    return random.randrange(1, 2**31)


def image_request(story: Story, scene: Scene, seed: int, references: tuple[Reference, ...] = ()) -> ImageRequest:
    """What the image provider is asked for a scene: its picture with the bible's style and the looks of those it
    names (prompts.compose_image_prompt), and, for painters that draw, the style and the places named."""
    bible = story.bible
    named = f"{scene.title} {scene.image_prompt} {scene.text}"
    return ImageRequest(
        prompt=compose_image_prompt(scene.image_prompt, scene.title, bible, scene.text),
        title=scene.title,
        seed=seed,
        style=bible.style,
        places=tuple(place.line() for place in bible.places if place.named_in(named)),
        references=references,
    )


def image_record(
    provider: ImageProvider, abilities: ImageAbilities, request: ImageRequest, image: CheckedImage
) -> ImageRecord:
    return ImageRecord(
        provider=provider.label,
        model=provider.model,
        seed=request.seed if abilities.seed else None,
        width=image.width,
        height=image.height,
        prompt=request.prompt,
        style=request.style,
        references=[reference.name for reference in request.references],
    )


def read_portraits(story: Story, scene: Scene) -> tuple[Reference, ...]:
    """The chosen portraits of the characters the scene names (blocking: run on the executor). A portrait file that
    is gone is left out: the scene is painted from the words alone."""
    named = f"{scene.title} {scene.image_prompt} {scene.text}"
    references = []
    for character in story.bible.characters:
        if character.portrait and character.named_in(named):
            try:
                references.append(Reference(character.name, Path(character.portrait).read_bytes()))
            except OSError as exc:
                log.warning("the portrait of %s cannot be read: %s", character.name, exc)
    return tuple(references)


@dataclass(frozen=True)
class _Painted:
    path: Path
    request: ImageRequest
    made: ImageRecord


class ScenePainter:
    def __init__(
        self,
        *,
        scenes: SceneRepository,
        uploads: ImageUploads,
        executor: Executor,
        images_dir: Path,
        concurrency: int,
        changed: Callable[[Scene], None],
        progress: Callable[[uuid.UUID, str], None],
        image_progress: Callable[[uuid.UUID, float], None] = lambda _scene_id, _fraction: None,
    ) -> None:
        self._scenes = scenes
        self._uploads = uploads
        self._executor = executor
        self._images_dir = images_dir
        self._slots = asyncio.Semaphore(concurrency)
        self._changed = changed
        self._progress = progress
        self._image_progress = image_progress

    async def paint(
        self, story: Story, scene: Scene, provider: ImageProvider, seed: int | None = None
    ) -> tuple[Scene, str]:
        """The scene as stored afterwards, and what went wrong in plain words ("" when nothing did). `seed`: the
        scene's own (scene_seed) unless given.

        Provider and disk failures mark the scene's image failed and are returned, never raised; the text stays.
        """
        async with self._slots:
            try:
                await self._set(scene, ImageStatus.painting)
                self._progress(story.id, f"Painting scene {scene.number}…")
                painted_from = (scene.title, scene.image_prompt)
                painted = await self._paint_and_keep(story, scene, provider, seed, self._told(story, scene))
            except (ProviderError, ImageFolderError) as exc:
                failed = await self._set(scene, ImageStatus.failed, error=str(exc))
                self._progress(story.id, f"Scene {scene.number}'s image failed: {exc}")
                return failed, str(exc)
            except asyncio.CancelledError:
                # Stopped half way: the scene goes back to how it was, so a resume paints it again.
                before = ImageStatus.painted if scene.image_path else ImageStatus.pending
                await asyncio.shield(self._set(scene, before))
                raise
        problem = ""
        try:
            # The outbox row comes before the scene says "painted": a crash in between leaves a scene to repaint,
            # never a painted image that no upload will ever pick up.
            await self._uploads.enqueue_scene_image(story, scene, painted.path)
        except Exception as exc:
            log.exception("could not queue scene %d of story %s for upload", scene.number, story.id)
            problem = (
                f"Scene {scene.number}'s image is saved on this computer but could not be queued for upload: {exc}"
            )
        shown = await self._set(
            scene,
            ImageStatus.painted,
            path=str(painted.path),
            painted_from=painted_from,
            maker=provider.label,
            asked=painted.request.prompt,
            made=painted.made,
        )
        self._progress(story.id, problem or f"Scene {scene.number} painted.")
        return shown, problem

    async def paint_candidate(self, story: Story, scene: Scene, provider: ImageProvider, seed: int) -> SceneVersion:
        """One more picture for the scene, kept as a candidate version it does not show; ProviderError or
        ImageFolderError when it could not be painted or kept (the scene is unchanged either way)."""
        async with self._slots:
            painted = await self._paint_and_keep(story, scene, provider, seed)
        return await self._scenes.add_candidate(
            scene.id, str(painted.path), asked=painted.request.prompt, made=painted.made, maker=provider.label
        )

    def _told(self, story: Story, scene: Scene) -> ImageProgress:
        """The story's progress line follows a painter that reports how far it is: "Painting scene 3… 40 %", said
        again only when the whole percent changes."""
        said = -1

        def told(fraction: float) -> None:
            nonlocal said
            percent = round(fraction * 100)
            if percent != said:
                said = percent
                self._progress(story.id, f"Painting scene {scene.number}… {percent} %")
                self._image_progress(scene.id, percent / 100)

        return told

    async def _paint_and_keep(
        self, story: Story, scene: Scene, provider: ImageProvider, seed: int | None, told: ImageProgress | None = None
    ) -> _Painted:
        abilities = await provider.abilities()
        references: tuple[Reference, ...] = ()
        if abilities.reference:
            references = await asyncio.wrap_future(self._executor.submit(read_portraits, story, scene))
        request = image_request(story, scene, scene_seed(story, scene) if seed is None else seed, references)
        if told is not None and isinstance(provider, ReportsProgress):
            data = await provider.paint_with_progress(request, told)
        else:
            data = await provider.paint(request)
        checked = await self._check(data)
        directory = self._images_dir / str(story.id)
        path = await asyncio.wrap_future(self._executor.submit(write_scene_image, directory, scene.index, checked))
        return _Painted(path, request, image_record(provider, abilities, request, checked))

    async def _check(self, data: bytes) -> CheckedImage:
        if len(data) <= INLINE_CHECK_BYTES:
            return check_image(data)
        return await asyncio.wrap_future(self._executor.submit(check_image, data))

    async def _set(
        self,
        scene: Scene,
        status: ImageStatus,
        *,
        path: str | None = None,
        error: str = "",
        painted_from: tuple[str, str] | None = None,
        maker: str = "",
        asked: str | None = None,
        made: ImageRecord | None = None,
    ) -> Scene:
        stored = await self._scenes.set_image(
            scene.id, status, path=path, error=error, painted_from=painted_from, maker=maker, asked=asked, made=made
        )
        self._changed(stored)
        return stored
