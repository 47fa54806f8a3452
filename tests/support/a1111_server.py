"""A loopback Automatic1111-compatible server: POST /sdapi/v1/txt2img answers base64 images, or scripted faults
in the shapes the WebUI uses (FastAPI's {"detail": …}, its {"error", "errors"} for a failed generation). GET
/sdapi/v1/options names the checkpoint; the sd-webui-controlnet extension's GET routes answer when it is installed."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from typing import Any

from tests.support.http_faults import Fault, LoopbackHTTPServer, QuietHandler, b64, png_bytes

TXT2IMG = "/sdapi/v1/txt2img"
PROGRESS = "/internal/progress"
OPTIONS = "/sdapi/v1/options"
MODEL_LIST = "/controlnet/model_list"
MODULE_LIST = "/controlnet/module_list"
CONTROLNET_SETTINGS = "/controlnet/settings"
CONTROLNET_ROUTES = (MODEL_LIST, MODULE_LIST, CONTROLNET_SETTINGS)

CHECKPOINT = "sd15/dreamshaper_8.safetensors [879db523c3]"
# What the extension answers (new preprocessor names, an SD1.5 and an SDXL adapter, a FaceID one that needs more).
IP_ADAPTER_CONTROLNET: dict[str, Any] = {
    "model_list": [
        "control_v11p_sd15_canny [d14c016b]",
        "ip-adapter-faceid_sd15 [0a1757e9]",
        "ip-adapter_sdxl [d3265b34]",
        "ip-adapter-plus_sd15 [836b5c2e]",
    ],
    "module_list": ["none", "canny", "ip-adapter-auto", "ip-adapter_clip_g", "ip-adapter_clip_h", "openpose"],
    "control_net_unit_count": 3,
}

OUT_OF_MEMORY = {"error": "OutOfMemoryError", "detail": "", "body": "", "errors": "CUDA out of memory."}
VALIDATION = {"detail": [{"loc": ["body", "width"], "msg": "value is not a valid integer", "type": "type_error"}]}


class FakeA1111Server(LoopbackHTTPServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.api_enabled = True  # the WebUI without --api has no /sdapi routes
        self.credentials: tuple[str, str] | None = None  # --api-auth user:password
        self.image_bytes = png_bytes(128, 96, (170, 110, 60))
        self.image_failure: Callable[[str], str] | None = None  # prompt -> fault kind ("" for none)
        # The sd-webui-controlnet extension's answers ("model_list", "module_list", "control_net_unit_count");
        # None: not installed, its routes answer 404 as the WebUI does.
        self.controlnet: dict[str, Any] | None = None
        self.checkpoint = CHECKPOINT  # /sdapi/v1/options' sd_model_checkpoint
        self.info: dict[str, Any] = {"sd_model_name": "dreamshaper_8", "sd_model_hash": "879db523c3", "seed": 42}
        # Progress as the WebUI reports it on POST /internal/progress for a txt2img's `force_task_id`. With
        # `progress_steps`, a txt2img that names a task is painted in that many steps, one for each time its
        # progress is asked (no clock: the client's polling drives it), and answers once the last is reached.
        self.progress_steps = 0
        self.progress_enabled = True  # False: an older WebUI without the route (404)
        self._tasks: dict[str, int] = {}
        self._task_moved = threading.Condition()

    def task_step(self, task_id: str) -> float | None:
        """The fraction painted of a task as its progress is asked, one step further each time; None if unknown."""
        with self._task_moved:
            if task_id not in self._tasks:
                return None
            self._tasks[task_id] = min(self.progress_steps, self._tasks[task_id] + 1)
            self._task_moved.notify_all()
            return self._tasks[task_id] / self.progress_steps

    def paint_in_steps(self, task_id: str) -> None:
        """Hold the txt2img answer until its progress has been asked through every step (at most 10 s)."""
        with self._task_moved:
            self._tasks[task_id] = 0
            self._task_moved.wait_for(lambda: self._tasks[task_id] >= self.progress_steps, timeout=10)

    def prompts(self) -> list[str]:
        return [entry.body["prompt"] for entry in self.requests_to(TXT2IMG)]

    def alwayson_scripts(self) -> list[Any]:
        """Each txt2img request's `alwayson_scripts`, None where it had none."""
        return [entry.body.get("alwayson_scripts") for entry in self.requests_to(TXT2IMG)]


