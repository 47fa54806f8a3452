"""Scenes from an OpenAI-compatible chat completions endpoint (OpenAI, Ollama's /v1, LM Studio, vLLM, LocalAI),
streamed, asked for as JSON through a JSON-schema response format where the server takes one."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import httpx

from desktop.bible import Bible
from desktop.generation import bible_request
from desktop.generation.base import Notify, SceneStreaming, SceneWritten, TextEvent, TextRequest
from desktop.generation.errors import BadResponse, KeyRejected, ModelNotFound, ProviderError, SceneParseError
from desktop.generation.http import HttpService, error_code, host_of, server_message
from desktop.generation.parsing import parse_scenes
from desktop.generation.prompts import chat_messages, response_format
from desktop.generation.sse import sse_data
from desktop.generation.stream_scanner import JsonSceneScanner
from desktop.retry import RetryPolicy

KEY_REJECTED = "The AI service rejected the API key — check it in Settings."
# When a model stops short, the rest is asked for in follow-up requests, with what was written as context.
MAX_ROUNDS = 3
# A new story waits for its bible, and the offline draft stands in for one that cannot be had: one try, no retries,
# so an unreachable or busy server costs a moment, and the scenes' own requests then retry and report as they do.
BIBLE_POLICY = RetryPolicy(attempts=1, first_delay=0.0, max_delay=0.0)
BIBLE_TEMPERATURE = 0.4  # a reference to keep to, not prose: steadier than the scenes


class _SchemaRefused(ProviderError):
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
        self._service = openai_service(base_url, api_key, timeout, policy=policy, notify=notify)
        # The same server with the bible's retry rule (HttpService keeps one rule for all its requests).
        self._drafting = openai_service(base_url, api_key, timeout, policy=BIBLE_POLICY, notify=notify)

    async def draft_bible(self, title: str, prompt: str, style: str, characters: str) -> Bible:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": bible_request.bible_messages(title, prompt, style, characters),
            "stream": False,
            "temperature": BIBLE_TEMPERATURE,
            "max_tokens": bible_request.MAX_TOKENS,
        }
        if self._use_schema:
            body["response_format"] = bible_request.response_format()
        try:
            response = await self._drafting.send(self._drafting.post("chat/completions", body), self._describe)
        except _SchemaRefused:
            self._use_schema = False
            del body["response_format"]  # the system prompt asks for the same JSON in words
            response = await self._drafting.send(self._drafting.post("chat/completions", body), self._describe)
        return bible_request.parse_bible(_message_content(response.content))

    async def aclose(self) -> None:
        try:
            await self._service.aclose()
        finally:
            await self._drafting.aclose()

    async def stream_scenes(self, request: TextRequest) -> AsyncGenerator[TextEvent, None]:
        index = request.start
        earlier = list(request.earlier)
        for round_number in range(MAX_ROUNDS):
            if index >= request.end:
                return
            part = request.model_copy(update={"start": index, "earlier": tuple(earlier)})
            before = index
            async with aclosing(self._one_request(part)) as events:
                async for event in events:
                    if isinstance(event, SceneWritten):
                        earlier.append(event.scene)
                        index = event.index + 1
                    yield event
            if index == before:
                return  # a follow-up that brought nothing: the story ends short, and says so
            if index < request.end and round_number + 1 < MAX_ROUNDS:
                self._service.notify(
                    f"The AI service wrote {index - request.start} of {request.wanted} scenes; asking for the rest…"
                )

    async def _open(self, request: TextRequest) -> httpx.Response:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": chat_messages(request),
            "stream": True,
            "temperature": self._temperature,
        }
        if self._use_schema:
            body["response_format"] = response_format()
        try:
            return await self._service.send(self._service.post("chat/completions", body), self._describe, stream=True)
        except _SchemaRefused:
            self._use_schema = False
            del body["response_format"]  # plain instructions in the prompt ask for the same JSON
            return await self._service.send(self._service.post("chat/completions", body), self._describe, stream=True)

    def _describe(self, response: httpx.Response, body: bytes) -> ProviderError | None:
        said = server_message(body)
        if (
            self._use_schema
            and response.status_code in (400, 422)
            and re.search(r"response_format|json_schema|structured output", said, re.I)
        ):
            return _SchemaRefused("the server takes no JSON schema")
        return describe_openai_error(self._service, self.model, response, body)

    async def _one_request(self, request: TextRequest) -> AsyncGenerator[TextEvent, None]:
        response = await self._open(request)
        scanner = JsonSceneScanner()
        next_index = request.start
        try:
            async with aclosing(self._contents(response)) as contents:
                async for content in contents:
                    found = scanner.feed(content)
                    for scene in found.scenes:
                        if next_index < request.end:
                            yield SceneWritten(next_index, scene)
                            next_index += 1
                    if found.partial_text and next_index < request.end:
                        yield SceneStreaming(next_index, found.partial_text)
        except httpx.HTTPError as exc:
            raise self._service.transport_error(exc) from exc
        finally:
            await response.aclose()
        try:
            scenes = parse_scenes(scanner.raw)
        except SceneParseError:
            if next_index == request.start:
                raise
            return
        # Whatever the streaming scan could not follow (a numbered list, prose around the JSON) comes out here.
        for scene in scenes[next_index - request.start : request.end - request.start]:
            yield SceneWritten(next_index, scene)
            next_index += 1

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
