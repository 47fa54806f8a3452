"""A new story's bible drafted by the OpenAI-compatible text service in one request, through the real provider and
StoryService against a loopback server; whatever goes wrong, the offline draft stands in and the story is written."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest

from desktop.bible import Bible
from desktop.generation.bible_draft import draft_bible
from desktop.generation.bible_request import NOT_A_BIBLE, SYSTEM_PROMPT
from desktop.generation.errors import BadResponse
from desktop.generation.openai_text import OpenAITextProvider
from desktop.models import Story, StoryRequest, StoryStatus
from tests.support.generation_fixtures import FAST_RETRIES, MakeService
from tests.support.http_faults import Fault
from tests.support.openai_server import CHAT, FakeOpenAIServer, bible_for, openai_error

from .conftest import Run

REQUEST = StoryRequest(
    title="The Key in the Fish",
    prompt="Mira, a lighthouse keeper in Harrow, finds a brass key in a fish.",
    scene_count=3,
    style="woodcut, muted blues",
    characters="Mira, a lighthouse keeper; Tobin, her brother",
)
OFFLINE = draft_bible(REQUEST.title, REQUEST.prompt, REQUEST.style, REQUEST.characters)


def openai_settings(server: FakeOpenAIServer) -> dict[str, Any]:
    return {
        "text_provider": "openai",
        "openai_base_url": server.base_url,
        "openai_model": "story-model",
        "openai_api_key": server.api_key,
    }


def generate(run: Run, make_story_service: MakeService, server: FakeOpenAIServer) -> Story:
    story: Story = run(make_story_service(**openai_settings(server)).generate(REQUEST), timeout=60)
    return story


def bible_versions(run: Run, pool: asyncpg.Pool, story: Story) -> list[tuple[str, Bible]]:
    rows = run(pool.fetch("SELECT made_by, bible FROM bible_versions WHERE story_id = $1 ORDER BY number", story.id))
    return [(row["made_by"], Bible.model_validate(json.loads(row["bible"]))) for row in rows]


def test_a_new_story_keeps_the_bible_the_text_service_drafted(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, pool: asyncpg.Pool
) -> None:
    story = generate(run, make_story_service, openai_server)

    assert story.status is StoryStatus.complete
    assert [c.name for c in story.bible.characters] == ["Mira", "Tobin"]
    assert story.bible.style == "Ink and watercolour, muted blues and ochres, quiet and wistful"
    assert story.bible.characters[0].look.startswith("Mira has a weathered face")
    assert [p.name for p in story.bible.places] == ["The Salt Gate"]
    assert bible_versions(run, pool, story) == [("drafted", story.bible)]
    # One request, asked through the bible's schema, carrying what the writer typed.
    [asked] = openai_server.bible_bodies()
    assert asked["response_format"]["json_schema"]["name"] == "story_bible"
    assert asked["response_format"]["json_schema"]["strict"] is True
    assert (asked["stream"], asked["temperature"], asked["max_tokens"]) == (False, 0.4, 900)
    said = asked["messages"][-1]["content"]
    for typed in (REQUEST.title, REQUEST.prompt, REQUEST.style, REQUEST.characters):
        assert typed in said
    assert asked["messages"][0]["content"] == SYSTEM_PROMPT and "…" not in SYSTEM_PROMPT
    # The scenes are then written to the drafted bible.
    scenes_asked = openai_server.chat_bodies()[0]["messages"][-1]["content"]
    assert "Style: Ink and watercolour" in scenes_asked and "Mira (keeper)" in scenes_asked


@pytest.mark.parametrize(
    "answer",
    ["I'm sorry, I cannot draft a story bible today.", '{"style": "ink", "characters": [{"name": "Mi', "{}"],
    ids=["prose", "cut-off", "empty"],
)
def test_an_answer_that_is_no_bible_leaves_the_offline_draft(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, pool: asyncpg.Pool, answer: str
) -> None:
    openai_server.bible_answer = answer
    story = generate(run, make_story_service, openai_server)
    assert story.status is StoryStatus.complete
    assert story.bible == OFFLINE and bible_versions(run, pool, story) == [("drafted", OFFLINE)]
    assert len(openai_server.bible_bodies()) == 1 and len(openai_server.chat_bodies()) >= 1


def test_a_server_without_schemas_is_asked_for_the_bible_in_plain_words(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer
) -> None:
    openai_server.refuse_schema = True
    story = generate(run, make_story_service, openai_server)
    assert story.status is StoryStatus.complete and story.bible.style.startswith("Ink and watercolour")
    assert ["response_format" in body for body in openai_server.bible_bodies()] == [True, False]
    # The refusal is remembered: the scenes are asked for without a schema from the first request.
    assert not any("response_format" in body for body in openai_server.chat_bodies())


def test_a_server_that_refuses_max_tokens_still_drafts_the_bible(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, pool: asyncpg.Pool
) -> None:
    refusal = openai_error("Unsupported parameter: 'max_tokens' is not supported with this model.")
    openai_server.fail_next(CHAT, Fault(400, refusal))
    story = generate(run, make_story_service, openai_server)
    assert story.status is StoryStatus.complete and story.bible.style.startswith("Ink and watercolour")
    assert bible_versions(run, pool, story) == [("drafted", story.bible)] and story.bible != OFFLINE
    assert ["max_tokens" in body for body in openai_server.bible_bodies()] == [True, False]
    # The refusal is remembered: the scenes are asked for without max_tokens from the first request.
    assert openai_server.chat_bodies() and not any("max_tokens" in body for body in openai_server.chat_bodies())


def test_a_server_without_schemas_that_answers_no_bible_leaves_the_offline_draft(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, pool: asyncpg.Pool
) -> None:
    openai_server.refuse_schema = True
    openai_server.bible_answer = "Here are some ideas for your story: a lighthouse, a key, a fish."
    story = generate(run, make_story_service, openai_server)
    assert story.status is StoryStatus.complete
    assert story.bible == OFFLINE and bible_versions(run, pool, story) == [("drafted", OFFLINE)]


def test_a_server_error_is_tried_once_and_the_offline_draft_stands_in(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer, pool: asyncpg.Pool
) -> None:
    openai_server.fail_next(CHAT, Fault(500, openai_error("The server had an error", kind="server_error")))
    story = generate(run, make_story_service, openai_server)
    assert story.status is StoryStatus.complete and story.error == ""
    assert story.bible == OFFLINE and bible_versions(run, pool, story) == [("drafted", OFFLINE)]
    assert len(openai_server.bible_bodies()) == 1  # no retries for the bible: the story is not held up
    assert len(openai_server.chat_bodies()) >= 1


def test_an_unreachable_server_fails_the_story_with_the_real_reason(
    run: Run, make_story_service: MakeService, openai_server: FakeOpenAIServer
) -> None:
    settings = openai_settings(openai_server)
    openai_server.stop()
    story: Story = run(make_story_service(**settings).generate(REQUEST), timeout=60)
    assert story.status is StoryStatus.failed and story.bible == OFFLINE
    assert "Cannot reach the AI service" in story.error


def test_the_drafted_bible_is_read_from_prose_and_fences_and_trimmed_to_what_is_usable(
    run: Run, openai_server: FakeOpenAIServer
) -> None:
    bible = bible_for("What the story is about: Ines and Teo cross the glass orchard.")
    bible["characters"] += [{"name": "  ", "role": "", "description": "nobody", "look": ""}]
    bible["characters"] += [{"name": f"Walker{n}", "role": "", "description": "", "look": ""} for n in range(70)]
    bible["places"][0]["look"] = "x" * 5_000
    openai_server.bible_answer = f"Here is the bible you asked for:\n```json\n{json.dumps(bible)}\n```\nEnjoy!"
    provider = OpenAITextProvider(
        base_url=openai_server.base_url,
        model="story-model",
        api_key=openai_server.api_key,
        timeout=5.0,
        policy=FAST_RETRIES,
    )

    async def draft() -> Bible:
        try:
            return await provider.draft_bible("Glass", "Ines and Teo cross the glass orchard.", "", "")
        finally:
            await provider.aclose()

    drafted: Bible = run(draft())
    names = [c.name for c in drafted.characters]
    assert names[:3] == ["Ines", "Teo", "Walker0"] and len(names) == 60  # the nameless one dropped, the rest capped
    assert len(drafted.places[0].look) == 2_000
    said = openai_server.bible_bodies()[0]["messages"][-1]["content"]
    assert "writer's style" not in said and "writer's characters" not in said  # nothing typed, nothing to keep


def test_an_answer_with_no_bible_says_so_in_one_line(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.bible_answer = "No."
    provider = OpenAITextProvider(
        base_url=openai_server.base_url, model="story-model", api_key=openai_server.api_key, timeout=5.0
    )

    async def draft() -> Bible:
        try:
            return await provider.draft_bible("Glass", "An orchard.", "", "")
        finally:
            await provider.aclose()

    with pytest.raises(BadResponse) as caught:
        run(draft())
    assert str(caught.value) == NOT_A_BIBLE and "\n" not in NOT_A_BIBLE
