"""The writer arranges a story's scenes: insert one (written by the text provider, or blank to write by hand),
move one, delete one to the trash and restore it. Each is one undoable change, announced on the story service's
`scenes_arranged` with the story's scenes in their new order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from desktop.db.repositories import SceneLimit, SceneOrderRepository, SceneRepository
from desktop.models import ChangeKind, Scene
from desktop.services.story_errors import StoryError
from desktop.services.story_service import StoryService

NEW_SCENE_TITLE = "New scene"


class SceneOrder:
    def __init__(self, stories: StoryService, order: SceneOrderRepository, scenes: SceneRepository) -> None:
        self._stories = stories
        self._order = order
        self._scenes = scenes

    async def insert(self, story_id: uuid.UUID, place: int, *, written: bool) -> Scene:
        """A new scene at `place` (0: before the first). `written`: the text provider writes it from its neighbours
        and the story, and it is painted; otherwise it stays blank for the writer. Returns the scene as it ends."""
        await self._stories.check_can_arrange(story_id)
        try:
            # Not "Scene N": a number in the title would go wrong at the scene's first move.
            blank = await self._order.insert_blank(story_id, place, NEW_SCENE_TITLE)
        except SceneLimit as exc:
            raise StoryError(str(exc)) from None
        await self._arranged(story_id)
        await self._stories.record_change(story_id, ChangeKind.insert_scene, {}, {}, scene_id=blank.id)
        if not written:
            return blank
        return await self._stories.write_blank_scene(blank.id)

    async def move(self, scene_id: uuid.UUID, place: int) -> list[Scene]:
        """The scene goes to `place` (clamped to the story); the others keep their order."""
        scene = await self._live(scene_id)
        await self._stories.check_can_arrange(scene.story_id)
        before = [other.id for other in await self._scenes.for_story(scene.story_id)]
        after = [other for other in before if other != scene_id]
        after.insert(max(0, min(place, len(after))), scene_id)
        if after == before:
            return await self._scenes.for_story(scene.story_id)
        arranged = await self.put_in_order(scene.story_id, after)
        await self._stories.record_change(
            scene.story_id, ChangeKind.move, {"order": [str(i) for i in before]}, {"order": [str(i) for i in after]}
        )
        return arranged

    async def delete(self, scene_id: uuid.UUID) -> Scene:
        """To the trash; the scenes after it move up one."""
        scene = await self._live(scene_id)
        await self._stories.check_can_arrange(scene.story_id)
        deleted = await self.take_out(scene_id)
        await self._stories.record_change(scene.story_id, ChangeKind.delete_scene, {}, {}, scene_id=scene_id)
        return deleted

    async def restore(self, scene_id: uuid.UUID) -> Scene:
        """Back from the trash to its place."""
        scene = await self._scenes.get(scene_id)
        if scene is None:
            raise StoryError("That scene is gone for good.")
        await self._stories.check_can_arrange(scene.story_id)
        return await self.put_back(scene_id)

    # The moves themselves, without an undo entry: Undo and Redo use them too -----------------------------------

    async def put_in_order(self, story_id: uuid.UUID, order: Sequence[uuid.UUID]) -> list[Scene]:
        try:
            arranged = await self._order.move(story_id, order)
        except LookupError:
            raise StoryError("The story's scenes changed meanwhile — try again.") from None
        self._stories.scenes_arranged.emit(story_id, arranged)
        return arranged

    async def take_out(self, scene_id: uuid.UUID) -> Scene:
        try:
            deleted = await self._order.delete(scene_id)
        except SceneLimit:
            raise StoryError("A story keeps at least one scene — delete the story instead.") from None
        except LookupError:
            raise StoryError("That scene is not in its story any more.") from None
        await self._arranged(deleted.story_id)
        return deleted

    async def put_back(self, scene_id: uuid.UUID) -> Scene:
        try:
            restored = await self._order.restore(scene_id)
        except SceneLimit as exc:
            raise StoryError(f"{exc} Delete a scene first, then restore this one.") from None
        except LookupError:
            raise StoryError("That scene is not in the trash.") from None
        await self._arranged(restored.story_id)
        return restored

    async def _arranged(self, story_id: uuid.UUID) -> None:
        self._stories.scenes_arranged.emit(story_id, await self._scenes.for_story(story_id))
        await self._stories.announce_story(story_id)  # its scene count changed

    async def _live(self, scene_id: uuid.UUID) -> Scene:
        scene = await self._scenes.get(scene_id)
        if scene is None or scene.deleted_at is not None:
            raise StoryError("That scene is not in its story any more.")
        return scene
