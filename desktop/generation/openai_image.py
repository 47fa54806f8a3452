"""Images from an OpenAI-compatible images endpoint, as base64 (`b64_json`), or from the URL it gives instead."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import httpx

from desktop.generation.base import ImageAbilities, ImageRequest, Notify
from desktop.generation.errors import BadResponse, ProviderError
from desktop.generation.http import server_message
from desktop.generation.openai_text import describe_openai_error, openai_label, openai_service
from desktop.retry import RetryPolicy


def image_size(model: str, width: int, height: int) -> str:
    """A size the model takes, nearest in shape to the one asked for; other servers get the size as asked."""
    name = model.lower()
    shape = "wide" if width > height * 1.1 else "tall" if height > width * 1.1 else "square"
    if name.startswith("gpt-image"):
        return {"wide": "1536x1024", "tall": "1024x1536", "square": "1024x1024"}[shape]
    if name == "dall-e-3":
        return {"wide": "1792x1024", "tall": "1024x1792", "square": "1024x1024"}[shape]
    if name == "dall-e-2":
        return "512x512"
    return f"{width}x{height}"


def decode_base64_image(value: str, source: str) -> bytes:
    value = re.sub(r"^data:[\w/+.-]+;base64,", "", value.strip())
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadResponse(f"{source} sent image data that is not valid base64.") from exc


class OpenAIImageProvider:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str,
        timeout: float,
        notify: Notify | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.model = model
        self.label = openai_label(model, base_url)
        self._service = openai_service(base_url, api_key, timeout, policy=policy, notify=notify)

    async def aclose(self) -> None:
        await self._service.aclose()

    async def abilities(self) -> ImageAbilities:
        # The images API takes neither a seed nor a reference picture.
        return ImageAbilities(
            seed=False,
            note=f"{self.label} takes no seed or portrait: the looks in each prompt are what keep characters alike.",
        )

    async def paint(self, request: ImageRequest) -> bytes:
        limit = 1000 if self.model.lower() == "dall-e-2" else 4000
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": request.prompt[:limit],
            "n": 1,
            "size": image_size(self.model, request.width, request.height),
        }
        if not self.model.lower().startswith("gpt-image"):
            body["response_format"] = "b64_json"  # gpt-image models always answer in base64 and refuse the field
        response = await self._service.send(self._service.post("images/generations", body), self._describe)
        try:
            item = response.json()["data"][0]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise BadResponse("The AI service answered the image request with something that is not an image.") from exc
        if isinstance(item, dict) and isinstance(item.get("b64_json"), str):
            return decode_base64_image(item["b64_json"], "The AI service")
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            return await self._download(item["url"])
        raise BadResponse("The AI service answered the image request without an image.")

    async def _download(self, url: str) -> bytes:
        try:
            # No key here: the URL may point at another host (a storage bucket).
            response = await self._service.client.get(url)
        except httpx.HTTPError as exc:
            raise self._service.transport_error(exc) from exc
        if not response.is_success:
            raise ProviderError(
                f"The image the AI service made could not be downloaded (HTTP {response.status_code}).", retryable=True
            )
        return response.content

    def _describe(self, response: httpx.Response, body: bytes) -> ProviderError | None:
        said = self._service.scrub(server_message(body))
        if response.status_code == 400 and re.search(r"safety|content[_ ]policy|moderation|rejected", said, re.I):
            return ProviderError(f"The AI service refused to paint this scene: {said}")
        return describe_openai_error(self._service, self.model, response, body)
