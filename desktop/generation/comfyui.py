"""Images from a ComfyUI server: the workflow (comfyui_workflow.py) filled for the scene and queued with POST /prompt,
followed on the /ws websocket (progress, done, errors), the picture read from /history and /view.

Cancel interrupts the prompt when it is ours that runs (POST /interrupt), or takes it out of the queue. A websocket
that cannot be opened or drops is replaced by polling /history, for a bounded time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from concurrent.futures import Executor
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidURI, WebSocketException

from desktop.generation.base import ImageAbilities, ImageProgress, ImageRequest, Notify
from desktop.generation.comfyui_workflow import CHECKPOINT_LOADER, Filling, Workflow, load_workflow
from desktop.generation.errors import BadResponse, ProviderError, ProviderTimeout, ProviderUnreachable
from desktop.generation.http import HttpService, host_of
from desktop.retry import RetryPolicy

log = logging.getLogger(__name__)

NEGATIVE_PROMPT = "text, letters, watermark, signature, blurry, deformed"
ABILITIES = ImageAbilities(seed=True, note="ComfyUI keeps each story's seed; portraits are not sent by this workflow.")
# What the server is asked on a cancel must not hold the cancel up for long.
STOP_TIMEOUT = 5.0
# How long, after the websocket dropped, /history is polled for the picture.
POLL_LIMIT = 600.0
_LINE_MAX = 300
GONE = "ComfyUI no longer has this picture in its queue or history — try again."

State = Literal["done", "queued", "gone"]


def comfyui_label(base_url: str) -> str:
    return f"ComfyUI at {host_of(base_url)}"


def _multiple_of_8(value: int) -> int:
    return max(64, value // 8 * 8)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _one_line(text: Any) -> str:
    line = " ".join(str(text or "").split())
    return line[:_LINE_MAX] + ("…" if len(line) > _LINE_MAX else "")


def websocket_url(base_url: str, client_id: str) -> str:
    parts = urlsplit(base_url.rstrip("/"))
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, f"{parts.path}/ws", f"clientId={client_id}", ""))


def checkpoint_names(info: Any) -> list[str]:
    """The checkpoints /object_info/CheckpointLoaderSimple lists: input.required.ckpt_name is [[names…], {…}] on
    most servers, ["COMBO", {"options": [names…]}] on newer ones."""
    try:
        spec = info[CHECKPOINT_LOADER]["input"]["required"]["ckpt_name"]
    except (KeyError, TypeError):
        return []
    if not isinstance(spec, list) or not spec:
        return []
    names = spec[0]
    if names == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
        names = spec[1].get("options")
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []


def refusal(body: bytes, checkpoint: str) -> ProviderError:
    """One line for POST /prompt's 400: {"error": {"type", "message", "details"}, "node_errors": {id: {"errors":
    [{"type", "message", "details", "extra_info": {"input_name", "received_value"}}], "class_type"}}}."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return ProviderError(f"ComfyUI refused the workflow: {_one_line(body.decode('utf-8', 'replace'))}")
    node_errors = data.get("node_errors")
    for node in node_errors.values() if isinstance(node_errors, dict) else ():
        errors = node.get("errors") if isinstance(node, dict) else None
        for error in errors if isinstance(errors, list) else ():
            if not isinstance(error, dict):
                continue
            extra = _dict(error.get("extra_info"))
            if error.get("type") == "value_not_in_list" and extra.get("input_name") == "ckpt_name":
                name = extra.get("received_value") or checkpoint
                return ProviderError(f"ComfyUI has no checkpoint named {name} — pick one in Settings.")
            said = ": ".join(_one_line(error.get(key)) for key in ("message", "details") if error.get(key))
            return ProviderError(f"ComfyUI refused the workflow: {node.get('class_type', 'a node')} — {said}")
    error = data.get("error")
    if isinstance(error, dict):
        said = ": ".join(_one_line(error.get(key)) for key in ("message", "details") if error.get(key))
    else:
        said = _one_line(error)
    return ProviderError(f"ComfyUI refused the workflow: {said or 'no reason given'}")


