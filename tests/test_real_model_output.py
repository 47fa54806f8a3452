"""What small local models really write (issue 14), acted out by the loopback OpenAI-compatible server and read by
the real provider and StoryService over real HTTP: a list that never ends, placeholders, copies, scenes that share
a title, follow-ups renumbered from scene 1, and headed sections for servers that take no JSON schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from desktop.db.repositories import SceneRepository
from desktop.generation.base import SceneWritten, TextEvent, TextRequest
from desktop.generation.openai_text import OpenAITextProvider
from desktop.generation.prompts import PLAIN_SYSTEM_PROMPT, TOKENS_CAP, max_tokens
from desktop.generation.scene_check import RAN_ON, Rejection, SceneRejected, not_written
from desktop.models import Scene, Story, StoryRequest, StoryStatus
from tests.support.generation_fixtures import FAST_RETRIES, MakeService, SignalLog
from tests.support.http_faults import Fault
from tests.support.openai_server import CHAT, FakeOpenAIServer, openai_error, scene_for

Run = Callable[..., Any]
REQUEST = StoryRequest(title="Salt Gate", prompt="Ama waits at the salt gate for the tide to turn.", scene_count=3)
PARTS = [f"The Gate, Part {number}" for number in range(1, 7)]


def provider(server: FakeOpenAIServer, notices: list[str] | None = None) -> OpenAITextProvider:
    return OpenAITextProvider(
        base_url=server.base_url,
        model="story-model",
        api_key=server.api_key,
        timeout=5.0,
        policy=FAST_RETRIES,
        notify=(notices.append if notices is not None else None),
    )


def titles(run: Run, server: FakeOpenAIServer, scene_count: int, notices: list[str] | None = None) -> list[str]:
    request = TextRequest(title=REQUEST.title, prompt=REQUEST.prompt, scene_count=scene_count)
    writer = provider(server, notices)

    async def collect() -> list[TextEvent]:
        try:
            return [event async for event in writer.stream_scenes(request)]
        finally:
            await writer.aclose()

    events: list[TextEvent] = run(collect(), timeout=30)
    written = [event for event in events if isinstance(event, SceneWritten)]
    assert [event.index for event in written] == list(range(len(written)))
    return [event.scene.title for event in written]


def settings(server: FakeOpenAIServer) -> dict[str, Any]:
    return {
        "text_provider": "openai",
        "openai_base_url": server.base_url,
        "openai_model": "story-model",
        "openai_api_key": server.api_key,
    }


def write_story(run: Run, make_story_service: MakeService, server: FakeOpenAIServer, count: int = 3) -> Story:
    service = make_story_service(**settings(server))
    story: Story = run(service.generate(REQUEST.model_copy(update={"scene_count": count})), timeout=60)
    return story


def stored(run: Run, scenes: SceneRepository, story: Story) -> list[Scene]:
    result: list[Scene] = run(scenes.for_story(story.id))
    return result


def test_an_endless_list_is_read_only_until_the_scenes_asked_are_in(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, scenes: SceneRepository
) -> None:
    openai_server.endless = True  # the scenes, then the list again from scene 1, until max_tokens
    openai_server.chunk_size = 16
    openai_server.chunk_pause = 0.002  # a model writing: the client's hang-up is seen while there is more to send
    story = write_story(run, make_story_service, openai_server)
    assert story.status is StoryStatus.complete
    assert [scene.title for scene in stored(run, scenes, story)] == PARTS[:3]
    body = openai_server.chat_bodies()[0]
    assert body["max_tokens"] == max_tokens(3) < TOKENS_CAP
    scenes_schema = body["response_format"]["json_schema"]["schema"]["properties"]["scenes"]
    assert scenes_schema["minItems"] == scenes_schema["maxItems"] == 3
    [log] = openai_server.stream_log()
    assert log.hung_up and not log.finished and log.sent < log.chunks / 2  # it stopped reading, long before the end
    assert len(openai_server.chat_bodies()) == 1


def test_a_placeholder_is_asked_for_again_and_never_stored(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, scenes: SceneRepository
) -> None:
    openai_server.placeholders = {2: "…"}  # copied from an example in a system prompt, as SmolLM2 did
    openai_server.placeholder_answers = 1
    story = write_story(run, make_story_service, openai_server)
    assert story.status is StoryStatus.complete
    kept = stored(run, scenes, story)
    assert [scene.title for scene in kept] == PARTS[:3] and all(len(scene.text.split()) > 25 for scene in kept)
    asks = [body["messages"][-1]["content"] for body in openai_server.chat_bodies()]
    assert len(asks) == 2 and "Write scenes 2 to 3" in asks[1]
    assert "Scene 1 is written already: do not write it again." in asks[1]


def test_a_scene_that_stays_a_placeholder_fails_with_the_reason_keeping_the_others(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, scenes: SceneRepository
) -> None:
    openai_server.placeholders = {3: "…"}
    service = make_story_service(**settings(openai_server))
    log = SignalLog(service)
    story = run(service.generate(REQUEST), timeout=60)
    assert story.status is StoryStatus.partial
    assert story.error == (
        "Scene 3 was not written: the AI service wrote only a placeholder ('…') three times — a larger model may do "
        "better. Press Resume to finish it."
    )
    assert [scene.title for scene in stored(run, scenes, story)] == PARTS[:2]
    assert len(openai_server.chat_bodies()) == 3  # bounded: the first answer and two more tries
    progress = [line for _, line in log.of("story_progress")]
    assert "Scene 3 came back unusable (only a placeholder ('…')); asking again…" in progress


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("TODO", "only a placeholder ('TODO')"),
        ("Lorem ipsum dolor sit amet, consectetur adipiscing elit.", "only a placeholder ('Lorem ipsum dolor sit"),
        ("scene text", "only a placeholder ('scene text')"),
        ("She waits.", "only 2 words ('She waits.')"),
        (REQUEST.prompt, "back the story's own words"),
        ("The Gate, Part 1", "back the story's own words ('The Gate, Part 1')"),  # the scene's own title
    ],
)
def test_what_is_no_scene_is_never_taken_for_one(
    run: Run,
    make_story_service: MakeService,
    openai_server: FakeOpenAIServer,
    scenes: SceneRepository,
    text: str,
    said: str,
) -> None:
    openai_server.placeholders = {1: text}
    story = write_story(run, make_story_service, openai_server, count=1)
    assert story.status is StoryStatus.failed and story.error.startswith(
        f"Scene 1 was not written: the AI service wrote {said}"
    )
    assert stored(run, scenes, story) == []


def test_a_copy_in_the_answer_is_skipped_and_the_answer_read_on(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.repeated = {2}  # scene 2 twice, word for word
    assert titles(run, openai_server, 4) == PARTS[:4]
    assert len(openai_server.chat_bodies()) == 1


def test_scenes_that_all_share_one_title_end_the_story_at_the_second(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, scenes: SceneRepository
) -> None:
    openai_server.same_title = "The Gate"
    story = write_story(run, make_story_service, openai_server)
    assert story.status is StoryStatus.partial
    assert story.error.startswith(
        "Scene 2 was not written: the AI service wrote scene 1 again ('The Gate') three times —"
    )
    assert [scene.title for scene in stored(run, scenes, story)] == ["The Gate"]


def test_a_follow_up_renumbered_from_scene_1_is_mapped_by_what_it_says(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, scenes: SceneRepository
) -> None:
    openai_server.max_scenes_per_answer = 2  # the first answer stops short …
    openai_server.renumber = True  # … and the follow-up for scenes 3 to 5 retells 1 and 2 before going on
    story = write_story(run, make_story_service, openai_server, count=5)
    assert story.status is StoryStatus.complete
    assert [scene.title for scene in stored(run, scenes, story)] == PARTS[:5]
    asks = [body["messages"][-1]["content"] for body in openai_server.chat_bodies()]
    assert "Write scenes 3 to 5" in asks[1] and "Scenes 1 to 2 are written already" in asks[1]


def test_a_server_without_json_schema_gets_headed_sections(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, scenes: SceneRepository
) -> None:
    openai_server.refuse_schema = True
    openai_server.answer_style = "sections"
    openai_server.endless = True
    openai_server.chunk_pause = 0.001
    story = write_story(run, make_story_service, openai_server)
    assert story.status is StoryStatus.complete
    kept = stored(run, scenes, story)
    assert [scene.title for scene in kept] == PARTS[:3]
    assert kept[1].text == scene_for(2)["text"] and kept[1].image_prompt == scene_for(2)["image_prompt"]
    plain = openai_server.chat_bodies()[-1]
    assert "response_format" not in plain and plain["messages"][0]["content"] == PLAIN_SYSTEM_PROMPT
    assert openai_server.stream_log()[-1].hung_up


def test_broken_sections_are_read_as_far_as_they_go(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.refuse_schema = True
    openai_server.answer_style = "broken_sections"  # chatter, bold headings, numbering from 1 again, no picture
    assert titles(run, openai_server, 4) == PARTS[:4]


def test_a_server_that_refuses_max_tokens_is_asked_without_it(run: Run, openai_server: FakeOpenAIServer) -> None:
    refusal = openai_error("Unsupported parameter: 'max_tokens' is not supported with this model.")
    openai_server.fail_next(CHAT, Fault(400, refusal))
    assert titles(run, openai_server, 2) == PARTS[:2]
    bodies = openai_server.chat_bodies()
    assert ["max_tokens" in body for body in bodies] == [True, False]


def test_a_scene_rejected_every_time_raises_with_its_number(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.placeholders = {2: "..."}
    notices: list[str] = []
    with pytest.raises(SceneRejected, match=r"^Scene 2 was not written: the AI service wrote only a placeholder"):
        titles(run, openai_server, 2, notices)
    assert notices.count("Scene 2 came back unusable (only a placeholder ('...')); asking again…") == 2


def test_an_answer_that_runs_on_without_a_scene_is_cut_off_and_asked_again(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, scenes: SceneRepository
) -> None:
    openai_server.runaway_scene = 2  # after scene 1, letters and dots until max_tokens, as SmolLM2 wrote
    openai_server.chunk_size, openai_server.chunk_pause = 32, 0.001
    story = write_story(run, make_story_service, openai_server)
    assert story.status is StoryStatus.partial and story.error.startswith(
        "Scene 2 was not written: the AI service wrote text that ran on without end three times"
    )
    assert [scene.title for scene in stored(run, scenes, story)] == PARTS[:1]
    logs = openai_server.stream_log()
    assert len(logs) == 3 and all(log.hung_up and log.sent < log.chunks for log in logs)


def test_tries_that_fail_each_their_own_way_are_all_told() -> None:
    tries = [Rejection("short", "only 18 words ('Ama waits')"), RAN_ON]
    assert not_written(1, tries) == (
        "Scene 1 was not written: the AI service wrote only 18 words ('Ama waits'), then text that ran on without "
        "end — a larger model may do better."
    )


def test_an_unreadable_answer_is_asked_again_before_giving_up(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.answer_style = "garbage"
    with pytest.raises(SceneRejected, match=r"wrote an answer that held no scenes Storyforge could read three times"):
        titles(run, openai_server, 2)
    assert len(openai_server.chat_bodies()) == 3
