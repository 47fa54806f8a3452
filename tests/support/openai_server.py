"""A loopback OpenAI-compatible server: streaming chat completions (SSE) and /v1/images/generations (b64_json).

It writes the scenes it is asked for ("Write scenes 3 to 6") in the style the test sets (JSON, fenced JSON in
prose, a numbered list, headed sections tidy or broken, too many or too few), with the quirks of a small local model
when asked (issue 14: an endless list cut only by max_tokens, placeholders, copies, scenes that share a title,
follow-ups renumbered from scene 1), and records how much of each stream it sent before the client hung up. It
drafts a story bible when asked for one (by the "story_bible" schema, or without a schema by the bible's system
prompt), and acts out scripted faults in OpenAI's error shapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop.generation import bible_request
from tests.support.http_faults import Fault, LoopbackHTTPServer, QuietHandler, b64, png_bytes

CHAT = "/v1/chat/completions"
IMAGES = "/v1/images/generations"
FILES = "/files/picture.png"


def openai_error(message: str, code: str | None = None, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


_NOT_NAMES = {"The", "A", "An", "In", "On", "At", "When", "After", "Before", "One", "Two", "Her", "His", "Their"}


def bible_for(user_message: str) -> dict[str, Any]:
    """A sensible bible for a bible request: its people are the writer's characters, or else the capitalised names in
    what the story is about."""
    given = re.search(r"^The writer's characters[^:]*: (.+)$", user_message, re.M)
    about = re.search(r"^What the story is about: (.+)$", user_message, re.M)
    if given:
        names = [part.split(",")[0].strip() for part in re.split(r"[;\n]", given.group(1)) if part.strip()]
    else:
        words = re.findall(r"\b[A-Z][a-z]+\b", about.group(1) if about else "")
        names = list(dict.fromkeys(word for word in words if word not in _NOT_NAMES))[:3] or ["Ama"]
    return {
        "style": "Ink and watercolour, muted blues and ochres, quiet and wistful",
        "notes": "The salt gate opens only at the turn of the tide.",
        "characters": [
            {
                "name": name,
                "role": "keeper" if number == 0 else "companion",
                "description": f"{name} knows the old roads by heart.",
                "look": f"{name} has a weathered face, short dark hair, a lean build and a long grey oilskin coat.",
            }
            for number, name in enumerate(names)
        ],
        "places": [
            {
                "name": "The Salt Gate",
                "description": "The sea wall's one door.",
                "look": "A squat stone arch crusted white, lanterns on iron hooks.",
            }
        ],
    }


def is_bible_request(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    schema = (body.get("response_format") or {}).get("json_schema") or {}
    messages = body.get("messages") or [{}]
    return schema.get("name") == "story_bible" or messages[0].get("content") == bible_request.SYSTEM_PROMPT


_ORDINALS = ["last", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]


def scene_for(number: int) -> dict[str, str]:
    return {
        "title": f"The Gate, Part {number}",
        "text": (
            f"Scene {number} begins at the salt gate.\nAma waits with the letter, counting the lanterns on their "
            f"iron hooks for the {_ORDINALS[number % len(_ORDINALS)]} time, while the sea breathes against the wall "
            "and the gulls settle on the stones."
        ),
        "image_prompt": f"Ama at the salt gate with a lantern, moment {number}",
    }


# llama.cpp's server stops a model at 2048 tokens when the request sets no max_tokens.
SERVER_TOKEN_CAP = 2048
CHARS_PER_TOKEN = 4


@dataclass
class StreamLog:
    """One streamed answer: how many chunks it had, how many went out, whether the client hung up before the end."""

    chunks: int
    sent: int = 0
    hung_up: bool = False
    finished: bool = False


class FakeOpenAIServer(LoopbackHTTPServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.api_key = "sk-test-loopback-0123456789"
        self.chat_models = {"story-model"}
        self.image_models = {"picture-model", "gpt-image-1"}
        self.answer_style = "json"  # json | fenced | numbered | garbage | sections | broken_sections
        self.max_scenes_per_answer: int | None = None  # stop short, as a small model does
        self.extra_scenes = 0  # write more than asked
        # After the scenes asked, the list again from scene 1, on and on until max_tokens (or SERVER_TOKEN_CAP).
        self.endless = False
        self.placeholders: dict[int, str] = {}  # scene number -> the text written instead of the scene
        self.placeholder_answers: int | None = None  # how many answers carry the placeholders (None: all)
        self.repeated: set[int] = set()  # scenes written twice in a row, word for word
        self.same_title: str | None = None  # every scene under this one title
        self.renumber = False  # a follow-up starts again from scene 1, retelling what was written
        self.runaway_scene: int | None = None  # this scene's text never ends ("E.C.A.A.P.…" until max_tokens)
        self.streams: list[StreamLog] = []
        self.refuse_schema = False  # answer 400 to a response_format, as older servers do
        self.chunk_size = 7
        self.chunk_pause = 0.0
        self.drop_after_chars: int | None = None  # break the stream off half way
        self.image_bytes: bytes = png_bytes()
        self.image_failure: Callable[[str], str] | None = None  # prompt -> fault kind ("" for none)
        # The answer to a bible request: None for bible_for(the request), a dict sent as JSON, a string as it is.
        self.bible_answer: dict[str, Any] | str | None = None

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def chat_bodies(self) -> list[dict[str, Any]]:
        """The requests for scenes (a bible request is in bible_bodies)."""
        return [entry.body for entry in self.requests_to(CHAT) if not is_bible_request(entry.body)]

    def bible_bodies(self) -> list[dict[str, Any]]:
        return [entry.body for entry in self.requests_to(CHAT) if is_bible_request(entry.body)]

    def image_prompts(self) -> list[str]:
        return [entry.body["prompt"] for entry in self.requests_to(IMAGES)]

    def answer_for(self, first: int, last: int, max_tokens: int | None = None, *, inserted: bool = False) -> str:
        count = last - first + 1 + self.extra_scenes
        if self.max_scenes_per_answer is not None:
            count = min(count, self.max_scenes_per_answer)
        numbers = list(range(1 if self.renumber else first, first + count))
        if self.endless:
            numbers += list(range(1, last + 1)) * 40
        with self.lock:
            placeholders = self.placeholders if self.placeholder_answers != 0 else {}
            if placeholders and self.placeholder_answers is not None and set(placeholders) & set(numbers):
                self.placeholder_answers -= 1
        scenes: list[tuple[int, dict[str, str]]] = []
        for number in numbers:
            scene = scene_for(number)
            if inserted:
                scene["title"] += " (between)"
                scene["text"] = scene["text"].replace("begins at", "goes on by")
            if number in placeholders:
                scene["text"] = placeholders[number]
            if self.same_title is not None:
                scene["title"] = self.same_title
            scenes += [(number, scene)] * (2 if number in self.repeated else 1)
        content = self._format(scenes)
        if self.runaway_scene is not None and self.runaway_scene in numbers:
            before = [scene for number, scene in scenes if number < self.runaway_scene]
            content = json.dumps({"scenes": before})[:-2] + (", " if before else "")
            content += '{"title": "salt_gate", "text": "' + "E.C.A.A.P.S.L.R.S.A.S.N.R.I.B." * 2000
        if self.endless or self.runaway_scene is not None:
            content = content[: (max_tokens or SERVER_TOKEN_CAP) * CHARS_PER_TOKEN]
        return content

    def _format(self, numbered: list[tuple[int, dict[str, str]]]) -> str:
        scenes = [scene for _, scene in numbered]
        if self.answer_style == "fenced":
            return f"Here is your story!\n\n```json\n{json.dumps({'scenes': scenes}, indent=2)}\n```\nEnjoy."
        if self.answer_style == "numbered":
            return "\n\n".join(
                f"{n}. **{s['title']}**\n{s['text']}\nImage prompt: {s['image_prompt']}" for n, s in numbered
            )
        if self.answer_style == "sections":
            return "\n\n".join(
                f"## Scene {n}: {s['title']}\n\n{s['text']}\n\nPicture: {s['image_prompt']}" for n, s in numbered
            )
        if self.answer_style == "broken_sections":
            return _broken_sections(numbered)
        if self.answer_style == "garbage":
            return "I'm sorry, I cannot help with that today."
        return json.dumps({"scenes": scenes})

    def stream_log(self) -> list[StreamLog]:
        """The streamed scene answers, oldest first."""
        with self.lock:
            return list(self.streams)


def _broken_sections(numbered: list[tuple[int, dict[str, str]]]) -> str:
    """Headed sections as a small model half follows them: chatter first, bold and "###" headings, numbering that
    starts again, a missing picture line, a picture under another name, a goodbye at the end."""
    parts = ["Sure! Here is the story you asked for:", ""]
    for position, (_, scene) in enumerate(numbered):
        heading = [
            f"**Scene {position + 1} - {scene['title']}**",
            f"### Scene 1: {scene['title']}",  # restarts at 1
            f"Scene {position + 1}:\nTitle: {scene['title']}",
        ][position % 3]
        parts += [heading, scene["text"]]
        if position % 3 == 1:
            parts.append(f"**Image:** {scene['image_prompt']}")
        elif position % 3 == 2:
            parts.append(f"Picture: {scene['image_prompt']}")
        parts.append("")
    parts.append("I hope you enjoy this story! Let me know if you want changes.")
    return "\n".join(parts)


class _Handler(QuietHandler):
    server: FakeOpenAIServer

    def do_GET(self) -> None:
        self.record(None)
        if self.path == FILES:
            self.send(200, self.server.image_bytes, {"content-type": "image/png"})
        else:
            self.send(404, openai_error("Not found"))

    def do_POST(self) -> None:
        body = self.read_json()
        self.record(body)
        path = self.path
        fault = self.server.take_fault(path)
        if fault is not None and self.answer_fault(fault):
            return
        if self.headers.get("authorization") != f"Bearer {self.server.api_key}":
            self.send(401, openai_error("Incorrect API key provided: sk-wr***ng.", "invalid_api_key"))
            return
        if path == CHAT:
            self._chat(body, fault)
        elif path == IMAGES:
            self._image(body, fault)
        else:
            self.send(404, openai_error(f"Unknown request URL: POST {path}.", "unknown_url"))

    def _chat(self, body: dict[str, Any], fault: Fault | None) -> None:
        model = body.get("model")
        if model not in self.server.chat_models:
            message = f"The model `{model}` does not exist or you do not have access to it."
            self.send(404, openai_error(message, "model_not_found"))
            return
        if self.server.refuse_schema and "response_format" in body:
            self.send(400, openai_error("'response_format' of type 'json_schema' is not supported with this model"))
            return
        if is_bible_request(body):
            answer = self.server.bible_answer
            if answer is None:
                answer = bible_for(body["messages"][-1]["content"])
            content = answer if isinstance(answer, str) else json.dumps(answer)
        else:
            asked = re.search(r"Write scenes? (\d+)(?: to (\d+))?", body["messages"][-1]["content"])
            first = int(asked.group(1)) if asked else 1
            last = int(asked.group(2) or first) if asked else 3
            # A scene inserted between two others is a new one, not the old scene of that number word for word
            # (which the provider would rightly turn down as a copy of the scene after it).
            inserted = re.search(r"^Scene \d+ is new:", body["messages"][-1]["content"], re.M) is not None
            content = self.server.answer_for(first, last, body.get("max_tokens"), inserted=inserted)
        if fault is not None and fault.kind == "malformed_json":
            self.send(200, b'{"choices": [{"message": ', {"content-type": "application/json"})
        elif fault is not None and fault.kind == "error_in_stream":
            self._stream(content[:40], error="The server had an error while processing your request.")
        elif body.get("stream"):
            self._stream(content)
        else:
            message = {"role": "assistant", "content": content}
            self.send(200, {"object": "chat.completion", "choices": [{"index": 0, "message": message}]})

    def _stream(self, content: str, error: str = "") -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        size = self.server.chunk_size
        limit = self.server.drop_after_chars
        log = StreamLog(chunks=-(-len(content) // size))
        with self.server.lock:
            self.server.streams.append(log)
        try:
            for start in range(0, len(content), size):
                if limit is not None and start >= limit:
                    return  # the connection breaks off: no [DONE]
                piece = content[start : start + size]
                chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": piece}}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                log.sent += 1
                if self.server.chunk_pause:
                    self.server.stopping.wait(self.server.chunk_pause)
            if error:
                self.wfile.write(f"data: {json.dumps(openai_error(error, kind='server_error'))}\n\n".encode())
                return
            done = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
            log.finished = True
        except (BrokenPipeError, ConnectionResetError):
            log.hung_up = True

    def _image(self, body: dict[str, Any], fault: Fault | None) -> None:
        model = body.get("model")
        if model not in self.server.image_models:
            self.send(404, openai_error(f"The model `{model}` does not exist.", "model_not_found"))
            return
        kind = fault.kind if fault is not None else ""
        if not kind and self.server.image_failure is not None:
            kind = self.server.image_failure(body.get("prompt", ""))
        if kind == "malformed_json":
            self.send(200, b'{"data": [{"b64_json": "iVBOR', {"content-type": "application/json"})
        elif kind == "bad_base64":
            self.send(200, {"created": 1, "data": [{"b64_json": "@@ not base64 @@"}]})
        elif kind == "not_image":
            self.send(200, {"created": 1, "data": [{"b64_json": b64(b"<html><body>Gateway</body></html>")}]})
        elif kind == "url":
            self.send(200, {"created": 1, "data": [{"url": f"{self.server.url}{FILES}"}]})
        elif kind == "safety":
            message = "Your request was rejected as a result of our safety system."
            self.send(400, openai_error(message, "content_policy_violation"))
        else:
            self.send(200, {"created": 1, "data": [{"b64_json": b64(self.server.image_bytes)}]})
