"""The library's search as a writer uses it: a word remembered from a scene finds its story, and says which scene."""

from __future__ import annotations

import uuid

import pytest

from desktop.db.connect import open_pool
from desktop.db.repositories import SceneRepository, StoryRepository
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
