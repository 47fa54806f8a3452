"""The OpenAI-compatible provider against a loopback server speaking the real wire protocol (SSE chat, images)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from desktop.generation.base import ImageRequest, SceneStreaming, SceneWritten, TextEvent, TextRequest
from desktop.generation.errors import (
    BadResponse,
    KeyRejected,
    ModelNotFound,
    ProviderError,
    ProviderTimeout,
    ProviderUnreachable,
    RateLimited,
    SceneParseError,
    ServiceFailed,
)
from desktop.generation.images import check_image
from desktop.generation.openai_image import OpenAIImageProvider
from desktop.generation.openai_text import OpenAITextProvider
from desktop.generation.prompts import PLAIN_SYSTEM_PROMPT
from tests.support.generation_fixtures import FAST_RETRIES
from tests.support.http_faults import Fault
from tests.support.openai_server import CHAT, FILES, IMAGES, FakeOpenAIServer, openai_error, scene_for

Run = Callable[..., Any]


def text_provider(server: FakeOpenAIServer, **overrides: Any) -> OpenAITextProvider:
    values: dict[str, Any] = {
        "base_url": server.base_url,
        "model": "story-model",
        "api_key": server.api_key,
        "timeout": 5.0,
        "policy": FAST_RETRIES,
    }
    return OpenAITextProvider(**{**values, **overrides})


def image_provider(server: FakeOpenAIServer, **overrides: Any) -> OpenAIImageProvider:
    values: dict[str, Any] = {
        "base_url": server.base_url,
        "model": "picture-model",
        "api_key": server.api_key,
        "timeout": 5.0,
        "policy": FAST_RETRIES,
    }
    return OpenAIImageProvider(**{**values, **overrides})


def story_request(scene_count: int = 3, **fields: Any) -> TextRequest:
    return TextRequest(title="Salt Gate", prompt="Ama waits at the salt gate.", scene_count=scene_count, **fields)


def stream(run: Run, provider: OpenAITextProvider, request: TextRequest, timeout: float = 20) -> list[TextEvent]:
    async def collect() -> list[TextEvent]:
        try:
            return [event async for event in provider.stream_scenes(request)]
        finally:
            await provider.aclose()

    events: list[TextEvent] = run(collect(), timeout=timeout)
    return events


def written(events: list[TextEvent]) -> list[tuple[int, str]]:
    return [(event.index, event.scene.title) for event in events if isinstance(event, SceneWritten)]


def failure(run: Run, provider: OpenAITextProvider, request: TextRequest | None = None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        stream(run, provider, request or story_request())
    return caught.value


def test_scenes_stream_as_json_through_a_schema(run: Run, openai_server: FakeOpenAIServer) -> None:
    events = stream(run, text_provider(openai_server), story_request(3))
    assert written(events) == [(0, "The Gate, Part 1"), (1, "The Gate, Part 2"), (2, "The Gate, Part 3")]
    scenes = [event.scene for event in events if isinstance(event, SceneWritten)]
    assert scenes[1].text == scene_for(2)["text"] and scenes[1].image_prompt == scene_for(2)["image_prompt"]
    # The text shows while it streams: growing pieces of scene 1 come before scene 1 is complete.
    first_done = next(i for i, event in enumerate(events) if isinstance(event, SceneWritten))
    pieces = [event.text_so_far for event in events[:first_done] if isinstance(event, SceneStreaming)]
    assert len(pieces) > 3 and scene_for(1)["text"].startswith(pieces[0]) and pieces[-1] != pieces[0]
    body = openai_server.chat_bodies()[0]
    assert body["stream"] is True and body["response_format"]["type"] == "json_schema"
    assert "Write scenes 1 to 3" in body["messages"][-1]["content"]
    assert openai_server.requests_to(CHAT)[0].headers["authorization"] == f"Bearer {openai_server.api_key}"


@pytest.mark.parametrize("style", ["fenced", "numbered"])
def test_answers_in_prose_fences_or_lists_are_read(run: Run, openai_server: FakeOpenAIServer, style: str) -> None:
    openai_server.answer_style = style
    events = stream(run, text_provider(openai_server), story_request(2))
    assert written(events) == [(0, "The Gate, Part 1"), (1, "The Gate, Part 2")]


def test_a_server_without_json_schema_is_asked_again_with_plain_instructions(
    run: Run, openai_server: FakeOpenAIServer
) -> None:
    openai_server.refuse_schema = True
    provider = text_provider(openai_server)
    assert len(written(stream(run, provider, story_request(2)))) == 2
    bodies = openai_server.chat_bodies()
    assert ["response_format" in body for body in bodies] == [True, False]
    assert bodies[1]["messages"][0]["content"] == PLAIN_SYSTEM_PROMPT and "## Scene" not in str(bodies[1])


def test_too_many_scenes_are_trimmed(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.extra_scenes = 3
    assert [index for index, _ in written(stream(run, text_provider(openai_server), story_request(2)))] == [0, 1]


def test_too_few_scenes_are_asked_for_again_with_the_story_so_far(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.max_scenes_per_answer = 2
    events = stream(run, text_provider(openai_server), story_request(5))
    assert [index for index, _ in written(events)] == [0, 1, 2, 3, 4]
    asks = [body["messages"][-1]["content"] for body in openai_server.chat_bodies()]
    assert "Write scenes 1 to 5" in asks[0] and "Write scenes 3 to 5" in asks[1] and "Write scene 5 only" in asks[2]
    assert "Scene 2: The Gate, Part 2" in asks[1]  # the follow-up knows what was written


def test_a_model_that_keeps_stopping_short_ends_short(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.max_scenes_per_answer = 1
    assert len(written(stream(run, text_provider(openai_server), story_request(5)))) == 3


def test_a_rejected_key_says_check_the_key_and_never_shows_it(run: Run, openai_server: FakeOpenAIServer) -> None:
    error = failure(run, text_provider(openai_server, api_key="sk-wrong-key-123456"))
    assert isinstance(error, KeyRejected)
    assert str(error) == "The AI service rejected the API key — check it in Settings."
    openai_server.fail_next(CHAT, Fault(403, openai_error("Project does not have access", "forbidden")))
    assert isinstance(failure(run, text_provider(openai_server)), KeyRejected)


def test_a_missing_model_is_named(run: Run, openai_server: FakeOpenAIServer) -> None:
    error = failure(run, text_provider(openai_server, model="gpt-9-imaginary"))
    assert isinstance(error, ModelNotFound)
    assert "no model named “gpt-9-imaginary”" in str(error) and "check the model name in Settings" in str(error)


def test_a_wrong_base_url_says_so(run: Run, openai_server: FakeOpenAIServer) -> None:
    error = failure(run, text_provider(openai_server, base_url=openai_server.url + "/api"))
    assert "has nothing at /api/chat/completions" in str(error) and "ends in /v1" in str(error)


def test_rate_limits_wait_as_long_as_retry_after_says(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next(
        CHAT, Fault(429, openai_error("Rate limit reached", "rate_limit_exceeded"), {"retry-after": "1"})
    )
    notices: list[str] = []
    started = time.monotonic()
    events = stream(run, text_provider(openai_server, notify=notices.append), story_request(1))
    assert time.monotonic() - started >= 0.95
    assert len(written(events)) == 1 and len(openai_server.chat_bodies()) == 2
    assert notices == ["The AI service asked us to slow down; trying again in 1 s…"]


def test_a_retry_after_too_long_gives_up_at_once(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next(CHAT, Fault(429, openai_error("Rate limit reached"), {"retry-after": "3600"}))
    error = failure(run, text_provider(openai_server))
    assert isinstance(error, RateLimited) and "wait a minute" in str(error)
    assert len(openai_server.chat_bodies()) == 1


def test_no_credit_left_is_not_retried(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next(CHAT, Fault(429, openai_error("You exceeded your current quota", "insufficient_quota")))
    assert "no credit left" in str(failure(run, text_provider(openai_server)))


def test_server_errors_are_retried_then_reported(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next(CHAT, Fault(500, openai_error("The server had an error", kind="server_error")))
    assert len(written(stream(run, text_provider(openai_server), story_request(1)))) == 1
    assert len(openai_server.chat_bodies()) == 2
    broken = Fault(503, b"<html>Service Unavailable</html>", {"content-type": "text/html"})
    openai_server.fail_next(CHAT, broken, broken, broken)
    error = failure(run, text_provider(openai_server))
    assert isinstance(error, ServiceFailed) and error.retryable
    assert str(error) == f"The AI service at {openai_server.url[7:]} failed (HTTP 503) — try again later."


def test_a_slow_answer_times_out_in_plain_words(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next(CHAT, Fault(200, delay=5.0, kind="slow"))
    error = failure(run, text_provider(openai_server, timeout=0.4))
    assert isinstance(error, ProviderTimeout)  # the server answers after 5 s: it was not waited for
    assert f"The AI service at {openai_server.url[7:]} did not answer within 0.4 s" in str(error)


def test_malformed_and_unreadable_answers(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next(CHAT, Fault(200, kind="malformed_json"))
    error = failure(run, text_provider(openai_server))  # answered as plain JSON, as when "stream" is ignored
    assert isinstance(error, BadResponse) and "not a chat completion" in str(error)
    openai_server.answer_style = "garbage"
    assert isinstance(failure(run, text_provider(openai_server)), SceneParseError)
    openai_server.answer_style = "json"
    openai_server.fail_next(CHAT, Fault(200, kind="error_in_stream"))
    assert "stopped with an error" in str(failure(run, text_provider(openai_server)))


def test_a_stream_that_breaks_off_keeps_the_complete_scenes(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.drop_after_chars = 420
    events = stream(run, text_provider(openai_server), story_request(4))
    indexes = [index for index, _ in written(events)]
    assert indexes == list(range(len(indexes))) and 1 <= len(indexes) <= 4


def test_an_unreachable_service_is_named(run: Run, openai_server: FakeOpenAIServer) -> None:
    url = openai_server.base_url
    openai_server.stop()
    error = failure(run, text_provider(openai_server, base_url=url))
    assert isinstance(error, ProviderUnreachable) and f"Cannot reach the AI service at {url[7:-3]}" in str(error)
    openai_server.start = lambda: None  # type: ignore[method-assign]  (already stopped; the fixture stops again)


def paint(run: Run, provider: OpenAIImageProvider, prompt: str = "Ama at the gate") -> bytes:
    async def go() -> bytes:
        try:
            return await provider.paint(ImageRequest(prompt=prompt, title="The Gate"))
        finally:
            await provider.aclose()

    data: bytes = run(go())
    return data


def test_images_come_back_as_base64(run: Run, openai_server: FakeOpenAIServer) -> None:
    assert paint(run, image_provider(openai_server)) == openai_server.image_bytes
    body = openai_server.requests_to(IMAGES)[0].body
    assert body == {
        "model": "picture-model",
        "prompt": "Ama at the gate",
        "n": 1,
        "size": "768x512",
        "response_format": "b64_json",
    }
    assert paint(run, image_provider(openai_server, model="gpt-image-1")) == openai_server.image_bytes
    body = openai_server.requests_to(IMAGES)[1].body
    assert body["size"] == "1536x1024" and "response_format" not in body


def test_an_image_given_as_a_url_is_fetched_without_the_key(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next(IMAGES, Fault(200, kind="url"))
    assert paint(run, image_provider(openai_server)) == openai_server.image_bytes
    assert "authorization" not in openai_server.requests_to(FILES)[0].headers


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("bad_base64", "sent image data that is not valid base64"),
        ("malformed_json", "answered the image request with something that is not an image"),
        ("safety", "refused to paint this scene: Your request was rejected as a result of our safety system."),
    ],
)
def test_broken_image_answers_fail_with_the_reason(
    run: Run, openai_server: FakeOpenAIServer, kind: str, words: str
) -> None:
    openai_server.fail_next(IMAGES, Fault(200, kind=kind))
    with pytest.raises(ProviderError, match=words.replace(".", r"\.")):
        paint(run, image_provider(openai_server))


def test_bytes_that_are_no_image_are_caught_by_the_check(run: Run, openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next(IMAGES, Fault(200, kind="not_image"))
    with pytest.raises(ProviderError, match=r"not a PNG, JPEG or WebP image \(it is a web page\)"):
        check_image(paint(run, image_provider(openai_server)))


def test_image_errors_name_the_key_or_model_and_never_show_the_key(run: Run, openai_server: FakeOpenAIServer) -> None:
    secret = "sk-not-the-right-one-987654"
    with pytest.raises(KeyRejected) as rejected:
        paint(run, image_provider(openai_server, api_key=secret))
    with pytest.raises(ModelNotFound, match="no model named “dall-e-9”"):
        paint(run, image_provider(openai_server, model="dall-e-9"))
    assert secret not in str(rejected.value) and secret not in repr(rejected.value)
