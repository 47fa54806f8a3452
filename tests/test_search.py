"""The library's search as a writer uses it: a word remembered from a scene finds its story, and says which scene."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import pytest

from desktop.db.changes import CHANNEL
from desktop.db.connect import open_pool
from desktop.db.repositories import SceneOrderRepository, SceneRepository, StoryRepository, TrashRepository
from desktop.models import Scene, Story, StoryRequest

from .conftest import Run

WRITER = uuid.uuid4()


def write_story(
    stories: StoryRepository, scenes: SceneRepository, run: Run, title: str, prompt: str, texts: list[str]
) -> Story:
    story = Story.create(StoryRequest(title=title, prompt=prompt, scene_count=len(texts)), user_id=WRITER)
    run(stories.create(story))
    run(scenes.save_many([Scene.create(story.id, i, f"Scene {i + 1}", text) for i, text in enumerate(texts)]))
    return story


@pytest.fixture
def library(stories: StoryRepository, scenes: SceneRepository, run: Run) -> StoryRepository:
    write_story(stories, scenes, run, "The Salt Road", "A courier crosses the desert.",
                ["Dunes at dawn.", "Ysolde sells the courier a lantern.", "A storm; Ysolde again."])  # fmt: skip
    write_story(stories, scenes, run, "Harbour Lights", "A ferry crosses a strait at night.",
                ["The ferry leaves.", "Gulls over the skyreach tower."])  # fmt: skip
    write_story(stories, scenes, run, "Orchard", "Apples, bees and an old feud.", ["Bees.", "Apples."])
    return stories


def test_a_word_only_in_a_scene_finds_its_story_and_says_which_scene(library: StoryRepository, run: Run) -> None:
    found = run(library.list("ysolde"))
    assert [(s.title, s.matched_scene) for s in found] == [("The Salt Road", 1)]
    assert run(library.count("ysolde")) == 1


def test_a_word_in_a_title_finds_the_story_without_a_scene(library: StoryRepository, run: Run) -> None:
    found = run(library.list("harbour"))
    assert [(s.title, s.matched_scene) for s in found] == [("Harbour Lights", None)]


def test_a_story_matched_by_its_title_and_a_scene_names_the_first_matching_scene(
    library: StoryRepository, run: Run
) -> None:
    # "ferry" is in Harbour Lights' prompt and its first scene.
    assert [(s.title, s.matched_scene) for s in run(library.list("ferry"))] == [("Harbour Lights", 0)]


def test_the_last_word_matches_as_a_prefix_while_the_writer_types(library: StoryRepository, run: Run) -> None:
    assert [s.title for s in run(library.list("skyre"))] == ["Harbour Lights"]
    # Every word must be there, in the story or its scenes.
    assert [s.title for s in run(library.list("courier lant"))] == ["The Salt Road"]
    assert run(library.list("courier ferr")) == []


@pytest.mark.parametrize(
    "typed",
    ["'", '"ysolde', "ysolde:", "a & b", "!", "(", "ysolde | orchard", "<->", ":*", "\\", "'); DROP TABLE stories; --"],
)
def test_punctuation_and_query_operators_never_raise(library: StoryRepository, typed: str, run: Run) -> None:
    found = run(library.list(typed))
    assert run(library.count(typed)) == len(found)


def test_a_quoted_name_is_still_found(library: StoryRepository, run: Run) -> None:
    assert [s.title for s in run(library.list('"Ysolde"!'))] == ["The Salt Road"]


def test_no_match_gives_an_empty_page_and_a_count_of_nought(library: StoryRepository, run: Run) -> None:
    assert run(library.list("zeppelin")) == []
    assert run(library.count("zeppelin")) == 0


def test_a_blank_search_shows_every_story(library: StoryRepository, run: Run) -> None:
    assert [s.title for s in run(library.list("   "))] == ["Orchard", "Harbour Lights", "The Salt Road"]
    assert run(library.count("  ")) == 3
    assert all(s.matched_scene is None for s in run(library.list("")))


def test_an_edited_scene_is_found_by_its_new_words(library: StoryRepository, scenes: SceneRepository, run: Run) -> None:
    orchard = next(s for s in run(library.list("orchard")))
    second = run(scenes.for_story(orchard.id))[1]
    run(scenes.update_text(second.id, "Harvest", "Quince jelly for the winter."))
    assert [(s.title, s.matched_scene) for s in run(library.list("quince"))] == [("Orchard", 1)]


def test_search_through_a_transaction_mode_pooler(library: StoryRepository, pooled_url: str, run: Run) -> None:
    # Each call may land on another server session; nothing may rely on a statement prepared on an earlier one.
    pool = run(open_pool(pooled_url))
    try:
        pooled = StoryRepository(pool)
        for _ in range(3):
            assert [(s.title, s.matched_scene) for s in run(pooled.list("ysol"))] == [("The Salt Road", 1)]
            assert run(pooled.count("ysol")) == 1
    finally:
        run(pool.close())


def test_a_scene_in_the_trash_no_longer_finds_its_story_until_it_is_restored(
    library: StoryRepository, scenes: SceneRepository, pool: asyncpg.Pool, run: Run
) -> None:
    salt_road = run(library.list("ysolde"))[0]
    second, third = run(scenes.for_story(salt_road.id))[1:]
    order = SceneOrderRepository(pool)
    run(order.delete(second.id))
    # "Ysolde" is still in the third scene, now the second.
    assert [(s.title, s.matched_scene) for s in run(library.list("ysolde"))] == [("The Salt Road", 1)]
    run(order.delete(third.id))
    assert run(library.list("ysolde")) == []
    assert run(library.count("ysolde")) == 0
    run(order.restore(second.id))
    assert [(s.title, s.matched_scene) for s in run(library.list("ysolde"))] == [("The Salt Road", 1)]
    assert run(library.count("ysolde")) == 1


def test_the_words_may_come_from_the_title_and_different_scenes(library: StoryRepository, run: Run) -> None:
    # No one scene holds both words, so none is named: the story opens at its top.
    assert [(s.title, s.matched_scene) for s in run(library.list("harbour gulls"))] == [("Harbour Lights", None)]
    assert [(s.title, s.matched_scene) for s in run(library.list("dunes storm"))] == [("The Salt Road", None)]
    assert run(library.count("harbour gulls")) == 1


def test_a_renamed_story_is_found_by_its_new_title_only(library: StoryRepository, run: Run) -> None:
    orchard = run(library.list("orchard"))[0]
    run(library.rename(orchard.id, "Quince Hill"))
    assert [s.title for s in run(library.list("quince"))] == ["Quince Hill"]
    assert run(library.list("orchard")) == []


def test_a_story_in_the_trash_is_not_found(library: StoryRepository, pool: asyncpg.Pool, run: Run) -> None:
    trash = TrashRepository(pool)
    salt_road = run(library.list("ysolde"))[0]
    run(trash.delete_story(salt_road.id))
    assert run(library.list("ysolde")) == []
    assert run(library.count("ysolde")) == 0
    run(trash.restore_story(salt_road.id))
    assert [s.title for s in run(library.list("ysolde"))] == ["The Salt Road"]


def test_a_scene_edited_announces_the_scene_but_not_its_story(
    library: StoryRepository, scenes: SceneRepository, database_url: str, run: Run
) -> None:
    """The story's search words change with the scene (migration 012); other windows need not reload the story."""
    orchard = run(library.list("orchard"))[0]
    second = run(scenes.for_story(orchard.id))[1]

    async def announced_while_editing() -> list[tuple[str, str]]:
        heard: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        listener = await asyncpg.connect(database_url)
        try:
            await listener.add_listener(CHANNEL, lambda *args: heard.put_nowait(json.loads(args[3])))
            other = await asyncpg.connect(database_url)
            try:
                await other.execute("UPDATE scenes SET text = 'Quince jelly.' WHERE id = $1", second.id)
                # Announcements arrive in commit order: once this one is here, every earlier one is too.
                await other.execute("SELECT pg_notify($1, json_build_object('table', 'end', 'op', '')::text)", CHANNEL)
            finally:
                await other.close()
            seen = []
            while not seen or seen[-1] != ("end", ""):
                change = await asyncio.wait_for(heard.get(), timeout=10)
                seen.append((change["table"], change["op"]))
            return seen[:-1]
        finally:
            await listener.close()

    assert run(announced_while_editing()) == [("scenes", "update")]
    assert [s.title for s in run(library.list("quince"))] == ["Orchard"]


def test_scenes_written_at_once_by_two_processes_both_count(
    library: StoryRepository, database_url: str, loop: asyncio.AbstractEventLoop, qtbot: Any, run: Run
) -> None:
    orchard = run(library.list("orchard"))[0]
    insert = "INSERT INTO scenes (id, story_id, index, title, text) VALUES ($1, $2, $3, 'Late', $4)"
    first, second = run(asyncpg.connect(database_url)), run(asyncpg.connect(database_url))
    try:
        open_transaction = first.transaction()
        run(open_transaction.start())
        run(first.execute(insert, uuid.uuid4(), orchard.id, 2, "Medlar."))
        # The second waits for the first's lock on the story; once it may go on it must count the first's scene too.
        writing = asyncio.ensure_future(second.execute(insert, uuid.uuid4(), orchard.id, 3, "Sloe."), loop=loop)
        waiting = "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1"
        qtbot.waitUntil(lambda: bool(run(first.fetchval(waiting, second.get_server_pid()))), timeout=10_000)
        run(open_transaction.commit())
        run(writing)
    finally:
        run(first.close())
        run(second.close())
    assert [s.title for s in run(library.list("medlar sloe"))] == ["Orchard"]
