"""A loopback Automatic1111-compatible server: POST /sdapi/v1/txt2img answers base64 images, or scripted faults
in the shapes the WebUI uses (FastAPI's {"detail": …}, its {"error", "errors"} for a failed generation)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from tests.support.http_faults import Fault, LoopbackHTTPServer, QuietHandler, b64, png_bytes

TXT2IMG = "/sdapi/v1/txt2img"

OUT_OF_MEMORY = {"error": "OutOfMemoryError", "detail": "", "body": "", "errors": "CUDA out of memory."}
VALIDATION = {"detail": [{"loc": ["body", "width"], "msg": "value is not a valid integer", "type": "type_error"}]}


class FakeA1111Server(LoopbackHTTPServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.api_enabled = True  # the WebUI without --api has no /sdapi routes
        self.credentials: tuple[str, str] | None = None  # --api-auth user:password
        self.image_bytes = png_bytes(128, 96, (170, 110, 60))
        self.image_failure: Callable[[str], str] | None = None  # prompt -> fault kind ("" for none)

    def prompts(self) -> list[str]:
        return [entry.body["prompt"] for entry in self.requests_to(TXT2IMG)]


class _Handler(QuietHandler):
    server: FakeA1111Server

    def do_POST(self) -> None:
        body = self.read_json()
        self.record(body)
        if self.path != TXT2IMG or not self.server.api_enabled:
            self.send(404, {"detail": "Not Found"})
            return
        if self.server.credentials is not None:
            user, password = self.server.credentials
            expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
            if self.headers.get("authorization") != expected:
                self.send(401, {"detail": "Incorrect credentials"}, {"www-authenticate": "Basic"})
                return
        fault = self.server.take_fault(self.path)
        if fault is not None and self.answer_fault(fault):
            return
        kind = fault.kind if fault is not None else ""
        if not kind and self.server.image_failure is not None:
            kind = self.server.image_failure(body.get("prompt", "") if isinstance(body, dict) else "")
        self._answer(kind, body)

    def _answer(self, kind: str, body: Any) -> None:
        if kind == "malformed_json":
            self.send(200, b'{"images": ["iVBOR', {"content-type": "application/json"})
        elif kind == "bad_base64":
            self.send(200, {"images": ["%%% definitely not base64 %%%"], "parameters": {}, "info": "{}"})
        elif kind == "not_image":
            self.send(200, {"images": [b64(b"GIF89a? no, just text")], "parameters": {}, "info": "{}"})
        elif kind == "no_images":
            self.send(200, {"images": [], "parameters": {}, "info": "{}"})
        else:
            data = "data:image/png;base64," + b64(self.server.image_bytes) if kind == "data_url" else None
            self.send(200, {"images": [data or b64(self.server.image_bytes)], "parameters": body, "info": "{}"})


__all__ = ["OUT_OF_MEMORY", "TXT2IMG", "VALIDATION", "FakeA1111Server", "Fault"]
