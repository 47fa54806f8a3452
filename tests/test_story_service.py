"""StoryService as the window drives it: generate, watch scenes and images arrive, cancel, resume, regenerate."""

from __future__ import annotations

import errno
import gc
import os
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from PIL import Image

from desktop.bible import Bible, Character, Place
from desktop.db.repositories import SceneRepository, StoryRepository
from desktop.generation.errors import ProviderError
from desktop.generation.image_folder import DISK_FULL
from desktop.models import ImageStatus, Scene, Story, StoryRequest, StoryStatus
from desktop.services.story_errors import StoryBusy, StoryError
from desktop.services.story_service import CANCELLED, INTERRUPTED, StoryService
from tests.support.a1111_server import FakeA1111Server
from tests.support.generation_fixtures import MakeService, RecordingUploads, SignalLog
from tests.support.openai_server import FakeOpenAIServer

Run = Callable[..., Any]
REQUEST = StoryRequest(
    title="The Key in the Fish",
    prompt="Mira, a lighthouse keeper in Harrow, finds a brass key in a fish.",
    scene_count=4,
    style="woodcut, muted blues",
    characters="Mira, a lighthouse keeper; Tobin, her brother",
)


def openai_settings(server: FakeOpenAIServer, **more: Any) -> dict[str, Any]:
    return {
        "text_provider": "openai",
        "openai_base_url": server.base_url,
        "openai_model": "story-model",
        "openai_image_model": "picture-model",
        "openai_api_key": server.api_key,
        **more,
    }


def stored(run: Run, scenes: SceneRepository, story: Story) -> list[Scene]:
    result: list[Scene] = run(scenes.for_story(story.id))
    return result


def test_a_story_is_written_painted_and_queued_scene_by_scene(
    run: Run, make_story_service: MakeService, scenes: SceneRepository, recording_uploads: RecordingUploads
) -> None:
    service = make_story_service()
    log = SignalLog(service)
    story = run(service.generate(REQUEST))
    assert story.status is StoryStatus.complete and story.error == ""
    assert story.text_provider == story.image_provider == "Offline generator"
    kept = stored(run, scenes, story)
    assert [scene.index for scene in kept] == [0, 1, 2, 3]
    assert all(scene.image_status is ImageStatus.painted for scene in kept)
    for scene in kept:
        path = Path(scene.image_path)
        assert path.parent.name == str(story.id) and path.name.startswith(f"scene-{scene.index:02d}-")
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size == (768, 512)
    assert recording_uploads.indexes(story.id) == [0, 1, 2, 3]
    assert [str(path) for _, _, path in sorted(recording_uploads.enqueued, key=lambda e: e[1].index)] == [
        scene.image_path for scene in kept
    ]
    # What the window hears: the story first, each scene's text streaming then saved, each image painting then
    # painted, and the story finished.
    changed = [args[0].status for args in log.of("story_changed")]
    assert changed == [StoryStatus.generating, StoryStatus.complete]
    assert [args[0].index for args in log.of("scene_saved")] == [0, 1, 2, 3]
    streamed = [args for args in log.of("scene_text") if args[1] == 2]
    assert len(streamed) > 3 and streamed[-1][2] == kept[2].text
    states = [(args[0].index, args[0].image_status) for args in log.of("scene_image")]
    for index in range(4):
        assert [status for i, status in states if i == index] == [ImageStatus.painting, ImageStatus.painted]
    assert any("Writing scene 2 of 4" in args[1] for args in log.of("story_progress"))


def test_painting_starts_while_the_next_scene_is_still_being_written(run: Run, make_story_service: MakeService) -> None:
    service = make_story_service(offline_delay=0.15)
    log = SignalLog(service)
    run(service.generate(REQUEST.model_copy(update={"scene_count": 3})))
    order = [
        (name, args[0].index if name != "scene_text" else args[1])
        for name, args in log.events
        if name in ("scene_saved", "scene_image", "scene_text")
    ]
    first_painting = order.index(("scene_image", 0))
    second_saved = order.index(("scene_saved", 1))
    assert first_painting < second_saved  # scene 1's image began before scene 2's text was done