def failure_line(kind: str, data: dict[str, Any]) -> str:
    """The writer's line for an `execution_error` or `execution_interrupted` message (or their /history copies)."""
    if kind == "execution_interrupted":
        return "ComfyUI stopped painting this picture (it was interrupted there) — try again."
    lines = [line for line in str(data.get("exception_message") or "").splitlines() if line.strip()]
    node = data.get("node_type") or "a node"
    reason = _one_line(lines[0]) if lines else "no reason given"
    return f"ComfyUI failed while painting ({node}): {reason}"


class ComfyUIProvider:
    def __init__(
        self,
        *,
        base_url: str,
        executor: Executor,
        timeout: float,
        workflow: str = "",
        checkpoint: str = "",
        notify: Notify | None = None,
        policy: RetryPolicy | None = None,
        poll_interval: float = 1.0,
        poll_limit: float = POLL_LIMIT,
    ) -> None:
        self.label = comfyui_label(base_url)
        self.model = checkpoint  # the checkpoint that painted the last picture
        self._base_url = base_url
        self._executor = executor
        self._timeout = timeout
        self._workflow_path = workflow
        self._checkpoint_setting = checkpoint.strip()
        self._poll_interval = poll_interval
        self._poll_limit = poll_limit
        # Read once per provider (one run): scenes painted side by side wait for the same file and the same answer.
        self._preparing = asyncio.Lock()
        self._workflow: Workflow | None = None
        self._checkpoint: str | None = None
        # A login in the address (http://user:password@host:8188, behind a proxy) is scrubbed from every message.
        password = httpx.URL(base_url).password or ""
        self._service = HttpService(
            name="ComfyUI", base_url=base_url, timeout=timeout, secret=password, policy=policy, notify=notify
        )

    async def aclose(self) -> None:
        await self._service.aclose()

    async def abilities(self) -> ImageAbilities:
        return ABILITIES

    async def paint(self, request: ImageRequest) -> bytes:
        return await self.paint_with_progress(request, lambda _: None)

    async def paint_with_progress(self, request: ImageRequest, progress: ImageProgress) -> bytes:
        workflow, checkpoint = await self._prepared()
        graph = workflow.fill(
            Filling(
                prompt=request.prompt,
                negative_prompt=NEGATIVE_PROMPT,
                checkpoint=checkpoint,
                seed=request.seed,
                width=_multiple_of_8(request.width),
                height=_multiple_of_8(request.height),
            )
        )
        client_id = uuid.uuid4().hex
        socket = await self._open_socket(client_id)
        try:
            prompt_id = await self._queued(graph, client_id, checkpoint)
            try:
                await self._follow(socket, prompt_id, progress)
            except asyncio.CancelledError:
                await self._stop(prompt_id)
                raise
        finally:
            if socket is not None:
                await socket.close()
        image = await self._picture(prompt_id, graph)
        self.model = checkpoint or workflow.fixed_checkpoint() or self.model
        return image

    # --- before the first picture ---

    async def _prepared(self) -> tuple[Workflow, str]:
        async with self._preparing:
            if self._workflow is None:
                future = self._executor.submit(load_workflow, self._workflow_path)
                self._workflow = await asyncio.wrap_future(future)
            if self._checkpoint is None:
                uses = "checkpoint" in self._workflow.placeholders
                self._checkpoint = await self._first_checkpoint() if uses and not self._checkpoint_setting else ""
                self._checkpoint = self._checkpoint or self._checkpoint_setting
            return self._workflow, self._checkpoint

    async def checkpoints(self) -> list[str]:
        response = await self._get(f"object_info/{CHECKPOINT_LOADER}")
        return checkpoint_names(self._json(response, "the list of checkpoints"))

    async def _first_checkpoint(self) -> str:
        names = await self.checkpoints()
        if not names:
            raise ProviderError(
                f"ComfyUI at {self._service.host} has no checkpoint — put one in its models/checkpoints folder, "
                "then try again."
            )
        return names[0]

    # --- queue and follow ---

    async def _open_socket(self, client_id: str) -> ClientConnection | None:
        """The websocket, opened before the prompt is queued so that no message about it is missed; None when the
        server answers HTTP but not the websocket (a proxy in between): the picture is then polled for."""
        url = websocket_url(self._base_url, client_id)
        try:
            # No flow control (max_queue): messages that came while we were not reading must not stall close().
            return await connect(
                url, open_timeout=min(self._timeout, 15.0), max_size=2**24, max_queue=None, close_timeout=STOP_TIMEOUT
            )
        except InvalidURI as exc:
            host = self._service.host
            raise ProviderError(f"ComfyUI's address ({host}) is not valid — check it in Settings.") from exc
        except InvalidHandshake as exc:
            log.warning("ComfyUI's websocket at %s refused: %s; polling instead", self._service.host, exc)
            return None
        except (OSError, TimeoutError) as exc:
            raise ProviderUnreachable(
                f"Cannot reach ComfyUI at {self._service.host} — check the address in Settings and that ComfyUI "
                "is running."
            ) from exc

    async def _queued(self, graph: dict[str, Any], client_id: str, checkpoint: str) -> str:
        """The prompt's id once queued. A cancel while POST /prompt is under way waits (briefly) for its answer,
        so that a prompt the server took is taken out of its queue again, not painted for nobody."""
        queuing = asyncio.ensure_future(self._queue(graph, client_id, checkpoint))
        try:
            return await asyncio.shield(queuing)
        except asyncio.CancelledError:
            try:
                async with asyncio.timeout(STOP_TIMEOUT):
                    prompt_id = await queuing
            except (ProviderError, TimeoutError):
                queuing.cancel()
            else:
                await self._stop(prompt_id)
            raise

    async def _queue(self, graph: dict[str, Any], client_id: str, checkpoint: str) -> str:
        def describe(response: httpx.Response, body: bytes) -> ProviderError | None:
            return refusal(body, checkpoint) if response.status_code == 400 else None

        request = self._service.post("prompt", {"prompt": graph, "client_id": client_id})
        response = await self._service.send(request, describe)
        answer = self._json(response, "the queued prompt")
        prompt_id = answer.get("prompt_id") if isinstance(answer, dict) else None
        if not isinstance(prompt_id, str) or not prompt_id:
            raise BadResponse("ComfyUI queued the picture without saying which prompt it is.")
        return prompt_id

    async def _follow(self, socket: ClientConnection | None, prompt_id: str, progress: ImageProgress) -> None:
        """Until our prompt is done (`executing` with node null). ComfyUI sends our
        prompt's messages to our client id, and `status` (the queue) to everyone."""
        if socket is None:
            await self._poll(prompt_id)
            return
        while True:
            try:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for loses a cancel that comes with a message.
                async with asyncio.timeout(self._timeout):
                    message = await socket.recv()
            except TimeoutError:
                # Quiet for a whole timeout: a long queue ahead of ours, or a server that forgot it.
                state = await self._state(prompt_id)
                if state == "gone":
                    raise ProviderError(GONE) from None
                if state == "done":
                    return
                continue
            except (WebSocketException, OSError) as exc:
                log.warning("ComfyUI's websocket at %s dropped (%s); polling /history", self._service.host, exc)
                await self._poll(prompt_id)
                return
            if isinstance(message, bytes):
                continue  # a preview picture while it samples
            try:
                event = json.loads(message)
                kind, data = event["type"], event["data"]
            except (ValueError, KeyError, TypeError):
                continue
            if not isinstance(data, dict) or data.get("prompt_id") != prompt_id:
                continue
            if kind == "progress":
                value, most = data.get("value"), data.get("max")
                if isinstance(value, int | float) and isinstance(most, int | float) and most > 0:
                    progress(min(1.0, max(0.0, value / most)))
            elif kind == "executing" and data.get("node") is None:
                return  # sent once /history has the outputs (`execution_success` comes before that)
            elif kind in ("execution_error", "execution_interrupted"):
                raise ProviderError(failure_line(kind, data))

    async def _poll(self, prompt_id: str) -> None:
        started = time.monotonic()
        while (state := await self._state(prompt_id)) != "done":
            if state == "gone":
                raise ProviderError(GONE)
            if time.monotonic() - started > self._poll_limit:
                raise ProviderTimeout(
                    f"ComfyUI at {self._service.host} has not finished the picture within {self._poll_limit:g} s — "
                    "try again."
                )
            await asyncio.sleep(self._poll_interval)

    async def _state(self, prompt_id: str) -> State:
        """Done (in /history; an error there is raised), queued (running or waiting in /queue), or gone."""
        entry = await self._history(prompt_id)
        if entry is not None:
            status = _dict(entry.get("status"))
            if status.get("status_str") == "error":
                messages = status.get("messages")
                for message in messages if isinstance(messages, list) else ():
                    kind, data = (
                        (message[0], message[1]) if isinstance(message, list) and len(message) > 1 else ("", {})
                    )
                    if kind in ("execution_error", "execution_interrupted") and isinstance(data, dict):
                        raise ProviderError(failure_line(kind, data))
                raise ProviderError("ComfyUI failed while painting — its window says why.")
            return "done"
        queue = self._json(await self._get("queue"), "the queue")
        for key in ("queue_running", "queue_pending"):
            items = queue.get(key) if isinstance(queue, dict) else None
            # Each item is [number, prompt_id, prompt, extra_data, outputs_to_execute, …].
            if any(isinstance(item, list) and len(item) > 1 and item[1] == prompt_id for item in items or ()):
                return "queued"
        return "gone"

    async def _stop(self, prompt_id: str) -> None:
        """Interrupt our prompt if it is the one running (never another's), else take it out of the queue. Best
        effort within STOP_TIMEOUT: the story stops either way."""
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                queue = self._json(await self._get("queue"), "the queue")
                running = queue.get("queue_running") if isinstance(queue, dict) else None
                if any(isinstance(item, list) and len(item) > 1 and item[1] == prompt_id for item in running or ()):
                    # Newer servers interrupt only the prompt named; older ones whatever runs, which is ours.
                    await self._service.send(self._service.post("interrupt", {"prompt_id": prompt_id}), _none)
                else:
                    await self._service.send(self._service.post("queue", {"delete": [prompt_id]}), _none)
        except (ProviderError, TimeoutError) as exc:
            log.warning("could not stop ComfyUI's prompt %s: %s", prompt_id, exc)

    # --- the picture ---

    async def _history(self, prompt_id: str) -> dict[str, Any] | None:
        answer = self._json(await self._get(f"history/{prompt_id}"), "the history")
        entry = answer.get(prompt_id) if isinstance(answer, dict) else None
        return entry if isinstance(entry, dict) else None

    async def _picture(self, prompt_id: str, graph: dict[str, Any]) -> bytes:
        entry = await self._history(prompt_id)
        outputs = entry.get("outputs") if entry is not None else None
        found: list[dict[str, Any]] = []
        for node_id, output in outputs.items() if isinstance(outputs, dict) else ():
            images = output.get("images") if isinstance(output, dict) else None
            saved = graph.get(node_id, {}).get("class_type") == "SaveImage"
            for image in images if isinstance(images, list) else ():
                if isinstance(image, dict) and isinstance(image.get("filename"), str):
                    # A SaveImage node's output file first; previews (type "temp") only when there is nothing else.
                    found.append({**image, "_rank": (image.get("type") != "output", not saved)})
        if not found:
            raise BadResponse("ComfyUI finished without a picture — the workflow needs a Save Image node.")
        image = min(found, key=lambda each: each["_rank"])
        params = {
            "filename": image["filename"],
            "subfolder": str(image.get("subfolder") or ""),
            "type": str(image.get("type") or "output"),
        }
        response = await self._get("view", params)
        return response.content

    # --- HTTP ---

    async def _get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        request = self._service.client.build_request("GET", self._service.url(path), params=params)
        return await self._service.send(request, _none)

    @staticmethod
    def _json(response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise BadResponse(f"ComfyUI answered something that is not {what}.") from exc


def _none(_response: httpx.Response, _body: bytes) -> ProviderError | None:
    return None
