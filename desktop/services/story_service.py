"""StoryService: writes a story scene by scene, paints each scene, hands images to the upload queue.

Pipelined: each scene is stored the moment its text is complete and its image starts at once (a bounded number
at a time), so painting scene k overlaps writing scene k+1 and uploading scene k-1.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable, Coroutine
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from desktop.bible import Bible, Character
from desktop.config import Settings, provider_settings
from desktop.db.repositories import SceneRepository, StoryRepository, UndoLogRepository
from desktop.db.repositories.scenes import StaleRevision
from desktop.generation.base import (
    ImageAbilities,
    ImageProvider,
    Notify,
    ProviderFactory,
    Providers,
    SceneDraft,
    SceneStreaming,
    TextRequest,
)
from desktop.generation.bible_draft import draft_bible
from desktop.generation.errors import ImageFolderError, ProviderError
from desktop.generation.factory import build_providers
from desktop.generation.scene_check import SceneRejected
from desktop.models import (
    SCENES_MAX,
    TITLE_MAX,
    ChangeKind,
    ImageStatus,
    Scene,
    SceneVersion,
    Story,
    StoryRequest,
    StoryStatus,
    StorySummary,
)
from desktop.qt.executor import QThreadPoolExecutor
from desktop.services.portraits import paint_portrait
from desktop.services.scene_images import ImageUploads, ScenePainter, new_seed, scene_seed, story_seed
from desktop.services.story_edits import StoryCopier, checked_title
from desktop.services.story_errors import EditConflict, StoryBusy, StoryError

log = logging.getLogger(__name__)
_Done = TypeVar("_Done")  # what a scene job returns

CANCELLED = "Cancelled — the finished scenes are kept. Press Resume to write the rest."
INTERRUPTED = "Storyforge closed before this story was finished — press Resume to write the rest."
SHUTDOWN_WAIT_SECONDS = 10.0


class _Relay:
    """Provider notices ("busy, trying again…") go out on `story_progress` with the story they belong to."""

    def __init__(self, emit: Callable[[object, str], None], story_id: uuid.UUID | None = None) -> None:
        self._emit = emit
        self.story_id = story_id

    def __call__(self, line: str) -> None:
        self._emit(self.story_id, line)


@dataclass(frozen=True)
class OpenedStory:
    story: Story
    scenes: list[Scene]


@dataclass
class _Outcome:
    scene_count: int
    written: set[int] = field(default_factory=set)
    image_problems: dict[int, str] = field(default_factory=dict)
    text_error: str = ""
    scene_rejected: bool = False  # text_error names the scene and what came instead: it is told as it is

    def first_missing(self) -> int | None:
        return next((index for index in range(self.scene_count) if index not in self.written), None)


def _text_request(story: Story, **part: Any) -> TextRequest:
    """The story as the text provider sees it; `part` says which scenes to write and gives the context."""
    return TextRequest(
        title=story.title,
        prompt=story.prompt,
        scene_count=story.scene_count,
        style=story.style,
        characters=story.characters,
        bible=story.bible,
        seed=story_seed(story),
        **part,
    )


def _draft(scene: Scene) -> SceneDraft:
    # A blank scene (inserted, to write by hand) has no text yet: it keeps its place in the context, saying so in
    # words a model will not copy as a scene's text.
    return SceneDraft(title=scene.title, text=scene.text or "(not written yet)", image_prompt=scene.image_prompt)


def _scene_list(numbers: list[int]) -> str:
    words = [str(number) for number in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


class StoryService(QObject):
    story_changed = Signal(object)  # Story: created, status changed, finished
    scene_text = Signal(object, int, str)  # story id, scene index, the text so far while it streams
    scene_saved = Signal(object)  # Scene: its text is complete and stored (also after an edit)
    scene_image = Signal(object)  # Scene: image_status / image_path changed (painting, painted, failed)
    story_progress = Signal(object, str)  # story id, one line in plain words ("Writing scene 3 of 6…")
    image_progress = Signal(object, float)  # scene id, how far its picture is (0–1), from painters that can tell
    # story id, its scenes in their new order: one was inserted, moved, deleted to the trash or restored.
    scenes_arranged = Signal(object, object)
    story_removed = Signal(object)  # story id: it went to the trash (or was purged)
    undo_changed = Signal(object)  # story id: what Undo and Redo would do has changed

    def __init__(
        self,
        *,
        settings: Settings,
        stories: StoryRepository,
        scenes: SceneRepository,
        undo_log: UndoLogRepository,
        executor: QThreadPoolExecutor,
        uploads: ImageUploads,
        parent: QObject | None = None,
        providers: ProviderFactory | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._executor = executor
        self._uploads = uploads
        self._stories = stories
        self._scenes = scenes
        self._undo_log = undo_log
        self._provider_factory = providers or self._providers_from_settings
        # Tests and benchmarks give their own providers; the app builds them from the settings (and the story's).
        self._providers_given = providers is not None
        self._painter = self._make_painter()
        self._runs: dict[uuid.UUID, asyncio.Task[Story]] = {}
        self._scene_jobs: dict[uuid.UUID, set[asyncio.Task[Any]]] = {}
        self._cancelled_by_writer: set[uuid.UUID] = set()
        self._closing = False
        self._abilities: ImageAbilities | None = None  # the image provider's, once asked (image_abilities)

    def reconfigure(self, settings: Settings) -> None:
        """New settings (providers, image folder, concurrency) apply from the next run or regeneration on."""
        self._settings = settings
        self._painter = self._make_painter()
        self._abilities = None  # another painter, or the same one elsewhere, may keep other things alike

    def _make_painter(self) -> ScenePainter:
        return ScenePainter(
            scenes=self._scenes,
            uploads=self._uploads,
            executor=self._executor,
            images_dir=self._settings.images_dir,
            concurrency=self._settings.image_concurrency,
            changed=self.scene_image.emit,
            progress=self.story_progress.emit,
            image_progress=self.image_progress.emit,
        )

    def _providers_from_settings(self, notify: Notify) -> Providers:
        return build_providers(self._settings, self._executor, notify)

    def _providers_for(self, story: Story | None, notify: Notify) -> Providers:
        """The providers and models the story was written with (Story.made_with), with the keys from the settings;
        the settings' own for a new story, a story from before they were kept, or one the writer moved to them."""
        if story is None or not story.made_with or self._providers_given:
            return self._provider_factory(notify)
        return build_providers(self._settings.model_copy(update=story.made_with), self._executor, notify)

    def follows_settings(self, story: Story) -> bool:
        """Whether the story is written with the providers in Settings now (or keeps none of its own)."""
        return not story.made_with or story.made_with == provider_settings(self._settings)

    async def use_settings_providers(self, story_id: uuid.UUID) -> Story:
        """The writer's choice: this story is regenerated and continued with the providers in Settings from now on."""
        await self._story(story_id)
        moved = await self._stories.set_made_with(story_id, provider_settings(self._settings))
        if moved is None:
            raise StoryError("That story no longer exists.")
        self.story_changed.emit(moved)
        return moved

    # --- what the pages show ---

    async def open(self, story_id: uuid.UUID) -> OpenedStory | None:
        """The story and its scenes, or None when it is gone or in the trash."""
        story = await self._stories.get(story_id)
        if story is None or story.deleted_at is not None:
            return None
        return OpenedStory(story, await self._scenes.for_story(story_id))

    async def library_page(self, search: str, limit: int, offset: int) -> list[StorySummary]:
        return await self._stories.list(search, limit=limit, offset=offset)

    async def count(self, search: str = "") -> int:
        return await self._stories.count(search)

    async def summary(self, story_id: uuid.UUID) -> StorySummary | None:
        return await self._stories.summary(story_id)

    async def title(self, story_id: uuid.UUID) -> str | None:
        """None when the story is gone."""
        story = await self._stories.get(story_id)
        return story.title if story is not None else None

    async def check_can_arrange(self, story_id: uuid.UUID) -> Story:
        """The story, when its scenes may be inserted, moved, deleted or put back now; StoryError (StoryBusy while
        it is being written) otherwise."""
        self._check_open()
        story = await self._story(story_id)
        self._check_idle(story)
        return story

    async def announce_story(self, story_id: uuid.UUID) -> None:
        """`story_changed` with the story as stored now (its scene count moved, say)."""
        story = await self._stories.get(story_id)
        if story is not None:
            self.story_changed.emit(story)

    def is_running(self, story_id: uuid.UUID) -> bool:
        return story_id in self._runs or bool(self._scene_jobs.get(story_id))

    async def rename(self, story_id: uuid.UUID, title: str) -> Story:
        """A new title, checked like a new story's; the library row and the header hear it on `story_changed`."""
        before = await self._story(story_id)
        renamed = await self.rename_without_undo(story_id, title)
        if renamed.title != before.title:
            await self.record_change(story_id, ChangeKind.rename, {"title": before.title}, {"title": renamed.title})
        return renamed

    async def rename_without_undo(self, story_id: uuid.UUID, title: str) -> Story:
        """The rename itself (Undo and Redo of a rename use it)."""
        renamed = await self._stories.rename(story_id, checked_title(title))
        if renamed is None:
            raise StoryError("That story no longer exists.")
        self.story_changed.emit(renamed)
        return renamed

    async def story(self, story_id: uuid.UUID) -> Story:
        """The story; StoryError when it is gone or in the trash."""
        return await self._story(story_id)

    async def edit_bible(self, story_id: uuid.UUID, bible: Bible) -> Story:
        """The writer's bible for the story, kept as a new version; the scenes written from now on follow it."""
        await self._story(story_id)
        edited = await self._stories.set_bible(story_id, bible, "edited")
        if edited is None:
            raise StoryError("That story no longer exists.")
        self.story_changed.emit(edited)
        return edited

    async def scenes_showing(self, story_id: uuid.UUID, names: list[str]) -> list[Scene]:
        """The painted scenes that name any of these characters or places (to offer repainting after a new look)."""
        wanted = [Character(name=name) for name in names if name.strip()]
        return [
            scene
            for scene in await self._scenes.for_story(story_id)
            if scene.image_path
            and any(entry.named_in(f"{scene.title} {scene.image_prompt} {scene.text}") for entry in wanted)
        ]

    async def record_change(
        self,
        story_id: uuid.UUID,
        kind: ChangeKind,
        before: dict[str, Any],
        after: dict[str, Any],
        scene_id: uuid.UUID | None = None,
    ) -> None:
        """A change the writer made, for Undo (it drops what Redo would have done)."""
        await self._undo_log.record(story_id, kind, before, after, scene_id)
        self.undo_changed.emit(story_id)

    async def _record_new_version(self, before: Scene, after: Scene) -> None:
        if after.version_id is not None and after.version_id != before.version_id:
            await self.record_change(
                after.story_id,
                ChangeKind.scene,
                {"version": str(before.version_id)},
                {"version": str(after.version_id)},
                scene_id=after.id,
            )

    async def duplicate(self, story_id: uuid.UUID) -> Story:
        """A new story "Title (copy)" with copies of the scenes and their image files, each image queued for upload."""
        self._check_open()
        story = await self._story(story_id)
        self._check_idle(story)
        copier = StoryCopier(self._stories, self._scenes, self._uploads, self._executor, self._settings.images_dir)
        copy = await copier.copy(story)
        self.story_changed.emit(copy)
        return copy

    async def recover(self) -> list[uuid.UUID]:
        """At start-up: stories left `generating` by a dead app become `interrupted`."""
        interrupted = await self._stories.mark_interrupted()
        await self._scenes.reset_unfinished_images()
        if interrupted:
            log.info("%d story(ies) were interrupted and can be resumed", len(interrupted))
        return interrupted

    async def show_changes_from_elsewhere(self, story_ids: set[uuid.UUID], scene_ids: set[uuid.UUID]) -> None:
        """Stories and scenes another process changed go out on the same signals as this process's own changes."""
        for story_id in story_ids:
            story = await self._stories.get(story_id)
            if story is None or story.deleted_at is not None:
                self.story_removed.emit(story_id)
            else:
                self.story_changed.emit(story)
        arranged: set[uuid.UUID] = set()
        for scene_id in scene_ids:
            scene = await self._scenes.get(scene_id)
            if scene is not None and scene.deleted_at is None:
                self.scene_saved.emit(scene)
            if scene is not None:
                arranged.add(scene.story_id)
        # A scene inserted, moved, deleted or restored elsewhere moves others: the views get the whole order (a view
        # whose order is unchanged has nothing to do).
        for story_id in arranged:
            self.scenes_arranged.emit(story_id, await self._scenes.for_story(story_id))

    async def generate(self, request: StoryRequest) -> Story:
        """Write and paint a new story; returns it finished: complete, partial, failed or cancelled."""
        self._check_open()

        async def create(providers: Providers) -> Story:
            bible = request.bible or await self._first_bible(providers, request)
            story = Story.create(
                request,
                user_id=self._settings.user_id or uuid.UUID(int=0),
                status=StoryStatus.generating,
                text_provider=providers.text.label,
                image_provider=providers.image.label,
                bible=bible,
                made_with=provider_settings(self._settings),
            )
            await self._stories.create(story)
            kept = await self._stories.set_bible(story.id, bible, "given" if request.bible else "drafted")
            return kept or story

        return await self._start_run(_Relay(self.story_progress.emit), create, existing=[])

    async def _first_bible(self, providers: Providers, request: StoryRequest) -> Bible:
        """The text provider drafts the new story's bible (one request); if it cannot, the offline draft from the
        prompt's names stands in, and the story is written all the same."""
        try:
            return await providers.text.draft_bible(request.title, request.prompt, request.style, request.characters)
        except ProviderError as exc:
            log.info("the bible was drafted offline: %s", exc)
            return draft_bible(request.title, request.prompt, request.style, request.characters)

    async def resume(self, story_id: uuid.UUID) -> Story:
        """Paint what is unpainted and write from the first missing scene on."""
        self._check_open()
        story = await self._story(story_id)
        self._check_idle(story)
        existing = await self._scenes.for_story(story_id)
        done = len(existing) == story.scene_count and all(s.image_status is ImageStatus.painted for s in existing)
        if done and story.status is StoryStatus.complete:
            return story

        async def restart(providers: Providers) -> Story:
            return await self._stories.update(
                story.changed(
                    status=StoryStatus.generating,
                    error="",
                    text_provider=providers.text.label,
                    image_provider=providers.image.label,
                )
            )

        return await self._start_run(_Relay(self.story_progress.emit, story_id), restart, existing, story)

    async def continue_story(self, story_id: uuid.UUID, count: int) -> Story:
        """Write `count` more scenes after the last, from what the story has so far, and paint them."""
        self._check_open()
        story = await self._story(story_id)
        self._check_idle(story)
        if count < 1:
            raise StoryError("Continue with at least one scene.")
        if story.scene_count + count > SCENES_MAX:
            room = SCENES_MAX - story.scene_count
            raise StoryError(
                f"A story has at most {SCENES_MAX} scenes; this one can take {room} more."
                if room
                else f"This story already has {SCENES_MAX} scenes, as many as a story can have."
            )
        await self._stories.update(story.changed(scene_count=story.scene_count + count))
        return await self.resume(story_id)

    async def _start_run(
        self,
        relay: _Relay,
        mark_generating: Callable[[Providers], Coroutine[Any, Any, Story]],
        existing: list[Scene],
        story: Story | None = None,
    ) -> Story:
        """Store the story as generating, named after the providers that will write it (`story`'s own when it is
        resumed), then run it. The run closes the providers when it ends; if the story cannot be stored, they are
        closed here."""
        providers = self._providers_for(story, relay)
        try:
            story = await mark_generating(providers)
        except BaseException:
            await providers.aclose()
            raise
        relay.story_id = story.id
        self.story_changed.emit(story)
        return await self._run(story, providers, existing=existing)

    def cancel(self, story_id: uuid.UUID) -> None:
        """Stop writing and painting this story now; every finished scene stays."""
        run = self._runs.get(story_id)
        jobs = self._scene_jobs.get(story_id, set())
        if run is None and not jobs:
            return
        self._cancelled_by_writer.add(story_id)
        if run is not None:
            run.cancel()
        for job in jobs:
            job.cancel()

    async def cancel_anywhere(self, story_id: uuid.UUID) -> None:
        """Cancel the story here if this process writes it; otherwise ask the process that does (a script, another
        window), through the database."""
        if self.is_running(story_id):
            self.cancel(story_id)
        else:
            await self._stories.ask_writer_to_cancel(story_id)

    async def edit_scene(self, scene_id: uuid.UUID, title: str, text: str, *, revision: int | None = None) -> Scene:
        """The writer's own words; a change marks the scene edited by hand, so regenerating it asks first.

        `revision` is the scene's revision the words were written from: if the text changed since (another device),
        nothing is stored and EditConflict says what it is now. None writes over whatever is there.
        """
        title, text = " ".join(title.split()), text.strip()
        if not text:
            raise StoryError("A scene needs some text — write something, or regenerate it.")
        if len(title) > TITLE_MAX:
            raise StoryError(f"A scene title can be at most {TITLE_MAX} characters long.")
        scene = await self._scene(scene_id)
        title = title or f"Scene {scene.number}"
        try:
            updated = await self._scenes.update_text(scene_id, title, text, revision=revision)
        except StaleRevision as stale:
            assert revision is not None  # only a write over a named revision finds it moved
            self.scene_saved.emit(stale.current)
            raise EditConflict(stale.current, title, text, revision) from None
        # Recorded for Undo first: once the scene shows saved, the save is wholly done.
        await self._record_new_version(scene, updated)
        self.scene_saved.emit(updated)
        return updated

    async def regenerate_text(self, scene_id: uuid.UUID) -> Scene:
        """A new version of one scene's text (and image prompt); its image stays until it is regenerated too."""
        self._check_open()
        scene = await self._scene(scene_id)
        story = await self._story(scene.story_id)
        self._check_idle(story)
        rewritten = await self._scene_job(story, self._rewrite(story, scene))
        await self._record_new_version(scene, rewritten)
        return rewritten

    async def write_blank_scene(self, scene_id: uuid.UUID) -> Scene:
        """An inserted blank scene written by the text provider from its neighbours and the story, then painted.
        Part of the insert the writer asked for: Undo takes the inserted scene away whole."""
        self._check_open()
        scene = await self._scene(scene_id)
        story = await self._story(scene.story_id)
        self._check_idle(story)
        written = await self._scene_job(story, self._rewrite(story, scene))
        return await self._scene_job(story, self._repaint(story, written))

    async def regenerate_image(self, scene_id: uuid.UUID, *, same_seed: bool = False) -> Scene:
        """Paint one scene again — with a new seed, or with the seed its picture was painted with — and return it,
        with `image_status` failed and `image_error` if it did not work."""
        self._check_open()
        scene = await self._scene(scene_id)
        story = await self._story(scene.story_id)
        self._check_idle(story, allow_scene_jobs=True)
        seed = scene.image_made.seed if same_seed and scene.image_made.seed is not None else None
        if same_seed and seed is None:
            seed = scene_seed(story, scene)  # painted before seeds were kept: the one its first picture had
        repainted = await self._scene_job(story, self._repaint(story, scene, seed=seed))
        await self._record_new_version(scene, repainted)
        return repainted

    @property
    def candidates_wanted(self) -> int:
        """How many pictures More images paints (Settings)."""
        return self._settings.image_candidates

    async def paint_candidates(self, scene_id: uuid.UUID, count: int | None = None) -> list[SceneVersion]:
        """`count` (the setting when None) more pictures for the scene, each with a new seed, as candidate versions
        it does not show until the writer picks one (SceneHistory.pick). The ones that could be painted are
        returned; ProviderError (the first failure) only when none could."""
        self._check_open()
        scene = await self._scene(scene_id)
        story = await self._story(scene.story_id)
        self._check_idle(story, allow_scene_jobs=True)
        wanted = count or self.candidates_wanted
        return await self._scene_job(story, self._candidates(story, scene, wanted))

    async def image_abilities(self) -> ImageAbilities:
        """What the image provider in Settings can keep alike (seeds, portraits as references): asked of it once,
        and again after the settings change, not each time a story opens (a server answers it with several
        requests)."""
        if self._abilities is None:
            providers = self._provider_factory(_Relay(self.story_progress.emit))
            try:
                self._abilities = await providers.image.abilities()
            finally:
                await providers.aclose()
        return self._abilities

    async def paint_portrait(self, story_id: uuid.UUID, name: str) -> Story:
        """A new portrait of the character, from their look and the story's style, with a new seed; kept in their
        bible entry as a new version of the bible (the one before stays in its versions)."""
        self._check_open()
        story = await self._story(story_id)
        character = next((c for c in story.bible.characters if c.name == name), None)
        if character is None:
            raise StoryError(f"{name} is not in this story's bible any more.")
        providers = self._providers_for(story, _Relay(self.story_progress.emit, story.id))
        self.story_progress.emit(story.id, f"Painting a portrait of {name}…")
        try:
            painted = await paint_portrait(
                providers.image,
                self._executor,
                self._settings.images_dir / str(story.id),
                character,
                story.bible,
                new_seed(),
            )
        finally:
            await providers.aclose()
        portrait = {"portrait": painted.portrait, "portrait_seed": painted.portrait_seed}

        def with_portrait(bible: Bible) -> Bible:
            # The bible as stored now: the writer may have saved it, or another portrait landed, meanwhile.
            if not any(c.name == name for c in bible.characters):
                raise StoryError(f"{name} left this story's bible while the portrait was painted.")
            characters = [c.model_copy(update=portrait) if c.name == name else c for c in bible.characters]
            return bible.model_copy(update={"characters": characters})

        kept = await self._stories.change_bible(story_id, with_portrait, "portrait")
        if kept is None:
            raise StoryError("That story no longer exists.")
        self.story_changed.emit(kept)
        self.story_progress.emit(story.id, f"{name}'s portrait is painted.")
        return kept

    async def shutdown(self) -> None:
        """Cancel running generations; finished scenes stay stored and the stories can be resumed."""
        self._closing = True
        tasks: list[asyncio.Task[object]] = [*self._runs.values()]
        for jobs in self._scene_jobs.values():
            tasks.extend(jobs)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=SHUTDOWN_WAIT_SECONDS)

    # The run of one story -------------------------------------------------------------------------------------

    async def _run(self, story: Story, providers: Providers, existing: list[Scene]) -> Story:
        task = asyncio.ensure_future(self._pipeline(story, providers, existing))
        self._runs[story.id] = task
        try:
            return await task
        finally:
            if self._runs.get(story.id) is task:
                del self._runs[story.id]
            self._cancelled_by_writer.discard(story.id)

    async def _pipeline(self, story: Story, providers: Providers, existing: list[Scene]) -> Story:
        outcome = _Outcome(story.scene_count, written={scene.index for scene in existing})
        try:
            async with asyncio.TaskGroup() as images:
                for scene in existing:
                    if scene.image_status is not ImageStatus.painted:
                        images.create_task(self._paint(story, scene, providers.image, outcome))
                await self._write(story, providers, existing, images, outcome)
        except asyncio.CancelledError:
            by_writer = story.id in self._cancelled_by_writer
            status, reason = (StoryStatus.cancelled, CANCELLED) if by_writer else (StoryStatus.interrupted, INTERRUPTED)
            finished = await asyncio.shield(self._finish(story, status, reason))
            if not by_writer:
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            return finished
        except Exception as exc:
            log.exception("writing story %s failed", story.id)
            cause: BaseException = exc
            while isinstance(cause, BaseExceptionGroup) and cause.exceptions:
                cause = cause.exceptions[0]  # a TaskGroup's wrapper says nothing; the first real error does
            return await self._finish(story, StoryStatus.failed, f"Something went wrong while writing: {cause}")
        finally:
            await providers.aclose()
        return await self._finish(story, *self._verdict(outcome))

    async def _write(
        self,
        story: Story,
        providers: Providers,
        existing: list[Scene],
        images: asyncio.TaskGroup,
        outcome: _Outcome,
    ) -> None:
        start = outcome.first_missing()
        if start is None:
            return
        request = _text_request(
            story, start=start, earlier=tuple(_draft(scene) for scene in existing if scene.index < start)
        )
        self.story_progress.emit(story.id, f"Writing scene {start + 1} of {story.scene_count}…")
        try:
            async with aclosing(providers.text.stream_scenes(request)) as events:
                async for event in events:
                    if isinstance(event, SceneStreaming):
                        if start <= event.index < story.scene_count:
                            self.scene_text.emit(story.id, event.index, event.text_so_far)
                        continue
                    if not start <= event.index < story.scene_count:
                        continue  # a model that wrote more than it was asked: the extra scenes are dropped
                    scene = await self._keep_scene(story, event.index, event.scene)
                    outcome.written.add(scene.index)
                    images.create_task(self._paint(story, scene, providers.image, outcome))
                    following = outcome.first_missing()
                    if following is not None:
                        self.story_progress.emit(story.id, f"Writing scene {following + 1} of {story.scene_count}…")
        except ProviderError as exc:
            outcome.text_error = exc.message
            outcome.scene_rejected = isinstance(exc, SceneRejected)
            self.story_progress.emit(story.id, f"Writing stopped: {exc.message}")

    async def _keep_scene(self, story: Story, index: int, draft: SceneDraft) -> Scene:
        scene = Scene.create(story.id, index, draft.title or f"Scene {index + 1}", draft.text, draft.image_prompt)
        stored = await self._scenes.save(scene, maker=story.text_provider)
        self.scene_text.emit(story.id, index, stored.text)
        self.scene_saved.emit(stored)
        self.story_progress.emit(story.id, f"Scene {stored.number} written: {stored.title}")
        return stored

    async def _paint(self, story: Story, scene: Scene, provider: ImageProvider, outcome: _Outcome) -> None:
        _, problem = await self._painter.paint(story, scene, provider)
        if problem:
            outcome.image_problems[scene.index] = problem

    def _verdict(self, outcome: _Outcome) -> tuple[StoryStatus, str]:
        written = len(outcome.written)
        if not written:
            reason = outcome.text_error or "The text service wrote no scenes."
            return StoryStatus.failed, reason if outcome.scene_rejected else f"No scene could be written: {reason}"
        problems = []
        if written < outcome.scene_count:
            if outcome.scene_rejected:
                problems.append(outcome.text_error)
            elif outcome.text_error:
                problems.append(
                    f"Writing stopped after {written} of {outcome.scene_count} scenes: {outcome.text_error}"
                )
            else:
                problems.append(f"The text service wrote only {written} of {outcome.scene_count} scenes.")
        failed = sorted(outcome.image_problems)
        if len(failed) == 1:
            problems.append(outcome.image_problems[failed[0]].removesuffix(".") + ".")
        elif failed:
            first = outcome.image_problems[failed[0]]
            problems.append(f"The images of scenes {_scene_list([i + 1 for i in failed])} failed (the first: {first})")
        if not problems:
            return StoryStatus.complete, ""
        return StoryStatus.partial, " ".join(problems) + " Press Resume to finish it."

    async def _finish(self, story: Story, status: StoryStatus, reason: str) -> Story:
        finished = await self._stories.set_status(story.id, status, reason)
        if finished is None:
            raise StoryError("The story was deleted while it was being written.")
        self.story_changed.emit(finished)
        self.story_progress.emit(story.id, f"Finished: {status.value}" + (f" — {reason}" if reason else ""))
        return finished

    # One scene at a time ---------------------------------------------------------------------------------------

    async def _scene_job(self, story: Story, work: Coroutine[Any, Any, _Done]) -> _Done:
        task = asyncio.ensure_future(work)
        jobs = self._scene_jobs.setdefault(story.id, set())
        jobs.add(task)
        try:
            return await task
        finally:
            jobs.discard(task)
            if not jobs:
                self._scene_jobs.pop(story.id, None)
                self._cancelled_by_writer.discard(story.id)

    async def _rewrite(self, story: Story, scene: Scene) -> Scene:
        others = await self._scenes.for_story(story.id)
        request = _text_request(
            story,
            start=scene.index,
            stop=scene.index + 1,
            variant=random.randrange(1, 2**31),
            earlier=tuple(_draft(other) for other in others if other.index < scene.index),
            later=tuple(_draft(other) for other in others if other.index > scene.index),
            replacing=_draft(scene) if scene.text else None,
        )
        providers = self._providers_for(story, _Relay(self.story_progress.emit, story.id))
        try:
            async with aclosing(providers.text.stream_scenes(request)) as events:
                async for event in events:
                    if isinstance(event, SceneStreaming):
                        self.scene_text.emit(story.id, scene.index, event.text_so_far)
                        continue
                    draft = event.scene
                    title = draft.title or scene.title
                    try:
                        # Only over the version it was written from: an edit saved meanwhile on another device is
                        # not replaced unasked; the writer chooses, as with their own edit.
                        updated = await self._scenes.replace_text(
                            scene.id,
                            title,
                            draft.text,
                            draft.image_prompt,
                            revision=scene.revision,
                            maker=providers.text.label,
                        )
                    except StaleRevision as stale:
                        self.scene_saved.emit(stale.current)
                        raise EditConflict(stale.current, title, draft.text, scene.revision) from None
                    self.scene_text.emit(story.id, scene.index, updated.text)
                    self.scene_saved.emit(updated)
                    return updated
        except asyncio.CancelledError:
            self.scene_saved.emit(scene)  # the streamed text on screen goes back to the stored one
            raise
        except ProviderError:
            self.scene_saved.emit(scene)
            raise
        finally:
            await providers.aclose()
        self.scene_saved.emit(scene)
        raise ProviderError("The text service wrote nothing for this scene — try again.", retryable=True)

    async def _repaint(self, story: Story, scene: Scene, *, seed: int | None = None) -> Scene:
        providers = self._providers_for(story, _Relay(self.story_progress.emit, story.id))
        try:
            painted, _ = await self._painter.paint(
                story, scene, providers.image, seed=new_seed() if seed is None else seed
            )
        finally:
            await providers.aclose()
        if story.status is StoryStatus.partial:
            await self._settle(story)
        return painted

    async def _candidates(self, story: Story, scene: Scene, count: int) -> list[SceneVersion]:
        providers = self._providers_for(story, _Relay(self.story_progress.emit, story.id))
        self.story_progress.emit(story.id, f"Painting {count} pictures for scene {scene.number}…")
        try:
            outcomes = await asyncio.gather(
                *(self._painter.paint_candidate(story, scene, providers.image, new_seed()) for _ in range(count)),
                return_exceptions=True,
            )
        finally:
            await providers.aclose()
        painted: list[SceneVersion] = []
        failures: list[ProviderError | ImageFolderError] = []
        for outcome in outcomes:
            if isinstance(outcome, ProviderError | ImageFolderError):
                failures.append(outcome)  # said in one line; the other candidates are still offered
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                painted.append(outcome)
        if not painted:
            raise failures[0]
        missing = f" ({len(failures)} could not be painted: {failures[0]})" if failures else ""
        self.story_progress.emit(story.id, f"{len(painted)} pictures for scene {scene.number} to choose from{missing}.")
        return painted

    async def _settle(self, story: Story) -> None:
        """A partial story whose every scene is now written and painted becomes complete."""
        scenes = await self._scenes.for_story(story.id)
        whole = len(scenes) == story.scene_count and all(s.image_status is ImageStatus.painted for s in scenes)
        if whole:
            await self._finish(story, StoryStatus.complete, "")

    # Look-ups and guards -----------------------------------------------------------------------------------------

    async def _story(self, story_id: uuid.UUID) -> Story:
        story = await self._stories.get(story_id)
        if story is None:
            raise StoryError("That story no longer exists.")
        if story.deleted_at is not None:
            raise StoryError("That story is in the trash — restore it first.")
        return story

    async def _scene(self, scene_id: uuid.UUID) -> Scene:
        scene = await self._scenes.get(scene_id)
        if scene is None:
            raise StoryError("That scene no longer exists.")
        if scene.deleted_at is not None:
            raise StoryError("That scene is in the trash — restore it first.")
        return scene

    def _check_open(self) -> None:
        if self._closing:
            raise StoryError("Storyforge is closing; nothing new is started.")

    def _check_idle(self, story: Story, *, allow_scene_jobs: bool = False) -> None:
        busy = story.id in self._runs or (not allow_scene_jobs and bool(self._scene_jobs.get(story.id)))
        if busy or story.status is StoryStatus.generating:
            raise StoryBusy("This story is still being written — wait for it to finish, or cancel it first.")