def test_the_bibles_style_and_the_looks_of_those_present_go_into_every_image_prompt(
    run: Run,
    make_story_service: MakeService,
    openai_server: FakeOpenAIServer,
    a1111_server: FakeA1111Server,
    scenes: SceneRepository,
) -> None:
    bible = Bible(
        style="woodcut, muted blues",
        characters=[
            Character(name="Mira", role="lighthouse keeper", look="grey oilskin coat, a silver braid"),
            Character(name="Tobin", role="her brother", look="red knitted cap, freckles"),
            Character(name="Corvin", role="harbour master"),  # the third: the offline writer's rival, in scenes
            Character(name="Wendeline", look="a long green cloak"),  # never in a scene: never in a prompt
        ],
        places=[Place(name="Harrow", look="slate roofs under a white lighthouse")],
    )
    request = REQUEST.model_copy(update={"bible": bible})
    service = make_story_service(**openai_settings(openai_server, text_provider="offline", image_provider="openai"))
    first = run(service.generate(request))
    service = make_story_service(image_provider="a1111", a1111_url=a1111_server.url)
    second = run(service.generate(request))
    assert first.status is second.status is StoryStatus.complete
    prompts = openai_server.image_prompts() + a1111_server.prompts()
    assert len(prompts) == 8
    painted = run(scenes.for_story(first.id)) + run(scenes.for_story(second.id))
    assert sorted(scene.asked_image for scene in painted) == sorted(prompts)  # "What was asked", word for word
    for scene in painted:
        prompt = scene.asked_image
        assert prompt.startswith(scene.image_prompt.rstrip(".")) and "Style: woodcut, muted blues" in prompt
        named = f"{scene.title} {scene.image_prompt} {scene.text}"
        assert ("Mira: grey oilskin coat, a silver braid" in prompt) == ("Mira" in named)
        assert ("Tobin: red knitted cap, freckles" in prompt) == ("Tobin" in named)
        assert ("Harrow: slate roofs" in prompt) == ("Harrow" in named)
        assert "Wendeline" not in prompt
    assert any("Mira: grey oilskin coat" in prompt for prompt in prompts)


def test_a_scene_whose_image_fails_leaves_a_partial_story_with_its_text(
    run: Run,
    make_story_service: MakeService,
    scenes: SceneRepository,
    openai_server: FakeOpenAIServer,
    a1111_server: FakeA1111Server,
    recording_uploads: RecordingUploads,
) -> None:
    a1111_server.image_failure = lambda prompt: "not_image" if "moment 2." in prompt else ""
    service = make_story_service(**openai_settings(openai_server, image_provider="a1111", a1111_url=a1111_server.url))
    story = run(service.generate(REQUEST))
    assert story.status is StoryStatus.partial
    assert story.error.startswith("The image service returned something that is not a PNG, JPEG or WebP image")
    assert "Press Resume" in story.error
    kept = stored(run, scenes, story)
    assert [scene.image_status for scene in kept] == [
        ImageStatus.painted,
        ImageStatus.failed,
        ImageStatus.painted,
        ImageStatus.painted,
    ]
    assert kept[1].text.startswith("Scene 2 begins") and "not a PNG, JPEG or WebP" in kept[1].image_error
    assert recording_uploads.indexes(story.id) == [0, 2, 3]

    # The server works again: regenerating that one image makes the story complete.
    a1111_server.image_failure = None
    log = SignalLog(service)
    repainted = run(service.regenerate_image(kept[1].id))
    assert repainted.image_status is ImageStatus.painted and repainted.image_error == ""
    assert recording_uploads.indexes(story.id) == [0, 1, 2, 3]
    assert [args[0].status for args in log.of("story_changed")] == [StoryStatus.complete]


