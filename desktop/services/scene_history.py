"""A scene's versions and a story's undo history.

Every change to a scene's words or picture is a version (migration 011). The History view lists them and restores
one (a restore is itself a new version). Undo and Redo walk the story's changes: a scene's change by pointing the
scene at the version it showed before (or after); an insert, a delete, a move and a rename by doing the opposite.
The changes are in the database, so both still work after a restart.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from desktop.db.repositories import SceneRepository, UndoLogRepository
from desktop.models import ChangeKind, Scene, SceneVersion, StoryChange, VersionMaker
from desktop.services.scene_images import ImageUploads
from desktop.services.scene_order import SceneOrder
from desktop.services.story_errors import StoryError
from desktop.services.story_service import StoryService

log = logging.getLogger(__name__)

_NAMES = {
    ChangeKind.scene: "change to a scene",
    ChangeKind.delete_scene: "delete scene",
    ChangeKind.insert_scene: "insert scene",
    ChangeKind.move: "move scene",
    ChangeKind.rename: "rename",
}


@dataclass(frozen=True)
class SceneVersions:
    scene: Scene
    versions: list[SceneVersion]  # newest first

    @property
    def current(self) -> SceneVersion | None:
        return next((v for v in self.versions if v.id == self.scene.version_id), None)


@dataclass(frozen=True)
class UndoState:
    """What the Edit menu offers: "Undo rename", "Redo move scene"; None where there is nothing."""

    undo: str | None
    redo: str | None


class SceneHistory:
    def __init__(
        self,
        stories: StoryService,
        scenes: SceneRepository,
        undo_log: UndoLogRepository,
        order: SceneOrder,
        uploads: ImageUploads,
    ) -> None:
        self._stories = stories
        self._scenes = scenes
        self._log = undo_log
        self._order = order
        self._uploads = uploads

    # The History view --------------------------------------------------------------------------------------------

    async def versions(self, scene_id: uuid.UUID) -> SceneVersions:
        scene = await self._scenes.get(scene_id)
        if scene is None:
            raise StoryError("That scene no longer exists.")
        return SceneVersions(scene, await self._scenes.versions(scene_id))

    async def pick(self, version_id: uuid.UUID) -> Scene:
        """The candidate picture the writer chose ("More images"), shown as a new version and uploaded; the other
        candidates stay in the History. Undoable like any change."""
        return await self.restore(version_id, made_by=VersionMaker.picked)

    async def restore(self, version_id: uuid.UUID, *, made_by: VersionMaker = VersionMaker.restored) -> Scene:
        """The scene as `version` had it, as a new version (undoable like any change)."""
        version = await self._scenes.version(version_id)
        if version is None:
            raise StoryError("That version no longer exists.")
        before = await self._scenes.get(version.scene_id)
        if before is None or before.deleted_at is not None:
            raise StoryError("That scene is not in its story any more.")
        await self._stories.check_can_arrange(before.story_id)
        restored = await self._show(version, before, as_new=True, made_by=made_by)
        await self._stories.record_change(
            restored.story_id,
            ChangeKind.scene,
            {"version": str(before.version_id)},
            {"version": str(restored.version_id)},
            scene_id=restored.id,
        )
        return restored

    # Undo and redo -----------------------------------------------------------------------------------------------

    async def state(self, story_id: uuid.UUID) -> UndoState:
        undo, redo = await self._log.to_undo(story_id), await self._log.to_redo(story_id)
        return UndoState(f"Undo {_NAMES[undo.kind]}" if undo else None, f"Redo {_NAMES[redo.kind]}" if redo else None)

    async def undo(self, story_id: uuid.UUID) -> str:
        """Put back what the newest change changed; returns what was undone, in words ("" when nothing was)."""
        change = await self._log.to_undo(story_id)
        if change is None:
            return ""
        await self._stories.check_can_arrange(story_id)
        await self._apply(change, undo=True)
        await self._log.set_undone(change.number, True)
        self._stories.undo_changed.emit(story_id)
        return f"Undid {_NAMES[change.kind]}."

    async def redo(self, story_id: uuid.UUID) -> str:
        change = await self._log.to_redo(story_id)
        if change is None:
            return ""
        await self._stories.check_can_arrange(story_id)
        await self._apply(change, undo=False)
        await self._log.set_undone(change.number, False)
        self._stories.undo_changed.emit(story_id)
        return f"Redid {_NAMES[change.kind]}."

    async def _apply(self, change: StoryChange, *, undo: bool) -> None:
        """The change undone (or done again). One that no longer fits what the story is now (another device moved
        on meanwhile) is dropped from the history, with a message, rather than applied over newer work."""
        target, expected = (change.before, change.after) if undo else (change.after, change.before)
        try:
            match change.kind:
                case ChangeKind.scene:
                    await self._show_again(change, uuid.UUID(target["version"]), uuid.UUID(expected["version"]))
                case ChangeKind.rename:
                    await self._stories.rename_without_undo(change.story_id, target["title"])
                case ChangeKind.move:
                    await self._order.put_in_order(change.story_id, [uuid.UUID(i) for i in target["order"]])
                case ChangeKind.delete_scene | ChangeKind.insert_scene:
                    assert change.scene_id is not None
                    takes_out = (change.kind is ChangeKind.delete_scene) != undo
                    if takes_out:
                        await self._order.take_out(change.scene_id)
                    else:
                        await self._order.put_back(change.scene_id)
        except StoryError as exc:
            await self._log.forget(change.number)
            self._stories.undo_changed.emit(change.story_id)
            raise StoryError(f"That can't be undone any more: {exc}") from None

    async def _show_again(self, change: StoryChange, target_id: uuid.UUID, expected_id: uuid.UUID) -> None:
        assert change.scene_id is not None
        scene = await self._scenes.get(change.scene_id)
        version = await self._scenes.version(target_id)
        if scene is None or scene.deleted_at is not None or version is None:
            raise StoryError("the scene is not in the story any more.")
        if scene.version_id != expected_id:
            raise StoryError("the scene was changed since.")
        await self._show(version, scene, as_new=False)

    async def _show(
        self, version: SceneVersion, before: Scene, *, as_new: bool, made_by: VersionMaker = VersionMaker.restored
    ) -> Scene:
        """The scene shows `version`; an image that comes back is uploaded again where it is not stored."""
        shown = await self._scenes.show_version(version, as_new=as_new, made_by=made_by)
        if shown.image_path and shown.image_path != before.image_path:
            await self._upload_again(shown)
        self._stories.scene_saved.emit(shown)
        self._stories.scene_image.emit(shown)
        return shown

    async def _upload_again(self, scene: Scene) -> None:
        story = await self._stories.story(scene.story_id)
        try:
            # The same bytes go to the same object path (named by the scene and the image's hash): an upsert.
            await self._uploads.enqueue_scene_image(story, scene, Path(scene.image_path))
        except (OSError, ValueError) as exc:  # gone from this computer, or no image after all
            log.warning("the image shown again for scene %s cannot be uploaded: %s", scene.id, exc)
