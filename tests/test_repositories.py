from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import pytest

from desktop.db.migrate import available_migrations, migrate
from desktop.db.repositories import SceneRepository, StoryRepository
from desktop.models import ImageStatus, Scene, Story, StoryRequest, StoryStatus

from .conftest import Run

WRITER = uuid.uuid4()


def new_story(title: str = "The Salt Road", prompt: str = "A courier crosses the desert.", **fields: object) -> Story:
    extra = {key: fields.pop(key) for key in ("style", "characters") if key in fields}
    request = StoryRequest(title=title, prompt=prompt, scene_count=3, **extra)
    return Story.create(request, user_id=WRITER, **fields)


def test_migrations_apply_once_and_again_changes_nothing(pool: asyncpg.Pool, run: Run) -> None:
    async def migrate_twice() -> tuple[list[str], int]:
        async with pool.acquire() as conn:
            again = await migrate(conn)
            count = await conn.fetchval("SELECT count(*) FROM schema_migrations")
        return again, count

    again, count = run(migrate_twice())
    assert again == []
    assert count == len(available_migrations()) >= 2


def test_story_round_trip_keeps_every_field(stories: StoryRepository, run: Run) -> None:
    story = new_story(style="woodcut", characters="Ama, a courier")
    run(stories.create(story))
    found = run(stories.get(story.id))
    assert found == story
    assert run(stories.get(uuid.uuid4())) is None


def test_status_change_moves_updated_at(stories: StoryRepository, run: Run) -> None:
    story = run(stories.create(new_story()))
    changed = run(stories.set_status(story.id, StoryStatus.partial, "scene 2's image failed"))
    assert changed.status is StoryStatus.partial and changed.error == "scene 2's image failed"
    assert changed.updated_at >= story.updated_at and changed.created_at == story.created_at


def test_deleting_a_story_deletes_its_scenes(stories: StoryRepository, scenes: SceneRepository, run: Run) -> None:
    story = run(stories.create(new_story()))
    run(scenes.save_many([Scene.create(story.id, i, f"Scene {i}", "Text.") for i in range(3)]))
    assert len(run(scenes.for_story(story.id))) == 3
    assert run(stories.delete(story.id))
    assert run(scenes.for_story(story.id)) == []


def test_scenes_saved_together_or_not_at_all(stories: StoryRepository, scenes: SceneRepository, run: Run) -> None:
    story = run(stories.create(new_story()))
    good = Scene.create(story.id, 0, "Arrival", "The gate opens.")
    bad = Scene.create(uuid.uuid4(), 1, "Orphan", "No story owns me.")
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        run(scenes.save_many([good, bad]))
    assert run(scenes.for_story(story.id)) == []


def test_scene_edits_and_images_are_kept(stories: StoryRepository, scenes: SceneRepository, run: Run) -> None:
    story = run(stories.create(new_story()))
    scene = run(scenes.save(Scene.create(story.id, 0, "Arrival", "The gate opens.")))
    edited = run(scenes.update_text(scene.id, "Arrival at dusk", "The gate opens at dusk."))
    painted = run(scenes.set_image(scene.id, ImageStatus.painted, path="/images/a.png"))
    assert edited.text == "The gate opens at dusk." and painted.image_path == "/images/a.png"
    assert run(scenes.for_story(story.id))[0].title == "Arrival at dusk"


def test_library_lists_newest_first_in_pages(stories: StoryRepository, run: Run) -> None:
    base = new_story()
    made = []
    for number in range(25):
        when = base.created_at + timedelta(minutes=number)
        made.append(
            run(
                stories.create(
                    new_story(title=f"Story {number:02d}").model_copy(update={"created_at": when, "updated_at": when})
                )
            )
        )
    first = run(stories.list(limit=10))
    second = run(stories.list(limit=10, offset=10))
    assert [s.title for s in first] == [f"Story {n:02d}" for n in range(24, 14, -1)]
    assert [s.title for s in second] == [f"Story {n:02d}" for n in range(14, 4, -1)]
    assert run(stories.count()) == 25


def test_search_matches_word_prefixes_in_title_and_prompt(stories: StoryRepository, run: Run) -> None:
    run(stories.create(new_story(title="The Lighthouse Keeper", prompt="Storms and a lost map.")))
    run(stories.create(new_story(title="Desert Courier", prompt="A lighthouse in the sand?")))
    run(stories.create(new_story(title="Orchard", prompt="Apples, bees and an old feud.")))
    assert {s.title for s in run(stories.list("light"))} == {"The Lighthouse Keeper", "Desert Courier"}
    assert [s.title for s in run(stories.list("orch bee"))] == ["Orchard"]
    assert run(stories.list("zeppelin")) == []
    assert len(run(stories.list("'); DROP TABLE stories; --"))) == 0
    assert run(stories.count()) == 3


def test_search_uses_the_index_at_ten_thousand_stories(pool: asyncpg.Pool, stories: StoryRepository, run: Run) -> None:
    async def fill() -> str:
        await pool.execute(
            """INSERT INTO stories (id, user_id, title, prompt, scene_count, status)
               SELECT gen_random_uuid(), $1, 'Story ' || n, 'prompt number ' || n, 3, 'complete'
               FROM generate_series(1, 10000) AS n""",
            WRITER,
        )
        await pool.execute("ANALYZE stories")
        async with pool.acquire() as conn, conn.transaction():
            # At 10,000 short rows the planner may rightly prefer a scan; this proves the index serves the query.
            await conn.execute("SET LOCAL enable_seqscan = off")
            plan = await conn.fetch(
                "EXPLAIN SELECT id FROM stories s WHERE s.search @@ to_tsquery('simple', $1)", "4242:*"
            )
        return "\n".join(row[0] for row in plan)

    plan = run(fill())
    assert "stories_search" in plan
    assert [s.title for s in run(stories.list("4242"))] == ["Story 4242"]


def test_interrupted_stories_are_found_at_start_up(stories: StoryRepository, pool: asyncpg.Pool, run: Run) -> None:
    running = run(stories.create(new_story()))
    done = run(stories.create(new_story(status=StoryStatus.complete)))
    run(pool.execute("UPDATE stories SET writer = 'storyforge-4242-deadbeef'"))  # written by a process that died
    assert run(stories.mark_interrupted()) == [running.id]
    assert run(stories.get(running.id)).status is StoryStatus.interrupted
    assert run(stories.get(done.id)).status is StoryStatus.complete


def test_a_story_another_running_process_writes_is_not_taken_as_interrupted(
    stories: StoryRepository, database_url: str, run: Run
) -> None:
    async def written_by_another_process() -> Story:
        other = await asyncpg.connect(database_url, server_settings={"application_name": "storyforge-7-0badf00d"})
        story = new_story()
        await other.execute(
            "INSERT INTO stories (id, user_id, title, prompt, scene_count, status) VALUES ($1, $2, $3, $4, 3, $5)",
            story.id, story.user_id, story.title, story.prompt, "generating",
        )  # fmt: skip
        found = await stories.mark_interrupted()
        await other.close()
        assert found == []
        assert (await stories.get(story.id)).status is StoryStatus.generating  # type: ignore[union-attr]
        return story

    story = run(written_by_another_process())
    # That process has gone (its connection closed): now the story is an interrupted one.
    assert run(stories.mark_interrupted()) == [story.id]
