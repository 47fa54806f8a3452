"""Loopback servers for the Settings dialog's Test buttons: the model lists an OpenAI-compatible server and an
Automatic1111-compatible server answer with, over real HTTP."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ModelListServer(ThreadingHTTPServer):
    """GET /v1/models (bearer key checked) and GET /sdapi/v1/sd-models."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api_key = "sk-loopback-settings-0123456789"
        self.models = ["story-model", "picture-model"]
        self.sd_models = [{"title": "dreamy.safetensors", "model_name": "dreamy"}]
        self.txt2img_enabled = True
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ModelListServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server: ModelListServer

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: nothing on stderr

    def do_GET(self) -> None:
        if self.path == "/v1/models":
            if self.headers.get("authorization") != f"Bearer {self.server.api_key}":
                self._send(401, {"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}})
                return
            self._send(
                200, {"object": "list", "data": [{"id": name, "object": "model"} for name in self.server.models]}
            )
        elif self.path == "/sdapi/v1/sd-models" and self.server.txt2img_enabled:
            self._send(200, self.server.sd_models)
        else:
            self._send(404, {"detail": "Not Found"})

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
