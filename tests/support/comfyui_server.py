"""A loopback ComfyUI server speaking its wire format (server.py, execution.py, main.py of comfyanonymous/ComfyUI).

- POST /prompt {"prompt": graph, "client_id"} → {"prompt_id", "number", "node_errors": {}}; a graph that fails
  validation → 400 {"error": {"type", "message", "details", "extra_info"}, "node_errors": {id: {"errors": [...],
  "dependent_outputs": [...], "class_type"}}} (a checkpoint it does not have: `value_not_in_list` on ckpt_name).
- GET /ws?clientId=… upgrades to a real websocket (RFC 6455 framing by websockets' sans-I/O protocol); the first
  message is `status` with the client's sid. While a prompt runs, its client gets `execution_start`,
  `execution_cached`, `executing` per node, `progress` {value, max, prompt_id, node} from the KSampler with a
  binary preview frame between, `executed` {node, display_node, output: {images: [{filename, subfolder, type}]},
  prompt_id} from SaveImage, `execution_success`, and once /history has it, `executing` with node null. `status`
  goes to every socket when the queue changes.
- GET /history/{id}, GET /view?filename&subfolder&type, GET /object_info[/{class}], GET /queue, POST /queue
  {"delete"}, POST /interrupt.
Prompts run one at a time on a worker thread, as ComfyUI's do. `behaviour` scripts the next prompts.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import queue
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image
from websockets.protocol import State
from websockets.server import ServerProtocol

from tests.support.http_faults import LoopbackHTTPServer, QuietHandler, png_bytes

CHECKPOINTS = ["dreamshaper_8.safetensors", "sdxl/juggernautXL_v9.safetensors"]
STEPS = 4
OOM = (
    "Allocation on device \nThis error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked "
    "before you might have accidentally set the batch_size to a large number."
)
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _now() -> int:
    return int(time.time() * 1000)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 90, 90)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Queued:
    number: int
    prompt_id: str
    graph: dict[str, Any]
    client_id: str
    behaviour: str  # "paint", "error", "drop", "hold"
    outputs: list[str] = field(default_factory=list)

    def row(self) -> list[Any]:
        return [self.number, self.prompt_id, self.graph, {"client_id": self.client_id}, self.outputs]


class _Socket:
    """One websocket client: frames are written under a lock, from the handler's thread and the worker's."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.protocol = ServerProtocol(state=State.OPEN)
        self.lock = threading.Lock()

    def flush(self) -> None:
        data = b"".join(self.protocol.data_to_send())
        if data:
            self.connection.sendall(data)

    def send_json(self, kind: str, data: dict[str, Any]) -> None:
        self._send(lambda: self.protocol.send_text(json.dumps({"type": kind, "data": data}).encode()))

    def send_bytes(self, payload: bytes) -> None:
        self._send(lambda: self.protocol.send_binary(payload))

    def _send(self, frame: Any) -> None:
        with self.lock:
            if self.protocol.state is not State.OPEN:
                return
            try:
                frame()
                self.flush()
            except OSError:
                pass  # the client went away, as ComfyUI's send_socket_catch_exception shrugs

    def drop(self) -> None:
        """The connection breaks without a close frame (a server restart, a proxy timing out)."""
        with self.lock, contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class FakeComfyUIServer(LoopbackHTTPServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.checkpoints = list(CHECKPOINTS)
        self.combo_format = False  # newer servers list choices as ["COMBO", {"options": [...]}]
        self.image_bytes = png_bytes(128, 96, (60, 110, 170))
        self.websocket_enabled = True  # False: /ws answers 404 as behind a proxy without websockets
        self.behaviours: deque[str] = deque()  # for the next prompts, in order; "paint" when empty
        self.sockets: dict[str, _Socket] = {}
        self.history: dict[str, dict[str, Any]] = {}
        self.files: dict[tuple[str, str, str], bytes] = {}
        self.pending: list[Queued] = []
        self.running: Queued | None = None
        self.interrupted = threading.Event()
        self.queued: list[Queued] = []  # every prompt queued, as received
        self.arrived = threading.Condition(self.lock)
        self._work: queue.Queue[Queued | None] = queue.Queue()
        self._number = 0
        self._worker = threading.Thread(target=self._execute_all, name="fake-comfyui", daemon=True)

    def start(self) -> None:
        super().start()
        self._worker.start()

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client that drops a kept-alive connection (a cancelled request) is not a failure here

    def stop(self) -> None:
        self.interrupted.set()
        self._work.put(None)
        for client in list(self.sockets.values()):
            client.drop()
        super().stop()
        self._worker.join(timeout=5)

    # --- the queue ---

    def queue_prompt(self, graph: dict[str, Any], client_id: str) -> Queued:
        with self.lock:
            behaviour = self.behaviours.popleft() if self.behaviours else "paint"
            item = Queued(self._number, str(uuid.uuid4()), graph, client_id, behaviour, sorted(graph))
            self._number += 1
            self.queued.append(item)
            self.pending.append(item)
            self.arrived.notify_all()
        self._work.put(item)
        self.queue_updated()
        return item

    @property
    def prompts(self) -> list[dict[str, Any]]:
        """The graphs queued, as received."""
        with self.lock:
            return [item.graph for item in self.queued]

    def wait_for_prompts(self, count: int, timeout: float = 10.0) -> bool:
        """Blocking: until `count` prompts have been queued."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.queued) >= count, timeout)

    def queue_info(self) -> dict[str, Any]:
        with self.lock:
            return {
                "queue_running": [self.running.row()] if self.running else [],
                "queue_pending": [item.row() for item in self.pending],
            }

    def queue_updated(self) -> None:
        with self.lock:
            remaining = len(self.pending) + (1 if self.running else 0)
            clients = list(self.sockets.values())
        for client in clients:
            client.send_json("status", {"status": {"exec_info": {"queue_remaining": remaining}}})

    def delete_pending(self, prompt_ids: list[str]) -> None:
        with self.lock:
            self.pending = [item for item in self.pending if item.prompt_id not in prompt_ids]

    def interrupt(self, prompt_id: str | None) -> None:
        with self.lock:
            running = self.running
        if running is not None and prompt_id in (None, running.prompt_id):
            self.interrupted.set()

    # --- running a prompt ---

    def _execute_all(self) -> None:
        while (item := self._work.get()) is not None:
            with self.lock:
                if item not in self.pending:
                    continue  # deleted from the queue before it ran
                self.pending.remove(item)
                self.running = item
                self.interrupted.clear()
            self.queue_updated()
            try:
                self._execute(item)
            finally:
                with self.lock:
                    self.running = None
                self.queue_updated()

    def _client(self, item: Queued) -> _Socket | None:
        with self.lock:
            return self.sockets.get(item.client_id)

    def _send(self, item: Queued, kind: str, data: dict[str, Any]) -> None:
        client = self._client(item)
        if client is not None:
            client.send_json(kind, {**data, "prompt_id": item.prompt_id})

    def _execute(self, item: Queued) -> None:
        pid = item.prompt_id
        messages: list[list[Any]] = []
        self._send(item, "execution_start", {"timestamp": _now()})
        messages.append(["execution_start", {"prompt_id": pid, "timestamp": _now()}])
        self._send(item, "execution_cached", {"nodes": [], "timestamp": _now()})
        executed: list[str] = []
        outputs: dict[str, Any] = {}
        for node_id, node in item.graph.items():
            self._send(item, "executing", {"node": node_id, "display_node": node_id})
            kind = node["class_type"]
            if kind == "KSampler":
                failure = self._sample(item, node_id, executed)
                if failure is not None:
                    messages.append(failure)
                    self._finish(item, outputs, messages, "error")
                    return
            if kind == "SaveImage":
                image = self._save(node)
                outputs[node_id] = {"images": [image]}
                self._send(item, "executed", {"node": node_id, "display_node": node_id, "output": outputs[node_id]})
            executed.append(node_id)
        self._send(item, "execution_success", {"timestamp": _now()})
        messages.append(["execution_success", {"prompt_id": pid, "timestamp": _now()}])
        self._finish(item, outputs, messages, "success")

    def _sample(self, item: Queued, node_id: str, executed: list[str]) -> list[Any] | None:
        """The sampler's steps; the failure message ([kind, data]) when the prompt does not get past it."""
        base = {"prompt_id": item.prompt_id, "node_id": node_id, "node_type": "KSampler", "executed": executed}
        for step in range(1, STEPS + 1):
            self._send(item, "progress", {"value": step, "max": STEPS, "node": node_id})
            client = self._client(item)
            if client is not None:
                client.send_bytes(b"\x00\x00\x00\x01\x00\x00\x00\x01" + _jpeg())  # PREVIEW_IMAGE, JPEG
            if step == 1 and item.behaviour == "error":
                data = {
                    **base,
                    "exception_message": OOM,
                    "exception_type": "torch.OutOfMemoryError",
                    "traceback": ['  File "execution.py", line 1, in execute\n'],
                    "current_inputs": {},
                    "current_outputs": [],
                    "timestamp": _now(),
                }
                self._send(item, "execution_error", data)
                return ["execution_error", data]
            if step == 1 and item.behaviour == "drop" and client is not None:
                client.drop()
            if step == 1 and item.behaviour == "hold":
                self.interrupted.wait(timeout=30)
                data = {**base, "timestamp": _now()}
                self._send(item, "execution_interrupted", data)
                return ["execution_interrupted", data]
        return None

    def _save(self, node: dict[str, Any]) -> dict[str, str]:
        prefix = str(node["inputs"].get("filename_prefix", "ComfyUI"))
        with self.lock:
            count = len(self.files) + 1
            image = {"filename": f"{prefix}_{count:05d}_.png", "subfolder": "", "type": "output"}
            self.files[(image["filename"], image["subfolder"], image["type"])] = self.image_bytes
        return image

    def _finish(self, item: Queued, outputs: dict[str, Any], messages: list[list[Any]], status: str) -> None:
        # As ComfyUI's prompt worker: the history first, then `executing` with node null.
        with self.lock:
            self.history[item.prompt_id] = {
                "prompt": item.row(),
                "outputs": outputs,
                "status": {"status_str": status, "completed": status == "success", "messages": messages},
                "meta": {},
            }
        self._send(item, "executing", {"node": None})

    # --- what the routes answer ---

    def object_info(self, node_class: str) -> dict[str, Any]:
        if node_class != "CheckpointLoaderSimple":
            return {}
        tooltip = {"tooltip": "The name of the checkpoint (model) to load."}
        names: list[Any] = (
            ["COMBO", {**tooltip, "options": self.checkpoints}]
            if self.combo_format
            else [
                self.checkpoints,
                tooltip,
            ]
        )
        return {
            node_class: {
                "input": {"required": {"ckpt_name": names}},
                "input_order": {"required": ["ckpt_name"]},
                "output": ["MODEL", "CLIP", "VAE"],
                "output_is_list": [False, False, False],
                "output_name": ["MODEL", "CLIP", "VAE"],
                "name": node_class,
                "display_name": "Load Checkpoint",
                "description": "Loads a diffusion model checkpoint.",
                "python_module": "nodes",
                "category": "loaders",
                "output_node": False,
            }
        }

    def validate(self, graph: Any) -> dict[str, Any] | None:
        """The 400 body for a graph ComfyUI's validate_prompt refuses, or None."""
        if not isinstance(graph, dict) or not all(isinstance(n, dict) and "class_type" in n for n in graph.values()):
            return {
                "error": {
                    "type": "invalid_prompt",
                    "message": "Cannot execute because a node is missing the class_type property.",
                    "details": "",
                    "extra_info": {},
                },
                "node_errors": {},
            }
        node_errors: dict[str, Any] = {}
        for node_id, node in graph.items():
            name = node["inputs"].get("ckpt_name")
            if node["class_type"] == "CheckpointLoaderSimple" and name not in self.checkpoints:
                node_errors[node_id] = {
                    "errors": [
                        {
                            "type": "value_not_in_list",
                            "message": "Value not in list",
                            "details": f"ckpt_name: '{name}' not in {self.checkpoints}",
                            "extra_info": {
                                "input_name": "ckpt_name",
                                "input_config": None,
                                "received_value": name,
                            },
                        }
                    ],
                    "dependent_outputs": [n for n, v in graph.items() if v["class_type"] == "SaveImage"],
                    "class_type": "CheckpointLoaderSimple",
                }
            if node["class_type"] == "KSampler" and not isinstance(node["inputs"].get("seed"), int):
                node_errors[node_id] = {
                    "errors": [
                        {
                            "type": "invalid_input_type",
                            "message": "Failed to convert an input value to a INT value",
                            "details": f"seed, {node['inputs'].get('seed')}",
                            "extra_info": {"input_name": "seed"},
                        }
                    ],
                    "dependent_outputs": [],
                    "class_type": "KSampler",
                }
        if not node_errors:
            return None
        return {
            "error": {
                "type": "prompt_outputs_failed_validation",
                "message": "Prompt outputs failed validation",
                "details": "",
                "extra_info": {},
            },
            "node_errors": node_errors,
        }


class _Handler(QuietHandler):
    server: FakeComfyUIServer

    def do_GET(self) -> None:
        self.record(None)
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
        path = url.path
        if path == "/ws":
            self._websocket(query.get("clientId") or uuid.uuid4().hex)
        elif path.startswith("/history/"):
            prompt_id = path.removeprefix("/history/")
            with self.server.lock:
                entry = self.server.history.get(prompt_id)
            self.send(200, {prompt_id: entry} if entry is not None else {})
        elif path == "/view":
            key = (query.get("filename", ""), query.get("subfolder", ""), query.get("type", "output"))
            with self.server.lock:
                data = self.server.files.get(key)
            if data is None:
                self.send(404, b"")
            else:
                self.send(200, data, {"content-type": "image/png"})
        elif path == "/object_info":
            self.send(200, self.server.object_info("CheckpointLoaderSimple"))
        elif path.startswith("/object_info/"):
            self.send(200, self.server.object_info(path.removeprefix("/object_info/")))
        elif path == "/queue":
            self.send(200, self.server.queue_info())
        else:
            self.send(404, b"404: Not Found")

    def do_POST(self) -> None:
        body = self.read_json()
        self.record(body)
        path = urlsplit(self.path).path
        if path == "/prompt":
            if not isinstance(body, dict) or "prompt" not in body:
                self.send(400, {"error": "no prompt", "node_errors": []})
                return
            refused = self.server.validate(body["prompt"])
            if refused is not None:
                self.send(400, refused)
                return
            item = self.server.queue_prompt(body["prompt"], str(body.get("client_id", "")))
            self.send(200, {"prompt_id": item.prompt_id, "number": item.number, "node_errors": {}})
        elif path == "/queue":
            self.server.delete_pending(list((body or {}).get("delete", [])))
            self.send(200, b"")
        elif path == "/interrupt":
            prompt_id = body.get("prompt_id") if isinstance(body, dict) else None
            self.server.interrupt(prompt_id)
            self.send(200, b"")
        else:
            self.send(404, b"404: Not Found")

    def _websocket(self, client_id: str) -> None:
        key = self.headers.get("sec-websocket-key")
        if not self.server.websocket_enabled or self.headers.get("upgrade", "").lower() != "websocket" or not key:
            self.send(404, b"404: Not Found")
            return
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        client = _Socket(self.connection)
        with self.server.lock:
            self.server.sockets[client_id] = client
            remaining = len(self.server.pending) + (1 if self.server.running else 0)
        client.send_json("status", {"status": {"exec_info": {"queue_remaining": remaining}}, "sid": client_id})
        self.connection.settimeout(0.05)
        try:
            while not self.server.stopping.is_set():
                try:
                    data = self.connection.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                with client.lock:
                    if data:
                        client.protocol.receive_data(data)
                    else:
                        client.protocol.receive_eof()
                    client.protocol.events_received()
                    try:
                        client.flush()  # the answer to a close frame or a ping
                    except OSError:
                        break
                if not data or client.protocol.state is State.CLOSED or client.protocol.close_expected():
                    break
        finally:
            with self.server.lock:
                if self.server.sockets.get(client_id) is client:
                    del self.server.sockets[client_id]
