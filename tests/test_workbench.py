"""The writer's workbench through its services, as the window and the CLI use them: versions and History restore,
undo and redo that outlive a restart, scenes inserted, moved and deleted with their images still uploaded, a story
continued, and the trash — restore, empty, the 30-day purge, and storage removals that wait for a storage that
works.

Real Postgres, the real UploadManager and supabase-py against the loopback Storage server, the offline providers.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr

from desktop.config import Settings
from desktop.models import ImageStatus, Scene, StoryRequest, UploadStatus, VersionMaker, utc_now
from desktop.services.story_errors import StoryError
from tests.support.openai_server import FakeOpenAIServer
from tests.support.storage_fixtures import BUCKET, supabase_settings_for
from tests.support.storage_server import StorageServer
from tests.support.workbench_fixtures import MakeWorkbench, Workbench

from .conftest import Run

REQUEST = StoryRequest(
    title="The Salt Road", prompt="Two sisters cross the salt flats to sell a lantern.", scene_count=3
)


@pytest.fixture
def settings(storage_server: StorageServer, tmp_path: Path) -> Settings:
    return supabase_settings_for(storage_server, tmp_path / "data")


def written(bench: Workbench, run: Run, request: StoryRequest = REQUEST) -> list[Scene]:
    story = run(bench.stories.generate(request), timeout=60)
    run(bench.uploads.wait_settled(story.id))
    opened = run(bench.stories.open(story.id))
    assert opened is not None
    return opened.scenes


def texts(bench: Workbench, run: Run, story_id: uuid.UUID) -> list[str]:
    opened = run(bench.stories.open(story_id))
    return [scene.text for scene in opened.scenes] if opened else []


def quit_app(bench: Workbench, run: Run) -> None:
    run(bench.stories.shutdown())
    run(bench.uploads.shutdown())


def test_every_change_is_a_version_and_a_restore_is_a_new_one(
    make_workbench: MakeWorkbench, settings: Settings, run: Run
) -> None:
    bench = make_workbench(settings)
    first = written(bench, run)[0]
    run(bench.stories.edit_scene(first.id, first.title, "The writer's own opening line."))
    run(bench.stories.regenerate_text(first.id), timeout=60)
    run(bench.stories.regenerate_image(first.id), timeout=60)

    history = run(bench.history.versions(first.id))
    made = [version.what_made_it for version in history.versions]
    assert made == [
        "painted by the offline generator",
        "written by the offline generator",
        "edited",
        "painted by the offline generator",
        "written by the offline generator",
    ]
    assert history.current is not None and history.current.number == 5
    edited = history.versions[2]
    assert edited.text == "The writer's own opening line."

    restored = run(bench.history.restore(edited.id))
    assert restored.text == "The writer's own opening line."
    newest = run(bench.history.versions(first.id)).versions[0]
    assert newest.number == 6 and newest.made_by is VersionMaker.restored
    assert newest.what_made_it == "restored from version 3" and newest.id == restored.version_id
    # The restored version had the first painting: the scene shows it again.
    assert restored.image_path == history.versions[3].image_path and Path(restored.image_path).is_file()


def test_undo_and_redo_walk_the_writers_changes_and_outlive_a_restart(
    make_workbench: MakeWorkbench, settings: Settings, run: Run
) -> None:
    bench = make_workbench(settings)
    scene = written(bench, run)[1]
    original = scene.text
    run(bench.stories.edit_scene(scene.id, scene.title, "Edited by hand."))
    rewritten = run(bench.stories.regenerate_text(scene.id), timeout=60)
    assert run(bench.history.state(scene.story_id)).undo == "Undo change to a scene"

    assert run(bench.history.undo(scene.story_id)) == "Undid change to a scene."
    assert texts(bench, run, scene.story_id)[1] == "Edited by hand."
    run(bench.history.undo(scene.story_id))
    assert texts(bench, run, scene.story_id)[1] == original
    assert run(bench.history.undo(scene.story_id)) == ""  # generating the story is not an undoable change

    quit_app(bench, run)
    again = make_workbench(settings)
    state = run(again.history.state(scene.story_id))
    assert state.undo is None and state.redo == "Redo change to a scene"
    run(again.history.redo(scene.story_id))
    assert texts(again, run, scene.story_id)[1] == "Edited by hand."
    run(again.history.redo(scene.story_id))
    assert texts(again, run, scene.story_id)[1] == rewritten.text

    # A new change drops what could be redone.
    run(again.history.undo(scene.story_id))
    run(again.stories.rename(scene.story_id, "The Long Salt Road"))
    assert run(again.history.state(scene.story_id)).redo is None
    run(again.history.undo(scene.story_id))
    assert run(again.stories.story(scene.story_id)).title == "The Salt Road"


def test_undo_refuses_a_change_another_device_has_moved_on_from(
    make_workbench: MakeWorkbench, settings: Settings, pool: asyncpg.Pool, run: Run
) -> None:
    bench = make_workbench(settings)
    scene = written(bench, run)[0]
    run(bench.stories.edit_scene(scene.id, scene.title, "Mine."))
    elsewhere = make_workbench(settings)  # another window on the same database, writing without this one's undo
    run(elsewhere.stories.edit_scene(scene.id, scene.title, "Theirs, later."))
    run(pool.execute("DELETE FROM story_changes WHERE number = (SELECT max(number) FROM story_changes)"))

    with pytest.raises(StoryError, match="can't be undone any more: the scene was changed since"):
        run(bench.history.undo(scene.story_id))
    assert texts(bench, run, scene.story_id)[0] == "Theirs, later."
    assert run(bench.history.state(scene.story_id)).undo is None


def test_scenes_inserted_moved_and_deleted_keep_their_order_and_uploads_after_a_restart(
    make_workbench: MakeWorkbench, settings: Settings, storage_server: StorageServer, run: Run
) -> None:
    bench = make_workbench(settings)
    scenes = written(bench, run)
    story_id = scenes[0].story_id
    objects_before = set(storage_server.object_keys(BUCKET))

    blank = run(bench.order.insert(story_id, 1, written=False))
    assert blank.index == 1 and blank.text == "" and blank.title == "New scene"
    run(bench.stories.edit_scene(blank.id, "The well", "They drink at the last well before the flats."))
    inserted = run(bench.order.insert(story_id, 0, written=True), timeout=60)
    assert inserted.index == 0 and inserted.text and inserted.image_status is ImageStatus.painted
    run(bench.order.move(scenes[2].id, 0))
    run(bench.order.delete(scenes[1].id))
    run(bench.uploads.wait_settled(story_id))

    expected = [scenes[2].id, inserted.id, scenes[0].id, blank.id]
    quit_app(bench, run)
    again = make_workbench(settings)
    opened = run(again.stories.open(story_id))
    assert [scene.id for scene in opened.scenes] == expected
    assert [scene.index for scene in opened.scenes] == [0, 1, 2, 3] and opened.story.scene_count == 4
    uploads = {upload.scene_id: upload for upload in run(again.uploads.uploads(story_id=story_id))}
    for scene in opened.scenes:
        if scene.image_path:
            assert uploads[scene.id].status is UploadStatus.uploaded and uploads[scene.id].scene_index == scene.index
    # A move never uploads again: the moved scenes' objects are the ones stored before, named by scene id.
    assert uploads[scenes[2].id].object_path in objects_before
    assert uploads[scenes[0].id].object_path in objects_before

    # Undo brings the deleted scene back to its place (the last), then undoes the move.
    def order() -> list[uuid.UUID]:
        return [scene.id for scene in run(again.stories.open(story_id)).scenes]

    run(again.history.undo(story_id))
    assert order() == [scenes[2].id, inserted.id, scenes[0].id, blank.id, scenes[1].id]
    run(again.history.undo(story_id))
    assert order() == [inserted.id, scenes[0].id, blank.id, scenes[1].id, scenes[2].id]


def test_a_story_keeps_at_least_one_scene(make_workbench: MakeWorkbench, settings: Settings, run: Run) -> None:
    bench = make_workbench(settings)
    [only] = written(bench, run, REQUEST.model_copy(update={"scene_count": 1}))
    with pytest.raises(StoryError, match="at least one scene"):
        run(bench.order.delete(only.id))


def test_continue_the_story_writes_and_paints_more_scenes_after_the_last(
    make_workbench: MakeWorkbench, settings: Settings, run: Run
) -> None:
    bench = make_workbench(settings)
    scenes = written(bench, run)
    story = run(bench.stories.continue_story(scenes[0].story_id, 2), timeout=60)
    assert story.scene_count == 5 and story.status.value == "complete"
    opened = run(bench.stories.open(story.id))
    assert [scene.id for scene in opened.scenes][:3] == [scene.id for scene in scenes]
    assert len(opened.scenes) == 5 and all(scene.image_status is ImageStatus.painted for scene in opened.scenes)
    with pytest.raises(StoryError, match="at most 50 scenes; this one can take 45 more"):
        run(bench.stories.continue_story(story.id, 46))


def test_a_deleted_story_waits_in_the_trash_and_comes_back(
    make_workbench: MakeWorkbench, settings: Settings, run: Run
) -> None:
    bench = make_workbench(settings)
    story_id = written(bench, run)[0].story_id
    run(bench.trash.delete_story(story_id))
    assert story_id not in [row.id for row in run(bench.stories.library_page("", 100, 0))]
    assert run(bench.stories.open(story_id)) is None
    contents = run(bench.trash.contents())
    assert [(story.id, story.title, story.scenes) for story in contents.stories] == [(story_id, "The Salt Road", 3)]

    run(bench.trash.restore_story(story_id))
    assert story_id in [row.id for row in run(bench.stories.library_page("", 100, 0))]
    assert run(bench.trash.contents()).empty


def test_emptying_the_trash_removes_images_here_and_in_storage_even_when_storage_is_down_until_a_restart(
    make_workbench: MakeWorkbench, settings: Settings, storage_server: StorageServer, pool: asyncpg.Pool, run: Run
) -> None:
    bench = make_workbench(settings)
    scenes = written(bench, run)
    story_id = scenes[0].story_id
    run(bench.stories.regenerate_image(scenes[0].id), timeout=60)  # an earlier image, kept for the History
    run(bench.uploads.wait_settled(story_id))
    files = [
        row["image_path"] for row in run(pool.fetch("SELECT image_path FROM scene_versions WHERE image_path <> ''"))
    ]
    assert len(set(files)) == 4 and len(storage_server.object_keys(BUCKET)) == 4

    run(bench.trash.delete_story(story_id))
    good_key, storage_server.key = storage_server.key, "a.key.that-expired"
    purged = run(bench.trash.empty())
    assert (purged.stories, purged.scenes) == (1, 0)
    assert not any(Path(file).exists() for file in files)
    assert run(bench.stories.open(story_id)) is None and run(bench.trash.contents()).empty

    def waiting() -> list[str]:
        return [row["error_message"] for row in run(pool.fetch("SELECT error_message FROM storage_removals"))]

    run(bench.removals.wait_idle())
    assert len(waiting()) == 4 and "key" in waiting()[0]
    assert len(storage_server.object_keys(BUCKET)) == 4  # not removed yet, and not forgotten either
    quit_app(bench, run)

    storage_server.key = good_key
    again = make_workbench(settings)
    run(again.trash.purge_expired())  # at start: nothing new is purged…
    run(again.removals.start())  # …and what waits is removed
    run(again.removals.wait_idle())
    assert waiting() == [] and not storage_server.object_keys(BUCKET)


def test_what_has_been_in_the_trash_for_30_days_is_purged_at_start(
    make_workbench: MakeWorkbench, settings: Settings, pool: asyncpg.Pool, run: Run
) -> None:
    bench = make_workbench(settings)
    old = written(bench, run)
    recent = written(bench, run, REQUEST.model_copy(update={"title": "The Salt Road, again"}))
    run(bench.trash.delete_story(old[0].story_id))
    run(bench.trash.delete_scene(recent[2].id))
    run(
        pool.execute(
            "UPDATE stories SET deleted_at = $1 WHERE id = $2", utc_now() - timedelta(days=31), old[0].story_id
        )
    )

    purged = run(bench.trash.purge_expired())
    assert (purged.stories, purged.scenes) == (1, 0)
    contents = run(bench.trash.contents())
    assert contents.stories == [] and [scene.id for scene in contents.scenes] == [recent[2].id]
    assert not Path(old[0].image_path).exists() and Path(recent[2].image_path).exists()

    restored = run(bench.trash.restore_scene(recent[2].id))
    assert restored.index == 2 and run(bench.stories.story(recent[0].story_id)).scene_count == 3


def test_a_scene_deleted_in_another_window_leaves_this_ones_story_in_order(
    make_workbench: MakeWorkbench, settings: Settings, qtbot: object, run: Run
) -> None:
    here = make_workbench(settings)
    scenes = written(here, run)
    elsewhere = make_workbench(settings)
    run(elsewhere.order.delete(scenes[0].id))
    saved: list[Scene] = []
    arranged: list[list[Scene]] = []
    here.stories.scene_saved.connect(saved.append)
    here.stories.scenes_arranged.connect(lambda _story, order: arranged.append(order))

    # What live refresh does with the announcement of the deleted scene and the two that moved up.
    run(here.stories.show_changes_from_elsewhere(set(), {scene.id for scene in scenes}))
    assert scenes[0].id not in [scene.id for scene in saved]
    assert [[(scene.id, scene.index) for scene in order] for order in arranged] == [
        [(scenes[1].id, 0), (scenes[2].id, 1)]
    ]


def test_a_scene_inserted_between_two_is_written_from_both_neighbours(
    make_workbench: MakeWorkbench,
    storage_server: StorageServer,
    openai_server: FakeOpenAIServer,
    tmp_path: Path,
    run: Run,
) -> None:
    settings = supabase_settings_for(
        storage_server,
        tmp_path / "data",
        text_provider="openai",
        openai_base_url=openai_server.base_url,
        openai_model="story-model",
        openai_api_key=SecretStr(openai_server.api_key),
    )
    bench = make_workbench(settings)
    scenes = written(bench, run)
    inserted = run(bench.order.insert(scenes[0].story_id, 1, written=True), timeout=60)

    asked = openai_server.chat_bodies()[-1]["messages"][-1]["content"]
    assert f"Scene 1: {scenes[0].title}" in asked and f"Scene 3: {scenes[1].title}" in asked
    assert "Scene 2 is new: it leads from the scene before it to the one after it." in asked
    assert "Write scene 2 only" in asked and "new, different version" not in asked
    assert inserted.index == 1 and inserted.text and inserted.image_status is ImageStatus.painted
    painted, wrote, blank = run(bench.history.versions(inserted.id)).versions
    assert (painted.what_made_it, blank.what_made_it) == ("painted by the offline generator", "inserted blank")
    assert wrote.what_made_it.startswith("written by OpenAI-compatible: story-model")
