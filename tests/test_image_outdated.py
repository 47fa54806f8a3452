"""A scene's image that shows an older version of the scene says so, until it is repainted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.db.repositories import SceneRepository
from desktop.models import Scene, Story, StoryRequest
from tests.support.generation_fixtures import MakeService

Run = Callable[..., Any]
REQUEST = StoryRequest(
    title="The Key in the Fish",
    prompt="Mira, a lighthouse keeper in Harrow, finds a brass key in a fish.",
    scene_count=2,
)


def stored(run: Run, scenes: SceneRepository, story: Story) -> list[Scene]:
    result: list[Scene] = run(scenes.for_story(story.id))
    return result


def test_a_freshly_painted_image_is_current(run: Run, make_story_service: MakeService, scenes: SceneRepository) -> None:
    story = run(make_story_service().generate(REQUEST))
    assert [scene.image_outdated for scene in stored(run, scenes, story)] == [False, False]


def test_regenerated_text_marks_the_image_out_of_date_until_it_is_repainted(
    run: Run, make_story_service: MakeService, scenes: SceneRepository
) -> None:
    service = make_story_service()
    story = run(service.generate(REQUEST))
    first = stored(run, scenes, story)[0]

    # The offline writer may give a scene the same title and picture prompt again: then the image is still current.
    for _ in range(8):
        rewritten = run(service.regenerate_text(first.id))
        if (rewritten.title, rewritten.image_prompt) == (first.title, first.image_prompt):
            assert not rewritten.image_outdated
        else:
            break
    assert (rewritten.title, rewritten.image_prompt) != (first.title, first.image_prompt)
    assert rewritten.image_outdated and stored(run, scenes, story)[0].image_outdated
    assert not stored(run, scenes, story)[1].image_outdated

    repainted = run(service.regenerate_image(first.id))
    assert not repainted.image_outdated and not stored(run, scenes, story)[0].image_outdated


def test_a_new_title_marks_the_image_out_of_date_and_a_text_edit_does_not(
    run: Run, make_story_service: MakeService, scenes: SceneRepository
) -> None:
    # The title is the image's caption and part of its prompt; the text is neither.
    service = make_story_service()
    story = run(service.generate(REQUEST))
    first, second = stored(run, scenes, story)

    retitled = run(service.edit_scene(first.id, "A Different Title", first.text))
    reworded = run(service.edit_scene(second.id, second.title, second.text + " The tide turned."))

    assert retitled.image_outdated
    assert not reworded.image_outdated
