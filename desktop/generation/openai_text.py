"""Scenes from an OpenAI-compatible chat completions endpoint (OpenAI, Ollama's /v1, LM Studio, vLLM, LocalAI),
streamed, asked for as JSON through a JSON-schema response format where the server takes one."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import Any

import httpx

from desktop.bible import Bible
from desktop.generation import bible_request
from desktop.generation.base import Notify, SceneDraft, SceneStreaming, SceneWritten, TextEvent, TextRequest
from desktop.generation.errors import BadResponse, KeyRejected, ModelNotFound, ProviderError, SceneParseError
from desktop.generation.http import HttpService, error_code, host_of, server_message
from desktop.generation.parsing import parse_scenes
from desktop.generation.prompts import chat_messages, max_tokens, response_format
from desktop.generation.scene_check import (
    RAN_ON,
    UNREADABLE,
    Answer,
    Judge,
    Rejection,
    Runaway,
    SceneRejected,
    not_written,
)
from desktop.generation.sections import SectionScanner
from desktop.generation.sse import sse_data
from desktop.generation.stream_scanner import JsonSceneScanner
from desktop.retry import RetryPolicy

KEY_REJECTED = "The AI service rejected the API key — check it in Settings."
# When a model stops short, the rest is asked for in follow-up requests, with what was written as context.
MAX_ROUNDS = 3
# A scene that comes back unusable (a placeholder, a copy, a stub) is asked for again, this many tries in all; then
# the story stops there with the reason, keeping the scenes before it.
SCENE_TRIES = 3
# A new story waits for its bible, and the offline draft stands in for one that cannot be had: one try, no retries,
# so an unreachable or busy server costs a moment, and the scenes' own requests then retry and report as they do.
BIBLE_POLICY = RetryPolicy(attempts=1, first_delay=0.0, max_delay=0.0)
BIBLE_TEMPERATURE = 0.4  # a reference to keep to, not prose: steadier than the scenes


class _SchemaRefused(ProviderError):
    pass


class _LimitRefused(ProviderError):
    pass


def openai_label(model: str, base_url: str) -> str:
    return f"OpenAI-compatible: {model} at {host_of(base_url)}"


def openai_headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def openai_service(
    base_url: str, api_key: str, timeout: float, *, policy: RetryPolicy | None, notify: Notify | None
) -> HttpService:
    return HttpService(
        name="The AI service",
        base_url=base_url,
        timeout=timeout,
        secret=api_key,
        headers=openai_headers(api_key),
        policy=policy,
        notify=notify,
    )


def describe_openai_error(
    service: HttpService, model: str, response: httpx.Response, body: bytes
) -> ProviderError | None:
    """What 401/403/404/quota answers mean for an OpenAI-compatible service; None for the general reading."""
    status = response.status_code
    said = service.scrub(server_message(body))
    code = error_code(body)
    if status in (401, 403):
        return KeyRejected(KEY_REJECTED)
    mentions_model = code == "model_not_found" or bool(re.search(r"\bmodel\b", said, re.I))
    if (status == 404 and mentions_model) or (
        status == 400 and re.search(r"model.*(not found|does not exist)", said, re.I)
    ):
        return ModelNotFound(
            f"The AI service at {service.host} has no model named “{model}” — check the model name in Settings."
        )
    if status == 404:
        return ProviderError(
            f"The AI service at {service.host} has nothing at {response.request.url.path} — check the base URL in "
            "Settings (it usually ends in /v1)."
        )
    if status == 429 and code == "insufficient_quota":
        return ProviderError("The AI service says the account has no credit left — check its plan and billing.")
    return None


class OpenAITextProvider:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str,
        timeout: float,
        notify: Notify | None = None,
        policy: RetryPolicy | None = None,
        temperature: float = 0.9,
    ) -> None:
        self.model = model
        self.label = openai_label(model, base_url)
        self._temperature = temperature
        self._use_schema = True  # until the server says it takes none
        self._send_limit = True  # max_tokens, until the server says it takes none
        self._service = openai_service(base_url, api_key, timeout, policy=policy, notify=notify)

    async def draft_bible(self, title: str, prompt: str, style: str, characters: str) -> Bible:
        def body(plain: bool) -> dict[str, Any]:
            # Plain or not, the same messages: the system prompt asks for the bible's JSON in words as well.
            return {
                "model": self.model,
                "messages": bible_request.bible_messages(title, prompt, style, characters),
                "stream": False,
                "temperature": BIBLE_TEMPERATURE,
            }

        response, _ = await self._chat(
            body, bible_request.response_format(), bible_request.MAX_TOKENS, policy=BIBLE_POLICY
        )
        return bible_request.parse_bible(_message_content(response.content))

    async def aclose(self) -> None:
        await self._service.aclose()

    async def stream_scenes(self, request: TextRequest) -> AsyncGenerator[TextEvent, None]:
        index = request.start
        earlier = list(request.earlier)
        tries: dict[int, list[Rejection]] = {}
        rounds_with_scenes = 0
        while index < request.end:
            part = request.model_copy(update={"start": index, "earlier": tuple(earlier)})
            before = index
            answer = Answer()
            async with aclosing(self._one_request(part, answer)) as events:
                async for event in events:
                    if isinstance(event, SceneWritten):
                        earlier.append(event.scene)
                        index = event.index + 1
                    yield event
            failed = answer.rejected.get(index)
            if failed is not None:
                tries.setdefault(index, []).append(failed)
                if len(tries[index]) >= SCENE_TRIES:
                    raise SceneRejected(not_written(index + 1, tries[index]))
            if index > before:
                rounds_with_scenes += 1
            elif failed is None:
                return  # a follow-up that brought nothing: the story ends short, and says so
            if index >= request.end or rounds_with_scenes >= MAX_ROUNDS:
                return
            if failed is not None:
                self._service.notify(f"Scene {index + 1} came back unusable ({failed.said}); asking again…")
            else:
                self._service.notify(
                    f"The AI service wrote {index - request.start} of {request.wanted} scenes; asking for the rest…"
                )

    async def _open(self, request: TextRequest) -> tuple[httpx.Response, bool]:
        """The streaming answer, and whether it was asked for as plain sections (the server took no schema)."""

        def body(plain: bool) -> dict[str, Any]:
            return {
                "model": self.model,
                "messages": chat_messages(request, plain=plain),
                "stream": True,
                "temperature": self._temperature,
            }

        return await self._chat(body, response_format(request.wanted), max_tokens(request.wanted), stream=True)

    async def _chat(
        self,
        body: Callable[[bool], dict[str, Any]],
        schema: dict[str, Any],
        limit: int,
        *,
        stream: bool = False,
        policy: RetryPolicy | None = None,
    ) -> tuple[httpx.Response, bool]:
        """The answer to `body(plain)` sent with `schema` as its response format and `limit` as its max_tokens, each
        while the server takes it: a field the server refuses is left out of this request and every later one, and
        the request sent again. Also whether it went plain, without the schema."""
        while True:
            plain = not self._use_schema
            sent = body(plain)
            if self._send_limit:
                sent["max_tokens"] = limit
            if not plain:
                sent["response_format"] = schema
            try:
                post = self._service.post("chat/completions", sent)
                return await self._service.send(post, self._describe, stream=stream, policy=policy), plain
            except _SchemaRefused:
                self._use_schema = False  # asked again in plain words, which the prompts describe
            except _LimitRefused:
                self._send_limit = False  # asked again without: reading stops at what was asked all the same

    def _describe(self, response: httpx.Response, body: bytes) -> ProviderError | None:
        said = server_message(body)
        if response.status_code in (400, 422):
            if self._use_schema and re.search(r"response_format|json_schema|structured output", said, re.I):
                return _SchemaRefused("the server takes no JSON schema")
            if self._send_limit and re.search(r"max_tokens", said, re.I):
                return _LimitRefused("the server takes no max_tokens")
        return describe_openai_error(self._service, self.model, response, body)

    async def _one_request(self, request: TextRequest, answer: Answer) -> AsyncGenerator[TextEvent, None]:
        """One answer's scenes, each judged on what it says, not on where it stands: a copy of a scene already
        written is skipped (a model that renumbers from 1 retells them), and a placeholder or a stub ends the
        answer there, to be asked again. Reading stops, and the stream is closed, once the scenes asked are in."""
        response, plain = await self._open(request)
        judge = Judge(request, answer)
        json_scan, section_scan = JsonSceneScanner(), SectionScanner()
        reader: JsonSceneScanner | SectionScanner | None = None
        runaway = Runaway()
        try:
            async with aclosing(self._contents(response)) as contents:
                async for content in contents:
                    if reader is not None:
                        found = reader.feed(content)
                    else:
                        # The answer's own shape decides, whatever was asked: the first scene found says which.
                        by_json, by_sections = json_scan.feed(content), section_scan.feed(content)
                        if by_sections.scenes and not by_json.scenes:
                            found, reader = by_sections, section_scan
                        elif by_json.scenes:
                            found, reader = by_json, json_scan
                        else:
                            found = by_sections if plain else by_json
                    for scene in found.scenes:
                        event = judge.take(scene)
                        if event is not None:
                            yield event
                        if judge.stop:
                            return
                    if runaway.ran_on(content, bool(found.scenes)):
                        judge.give_up(RAN_ON)
                        return
                    if found.partial_text and judge.next_index < request.end:
                        yield SceneStreaming(judge.next_index, found.partial_text)
        except httpx.HTTPError as exc:
            raise self._service.transport_error(exc) from exc
        finally:
            await response.aclose()
        try:
            unread = self._unread(json_scan, section_scan, reader)
        except SceneParseError:
            judge.give_up(UNREADABLE)
            return
        for scene in unread:
            event = judge.take(scene)
            if event is not None:
                yield event
            if judge.stop:
                return

    def _unread(
        self, json_scan: JsonSceneScanner, sections: SectionScanner, reader: JsonSceneScanner | SectionScanner | None
    ) -> list[SceneDraft]:
        """What the streaming scan could not follow (the last section, which no heading closed; a numbered list;
        JSON cut off or wrapped in prose), from the whole answer; SceneParseError when it held no scene at all."""
        if reader is not json_scan:
            last = sections.finish().scenes
            if reader is sections or last:
                return last
        try:
            scenes = parse_scenes(json_scan.raw)
        except SceneParseError:
            if json_scan.found:
                return []
            raise
        return scenes[json_scan.found :]

    async def _contents(self, response: httpx.Response) -> AsyncGenerator[str, None]:
        if "text/event-stream" not in response.headers.get("content-type", ""):
            yield _message_content(await response.aread())  # a server that ignores "stream"
            return
        async with aclosing(sse_data(response)) as events:
            async for data in events:
                if data == "[DONE]":
                    return
                try:
                    chunk = json.loads(data)
                except ValueError:
                    continue  # a garbled keep-alive; the content so far still counts
                if isinstance(chunk, dict) and chunk.get("error"):
                    said = self._service.scrub(server_message(data))
                    raise ProviderError(f"The AI service stopped with an error: {said}", retryable=True)
                content = _delta_content(chunk)
                if content:
                    yield content


def _delta_content(chunk: Any) -> str:
    try:
        choice = chunk["choices"][0]
    except (KeyError, IndexError, TypeError):
        return ""
    delta = choice.get("delta") or choice.get("message") or {}
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else ""


def _message_content(body: bytes) -> str:
    """The answer's text; "" when it holds none (a refusal, a tool call), which the reader then finds empty."""
    try:
        data = json.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise BadResponse("The AI service answered with something that is not a chat completion.") from exc
    return content if isinstance(content, str) else ""