def _controlnet_answer(controlnet: dict[str, Any], path: str) -> dict[str, Any]:
    if path == MODEL_LIST:
        return {"model_list": controlnet.get("model_list", [])}
    if path == MODULE_LIST:
        return {"module_list": controlnet.get("module_list", []), "module_detail": {}}
    return {"control_net_unit_count": controlnet.get("control_net_unit_count", 3)}


class _Handler(QuietHandler):
    server: FakeA1111Server

    def do_GET(self) -> None:
        self.record(None)
        controlnet = self.server.controlnet
        if not (self.path == OPTIONS or (self.path in CONTROLNET_ROUTES and controlnet is not None)):
            self.send(404, {"detail": "Not Found"})
            return
        if not self._allowed():
            return
        fault = self.server.take_fault(self.path)
        if fault is not None and self.answer_fault(fault):
            return
        if fault is not None and fault.kind == "garbage":
            self.send(200, b"<html>Gateway</html>", {"content-type": "text/html"})
        elif fault is not None and fault.kind == "wrong_shape":
            self.send(200, {"model_list": "ip-adapter_sd15", "module_list": None, "control_net_unit_count": "3"})
        elif self.path == OPTIONS:
            self.send(200, {"sd_model_checkpoint": self.server.checkpoint, "samples_save": True})
        else:
            assert controlnet is not None
            self.send(200, _controlnet_answer(controlnet, self.path))

    def do_POST(self) -> None:
        body = self.read_json()
        self.record(body)
        if self.path == PROGRESS and self.server.progress_enabled:
            self._answer_progress(body)
            return
        if self.path != TXT2IMG or not self._allowed():
            return
        task_id = body.get("force_task_id") if isinstance(body, dict) else None
        if self.server.progress_steps and isinstance(task_id, str):
            self.server.paint_in_steps(task_id)
        fault = self.server.take_fault(self.path)
        if fault is not None and self.answer_fault(fault):
            return
        kind = fault.kind if fault is not None else ""
        if not kind and self.server.image_failure is not None:
            kind = self.server.image_failure(body.get("prompt", "") if isinstance(body, dict) else "")
        self._answer(kind, body)

    def _answer_progress(self, body: Any) -> None:
        """modules/progress.py's ProgressResponse: an unknown task is neither active nor queued."""
        task_id = body.get("id_task") if isinstance(body, dict) else None
        fraction = self.server.task_step(task_id) if isinstance(task_id, str) else None
        active = fraction is not None and fraction < 1
        self.send(
            200,
            {
                "active": active,
                "queued": False,
                "completed": fraction is not None and not active,
                "progress": fraction if active else None,
                "eta": 1.0 if active else None,
                "live_preview": None,
                "id_live_preview": -1,
                "textinfo": "In progress" if active else None,
            },
        )

    def _allowed(self) -> bool:
        """False once it has answered: no API (the WebUI without --api), or a login that is missing or wrong."""
        if not self.server.api_enabled:
            self.send(404, {"detail": "Not Found"})
            return False
        if self.server.credentials is not None:
            user, password = self.server.credentials
            expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
            if self.headers.get("authorization") != expected:
                self.send(401, {"detail": "Incorrect credentials"}, {"www-authenticate": "Basic"})
                return False
        return True

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
            info = json.dumps(self.server.info)  # the WebUI sends info as a JSON string inside the JSON answer
            self.send(200, {"images": [data or b64(self.server.image_bytes)], "parameters": body, "info": info})


__all__ = [
    "CHECKPOINT",
    "CONTROLNET_ROUTES",
    "CONTROLNET_SETTINGS",
    "IP_ADAPTER_CONTROLNET",
    "MODEL_LIST",
    "MODULE_LIST",
    "OPTIONS",
    "OUT_OF_MEMORY",
    "PROGRESS",
    "TXT2IMG",
    "VALIDATION",
    "FakeA1111Server",
    "Fault",
]
