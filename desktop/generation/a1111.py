"""Images from an Automatic1111-compatible server (Stable Diffusion WebUI, Forge, SD.Next): POST /sdapi/v1/txt2img."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any, Literal

import httpx

from desktop.generation.a1111_reference import (
    REFERENCE_KIND,
    IPAdapter,
    checkpoint_model_name,
    find_ip_adapter,
    names,
    reference_note,
    reference_scripts,
    unit_count,
)
from desktop.generation.base import ImageAbilities, ImageProgress, ImageRequest, Notify
from desktop.generation.errors import BadResponse, KeyRejected, ProviderError
from desktop.generation.http import HttpService, host_of, server_message
from desktop.generation.openai_image import decode_base64_image
from desktop.retry import RetryPolicy

PROGRESS_EVERY = 0.5  # seconds between asking how far a picture is
NEGATIVE_PROMPT = "text, letters, watermark, signature, blurry, deformed"
# What the server can do is asked in a few small GETs; one that hangs must not hold a story's first picture for the
# whole painting timeout.
PROBE_TIMEOUT = 10.0


def a1111_label(base_url: str) -> str:
    return f"Automatic1111 at {host_of(base_url)}"


def _multiple_of_8(value: int) -> int:
    return max(64, value // 8 * 8)


def _painted_by(info: Any) -> str:
    """The checkpoint from a txt2img answer's `info`, a JSON string: its name, else its hash; "" when not told."""
    try:
        data = json.loads(info) if isinstance(info, str) else None
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    for key in ("sd_model_name", "sd_model_hash"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


class Automatic1111Provider:
    """A user and password in the address (http://user:password@host:7860) answer a server started with --api-auth."""

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float,
        notify: Notify | None = None,
        policy: RetryPolicy | None = None,
        steps: int = 24,
    ) -> None:
        self.label = a1111_label(base_url)
        # The checkpoint, as each answer's info names it (before the first picture: as the options name it).
        self.model = ""
        self._steps = steps
        self._probe_timeout = min(timeout, PROBE_TIMEOUT)
        # Asked once per provider (one run): scenes painted side by side wait for the same probe.
        self._probing = asyncio.Lock()
        self._abilities: ImageAbilities | None = None
        self._ip_adapter: IPAdapter | None = None
        password = httpx.URL(base_url).password or ""
        self._service = HttpService(
            name="The image server", base_url=base_url, timeout=timeout, secret=password, policy=policy, notify=notify
        )

    async def aclose(self) -> None:
        await self._service.aclose()

    async def abilities(self) -> ImageAbilities:
        async with self._probing:
            if self._abilities is None:
                self._abilities = await self._probe()
            return self._abilities

    async def _probe(self) -> ImageAbilities:
        """Whether the sd-webui-controlnet extension is there with an IP-Adapter, and the loaded checkpoint."""
        models, modules, settings, options = await asyncio.gather(
            self._get_json("controlnet/model_list"),
            self._get_json("controlnet/module_list"),
            self._get_json("controlnet/settings"),
            self._get_json("sdapi/v1/options"),
        )
        checkpoint = options.get("sd_model_checkpoint") if isinstance(options, dict) else None
        checkpoint = checkpoint_model_name(checkpoint) if isinstance(checkpoint, str) else ""
        if checkpoint and not self.model:
            self.model = checkpoint
        model_list, module_list = names(models, "model_list"), names(modules, "module_list")
        if model_list is not None and module_list is not None:
            self._ip_adapter = find_ip_adapter(model_list, module_list, unit_count(settings), checkpoint)
        return ImageAbilities(
            seed=True,
            reference=REFERENCE_KIND if self._ip_adapter is not None else "",
            note=reference_note(self.label, self._ip_adapter, model_list, module_list),
        )

    async def _get_json(self, path: str) -> Any:
        return await self._send_json("GET", path)

    async def _send_json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The JSON an answer holds, or None for anything else: a server without the route (404), one that is down,
        slow or answers garbage. Probes and progress are asked once and never retried; painting reports real
        failures."""
        client = self._service.client
        request = client.build_request(method, self._service.url(path), json=body, timeout=self._probe_timeout)
        try:
            response = await client.send(request)
        except httpx.HTTPError:
            return None
        if not response.is_success:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    async def paint(self, request: ImageRequest) -> bytes:
        return await self._txt2img(request, None)

    async def paint_with_progress(self, request: ImageRequest, progress: ImageProgress) -> bytes:
        """As `paint`, telling how far the picture is. The request names its task (`force_task_id`), whose progress
        the WebUI reports on POST /internal/progress — its own, not another scene's painted meanwhile. A server
        without the route (older WebUIs) paints all the same, without progress."""
        task_id = f"storyforge-{uuid.uuid4().hex}"
        painting = asyncio.ensure_future(self._txt2img(request, task_id))
        try:
            while not painting.done():
                await asyncio.wait({painting}, timeout=PROGRESS_EVERY)
                if painting.done():
                    break
                fraction = await self._progress_of(task_id)
                if fraction is False:
                    break  # no progress to be had: wait for the picture alone
                if fraction is not None:
                    progress(fraction)
            return await painting
        finally:
            if not painting.done():
                painting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await painting

    async def _progress_of(self, task_id: str) -> float | Literal[False] | None:
        """How far the task is (None: not started yet, or done), or False when the server cannot tell."""
        answer = await self._send_json("POST", "internal/progress", {"id_task": task_id, "id_live_preview": -1})
        if not isinstance(answer, dict):
            return False
        fraction = answer.get("progress")
        if answer.get("active") and isinstance(fraction, int | float) and 0 <= fraction <= 1:
            return float(fraction)
        return None

    async def _txt2img(self, request: ImageRequest, task_id: str | None) -> bytes:
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "negative_prompt": NEGATIVE_PROMPT,
            "width": _multiple_of_8(request.width),
            "height": _multiple_of_8(request.height),
            "steps": self._steps,
            "seed": request.seed,
            "batch_size": 1,
            "n_iter": 1,
        }
        if task_id is not None:
            body["force_task_id"] = task_id
        if request.references:
            await self.abilities()
            if self._ip_adapter is not None:
                body["alwayson_scripts"] = reference_scripts(self._ip_adapter, request.references)
        response = await self._service.send(self._service.post("sdapi/v1/txt2img", body), self._describe)
        try:
            answer = response.json()
            images = answer["images"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BadResponse("The image server answered with something that is not a txt2img result.") from exc
        if not isinstance(images, list) or not images or not isinstance(images[0], str):
            raise BadResponse("The image server answered without an image.")
        image = decode_base64_image(images[0], "The image server")
        self.model = _painted_by(answer.get("info")) or self.model
        return image

    def _describe(self, response: httpx.Response, body: bytes) -> ProviderError | None:
        status = response.status_code
        host = self._service.host
        if status in (401, 403):
            return KeyRejected(
                f"The image server at {host} asks for a user name and password — put them in its address in "
                "Settings, like http://user:password@host:7860."
            )
        if status == 404:
            return ProviderError(
                f"No Automatic1111 API at {host} — start the WebUI with the --api option, and check the address in "
                "Settings."
            )
        if status == 422:
            said = self._service.scrub(server_message(body))
            return ProviderError(f"The image server rejected the request: {said}")
        return None
