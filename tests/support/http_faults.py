"""A loopback HTTP server in a thread, with scripted faults, shared by the fake AI services the tests start."""

from __future__ import annotations

import base64
import io
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image


@dataclass
class Fault:
    """What the next matching request gets instead of a normal answer."""

    status: int = 500
    body: Any = None  # a dict is sent as JSON, bytes as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (released at once when the server stops)
    kind: str = ""  # a named misbehaviour the server understands ("bad_base64", "not_image", "malformed_json", …)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def png_bytes(width: int = 96, height: int = 64, colour: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoopbackHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def read_json(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw

    def record(self, body: Any) -> Recorded:
        entry = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        with self.server.lock:
            self.server.recorded.append(entry)
        return entry

    def send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            content_type = "application/json" if not isinstance(body, bytes) else "application/octet-stream"
            self.send_header("content-type", (headers or {}).get("content-type", content_type))
            for name, value in (headers or {}).items():
                if name.lower() != "content-type":
                    self.send_header(name, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer

    def answer_fault(self, fault: Fault) -> bool:
        """Send the fault when it is a plain status answer; False when the caller must act it out."""
        if fault.delay and self.server.stopping.wait(fault.delay):
            return True
        if fault.kind:
            return False
        self.send(fault.status, fault.body if fault.body is not None else {}, fault.headers)
        return True


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[QuietHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.lock = threading.Lock()
        self.recorded: list[Recorded] = []
        self.faults: dict[str, deque[Fault]] = {}
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), name="loopback-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)

    def fail_next(self, path: str, *faults: Fault) -> None:
        """The next len(faults) requests to `path` (the URL path) get these faults, in order."""
        with self.lock:
            self.faults.setdefault(path, deque()).extend(faults)

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(path)
            return queue.popleft() if queue else None

    def requests_to(self, path: str) -> list[Recorded]:
        with self.lock:
            return [entry for entry in self.recorded if entry.path == path]
