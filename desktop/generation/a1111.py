"""Images from an Automatic1111-compatible server (Stable Diffusion WebUI, Forge, SD.Next): POST /sdapi/v1/txt2img."""

from __future__ import annotations

from typing import Any

import httpx

from desktop.generation.base import ImageAbilities, ImageRequest, Notify
from desktop.generation.errors import BadResponse, KeyRejected, ProviderError
from desktop.generation.http import HttpService, host_of, server_message
from desktop.generation.openai_image import decode_base64_image
from desktop.retry import RetryPolicy

NEGATIVE_PROMPT = "text, letters, watermark, signature, blurry, deformed"


def a1111_label(base_url: str) -> str:
    return f"Automatic1111 at {host_of(base_url)}"


def _multiple_of_8(value: int) -> int:
    return max(64, value // 8 * 8)


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
        self.model = ""  # the checkpoint, as the server names it in each answer's info
        self._steps = steps
        password = httpx.URL(base_url).password or ""
        self._service = HttpService(
            name="The image server", base_url=base_url, timeout=timeout, secret=password, policy=policy, notify=notify
        )

    async def aclose(self) -> None:
        await self._service.aclose()

    async def abilities(self) -> ImageAbilities:
        return ImageAbilities(seed=True, note=f"{self.label} keeps each story's seed.")

    async def paint(self, request: ImageRequest) -> bytes:
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
        response = await self._service.send(self._service.post("sdapi/v1/txt2img", body), self._describe)
        try:
            images = response.json()["images"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BadResponse("The image server answered with something that is not a txt2img result.") from exc
        if not isinstance(images, list) or not images or not isinstance(images[0], str):
            raise BadResponse("The image server answered without an image.")
        return decode_base64_image(images[0], "The image server")

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