def test_a_full_disk_fails_the_image_in_plain_words_and_keeps_the_text(
    run: Run, make_story_service: MakeService, scenes: SceneRepository, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real_write = os.write
    images = str(tmp_path / "data" / "images")

    def write(fd: int, data: Any) -> int:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(images):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    story = run(make_story_service().generate(REQUEST.model_copy(update={"scene_count": 2})))
    monkeypatch.undo()
    assert story.status is StoryStatus.partial
    kept = stored(run, scenes, story)
    assert [scene.image_error for scene in kept] == [DISK_FULL, DISK_FULL]
    assert all(scene.text and scene.image_status is ImageStatus.failed for scene in kept)


def test_cancel_stops_promptly_and_keeps_every_finished_scene(
    run: Run, make_story_service: MakeService, scenes: SceneRepository, stories: StoryRepository
) -> None:
    service = make_story_service(offline_delay=0.2)
    request = REQUEST.model_copy(update={"scene_count": 8})
    saved: list[Scene] = []

    def cancel_after_two(scene: Scene) -> None:
        saved.append(scene)
        if len(saved) == 2:
            service.cancel(scene.story_id)

    service.scene_saved.connect(cancel_after_two)
    story = run(service.generate(request), timeout=10)
    assert story.status is StoryStatus.cancelled and story.error == CANCELLED
    kept = stored(run, scenes, story)
    assert 2 <= len(kept) < 8 and [scene.index for scene in kept] == list(range(len(kept)))
    assert all(scene.image_status is not ImageStatus.painting for scene in kept)
    assert not service.is_running(story.id)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gc.collect()  # a coroutine left never awaited would warn here

    # Resuming writes the rest after the kept scenes, which stay as they were.
    service.scene_saved.disconnect(cancel_after_two)
    resumed = run(service.resume(story.id), timeout=20)
    assert resumed.status is StoryStatus.complete
    after = stored(run, scenes, story)
    assert len(after) == 8 and all(scene.image_status is ImageStatus.painted for scene in after)
    assert [(s.id, s.text) for s in after[:2]] == [(s.id, s.text) for s in kept[:2]]
    assert run(stories.get(story.id)).status is StoryStatus.complete


def test_a_story_left_generating_by_a_dead_app_is_interrupted_then_resumed(
    run: Run, make_story_service: MakeService, scenes: SceneRepository, stories: StoryRepository, pool: asyncpg.Pool
) -> None:
    # What a crash leaves behind: a story still `generating`, one scene painted, one half painted.
    story = run(stories.create(Story.create(REQUEST, user_id=uuid.uuid4(), status=StoryStatus.generating)))
    first = run(scenes.save(Scene.create(story.id, 0, "Dawn in Harrow", "Mira wakes before the gulls.", "Mira")))
    run(scenes.set_image(first.id, ImageStatus.painted, path="/nowhere/scene-00.png"))
    second = run(scenes.save(Scene.create(story.id, 1, "The Fish", "The catch is heavy today.", "a fish")))
    run(scenes.set_image(second.id, ImageStatus.painting))

    run(pool.execute("UPDATE stories SET writer = 'storyforge-4242-deadbeef'"))  # the app that died
    service = make_story_service()
    assert run(service.recover()) == [story.id]
    assert run(stories.get(story.id)).status is StoryStatus.interrupted
    assert [s.image_status for s in stored(run, scenes, story)] == [ImageStatus.painted, ImageStatus.pending]

    log = SignalLog(service)
    resumed = run(service.resume(story.id))
    assert resumed.status is StoryStatus.complete
    after = stored(run, scenes, story)
    assert [s.index for s in after] == [0, 1, 2, 3]
    assert after[0].text == "Mira wakes before the gulls." and after[1].text == "The catch is heavy today."
    assert after[0].image_path == "/nowhere/scene-00.png"  # painted before: left alone
    assert all(s.image_status is ImageStatus.painted for s in after)
    assert [args[0].index for args in log.of("scene_saved")] == [2, 3]  # written from the first missing scene


def test_quitting_mid_story_leaves_it_interrupted(run: Run, make_story_service: MakeService) -> None:
    service = make_story_service(offline_delay=0.2)
    changes: list[Story] = []
    service.story_changed.connect(changes.append)

    async def generate_then_quit() -> BaseException | None:
        task = __import__("asyncio").ensure_future(service.generate(REQUEST))
        while not changes:
            await __import__("asyncio").sleep(0.01)
        await service.shutdown()
        try:
            await task
        except BaseException as exc:
            return exc
        return None

    assert type(run(generate_then_quit())).__name__ == "CancelledError"
    assert changes[-1].status is StoryStatus.interrupted and changes[-1].error == INTERRUPTED
    with pytest.raises(StoryError, match="closing"):
        run(service.generate(REQUEST))


def test_regenerating_one_scenes_text_keeps_the_others(
    run: Run, make_story_service: MakeService, scenes: SceneRepository
) -> None:
    service = make_story_service()
    story = run(service.generate(REQUEST))
    before = stored(run, scenes, story)
    log = SignalLog(service)
    rewritten = run(service.regenerate_text(before[1].id))
    after = stored(run, scenes, story)
    assert rewritten.id == before[1].id and rewritten.text != before[1].text
    assert after[1] == rewritten and after[1].image_path == before[1].image_path  # the picture stays
    assert [(s.id, s.text) for s in after if s.index != 1] == [(s.id, s.text) for s in before if s.index != 1]
    assert [args[0].id for args in log.of("scene_saved")] == [rewritten.id]
    assert all(args[1] == 1 for args in log.of("scene_text"))


def test_regenerating_one_image_paints_a_new_picture(
    run: Run, make_story_service: MakeService, scenes: SceneRepository, recording_uploads: RecordingUploads
) -> None:
    service = make_story_service()
    story = run(service.generate(REQUEST.model_copy(update={"scene_count": 2})))
    before = stored(run, scenes, story)
    repainted = run(service.regenerate_image(before[0].id))
    assert repainted.image_status is ImageStatus.painted and repainted.image_path != before[0].image_path
    assert Path(repainted.image_path).exists() and Path(before[0].image_path).exists()  # the old one is kept
    assert recording_uploads.indexes(story.id) == [0, 0, 1]
    assert stored(run, scenes, story)[1] == before[1]


def test_a_text_service_that_fails_at_once_fails_the_story(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, scenes: SceneRepository
) -> None:
    service = make_story_service(**openai_settings(openai_server, openai_api_key="sk-wrong-000000"))
    story = run(service.generate(REQUEST))
    assert story.status is StoryStatus.failed
    assert story.error == "No scene could be written: The AI service rejected the API key — check it in Settings."
    assert stored(run, scenes, story) == []


def test_a_model_that_stops_short_leaves_a_partial_story_that_resume_completes(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, scenes: SceneRepository
) -> None:
    openai_server.max_scenes_per_answer = 1
    service = make_story_service(**openai_settings(openai_server))
    story = run(service.generate(REQUEST.model_copy(update={"scene_count": 5})))
    assert story.status is StoryStatus.partial
    assert story.error.startswith("The text service wrote only 3 of 5 scenes.")
    openai_server.max_scenes_per_answer = None
    assert run(service.resume(story.id)).status is StoryStatus.complete
    assert [s.title for s in stored(run, scenes, story)] == [f"The Gate, Part {n}" for n in range(1, 6)]
    assert "Write scenes 4 to 5" in openai_server.chat_bodies()[-1]["messages"][-1]["content"]


def test_an_upload_queue_that_refuses_makes_the_story_partial(
    run: Run, make_story_service: MakeService, recording_uploads: RecordingUploads
) -> None:
    recording_uploads.fail_with = RuntimeError("the outbox is full")
    story = run(make_story_service().generate(REQUEST.model_copy(update={"scene_count": 1})))
    assert story.status is StoryStatus.partial
    assert "saved on this computer but could not be queued for upload: the outbox is full" in story.error


def test_editing_a_scene_and_the_guards(
    run: Run, make_story_service: MakeService, scenes: SceneRepository, openai_server: FakeOpenAIServer
) -> None:
    service = make_story_service(offline_delay=0.3)
    story_ids: list[uuid.UUID] = []
    service.story_changed.connect(lambda story: story_ids.append(story.id))

    async def busy_checks() -> Story:
        task = __import__("asyncio").ensure_future(service.generate(REQUEST.model_copy(update={"scene_count": 2})))
        while not story_ids:
            await __import__("asyncio").sleep(0.01)
        with pytest.raises(StoryBusy, match="still being written"):
            await service.resume(story_ids[0])
        result: Story = await task
        return result

    story = run(busy_checks())
    first = stored(run, scenes, story)[0]
    edited = run(service.edit_scene(first.id, "  A New   Title ", "New text.\n"))
    assert (edited.title, edited.text) == ("A New Title", "New text.")
    with pytest.raises(StoryError, match="needs some text"):
        run(service.edit_scene(first.id, "Title", "   "))
    with pytest.raises(StoryError, match="no longer exists"):
        run(service.regenerate_text(uuid.uuid4()))
    openai_server.answer_style = "garbage"
    service_openai = make_story_service(**openai_settings(openai_server))
    with pytest.raises(ProviderError, match="held no scenes"):
        run(service_openai.regenerate_text(first.id))
    assert stored(run, scenes, story)[0] == edited  # a failed rewrite changes nothing


def test_story_ids_differ_and_the_service_is_a_qobject(make_story_service: MakeService) -> None:
    service = make_story_service()
    assert isinstance(service, StoryService)
