"""Local AI servers found by themselves: the default ports of the servers writers run, asked at once, briefly.

No widgets here. Each server is asked the one question its own API answers with its models (Ollama's `/api/tags`,
the OpenAI-style `/v1/models`, the WebUI's `/sdapi/v1/sd-models`, ComfyUI's `/object_info/CheckpointLoaderSimple`);
a closed port, a slow one or an answer of another shape is simply not listed.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from desktop.config import Settings
from desktop.generation.comfyui import CHECKPOINT_LOADER, checkpoint_names
from desktop.generation.http import host_of

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
CONNECT_TIMEOUT = 0.3  # a closed loopback port refuses at once; a filtered one must not hold the probe
PROBE_BOUND = 1.5  # the whole probe, every port together: a hanging server is left out, never waited for


class Probe(enum.Enum):
    ollama = "ollama"
    openai = "openai"
    a1111 = "a1111"
    comfyui = "comfyui"


@dataclass(frozen=True)
class Target:
    port: int
    product: str  # the name shown when the answer does not name its server
    probe: Probe


# The default ports. llama.cpp's server and LocalAI share 8080: the answer tells them apart where it can.
TARGETS: tuple[Target, ...] = (
    Target(11434, "Ollama", Probe.ollama),
    Target(1234, "LM Studio", Probe.openai),
    Target(8080, "llama.cpp or LocalAI server", Probe.openai),
    Target(8000, "vLLM", Probe.openai),
    Target(7860, "Stable Diffusion WebUI", Probe.a1111),  # A1111, Forge or SD.Next
    Target(8188, "ComfyUI", Probe.comfyui),
)

# What an OpenAI-style model list's `owned_by` says about the server behind it.
_OWNERS = {"llamacpp": "llama.cpp server", "vllm": "vLLM"}


@dataclass(frozen=True)
class FoundServer:
    kind: Literal["text", "image"]
    product: str
    base_url: str  # what the settings take: ending in /v1 for a text server, the server's root for an image one
    models: list[str]
    probe: Probe = Probe.openai

    @property
    def address(self) -> str:
        """host:port, as the writer reads it."""
        return host_of(self.base_url)


async def find_servers(
    host: str = LOOPBACK, targets: Iterable[Target] | None = None, bound: float = PROBE_BOUND
) -> list[FoundServer]:
    """Every target asked at once; what answered in time with a model list, in the targets' order."""
    chosen = list(TARGETS if targets is None else targets)  # read at call time: tests point it at their fakes
    timeout = httpx.Timeout(bound, connect=CONNECT_TIMEOUT)
    # trust_env=False: a proxy from the environment must never carry a loopback question away.
    async with httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False) as client:
        tasks = [asyncio.ensure_future(_ask(client, host, target)) for target in chosen]
        if not tasks:
            return []
        done, pending = await asyncio.wait(tasks, timeout=bound)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    found = []
    for task in tasks:
        if task not in done:
            continue
        if (error := task.exception()) is not None:  # one odd answer must not hide the servers that answered well
            log.warning("asking a local port failed", exc_info=error)
        elif (server := task.result()) is not None:
            found.append(server)
    return found


async def _ask(client: httpx.AsyncClient, host: str, target: Target) -> FoundServer | None:
    root = f"http://{host}:{target.port}"
    try:
        match target.probe:
            case Probe.ollama:
                models = _names(await _json(client, f"{root}/api/tags"), "models", "name")
                if models is None:
                    return None
                return FoundServer("text", target.product, f"{root}/v1", models, target.probe)
            case Probe.openai:
                answer = await _json(client, f"{root}/v1/models")
                models = _names(answer, "data", "id")
                if models is None:
                    return None
                return FoundServer("text", _openai_product(answer, target.product), f"{root}/v1", models, target.probe)
            case Probe.a1111:
                answer = await _json(client, f"{root}/sdapi/v1/sd-models")
                models = _sd_models(answer)
                return None if models is None else FoundServer("image", target.product, root, models, target.probe)
            case Probe.comfyui:
                answer = await _json(client, f"{root}/object_info/CheckpointLoaderSimple")
                models = _checkpoints(answer)
                return None if models is None else FoundServer("image", target.product, root, models, target.probe)
    except (httpx.HTTPError, ValueError, OSError) as exc:  # closed, refused, timed out, not JSON: not listed
        log.debug("nothing usable at %s: %s", root, type(exc).__name__)
    return None


async def _json(client: httpx.AsyncClient, url: str) -> Any:
    response = await client.get(url)
    if response.status_code != 200:
        raise ValueError(f"HTTP {response.status_code}")
    return response.json()


def _names(answer: Any, key: str, field: str) -> list[str] | None:
    """`answer[key][*][field]` as strings; None when the answer is not of that shape."""
    if not isinstance(answer, dict) or not isinstance(answer.get(key), list):
        return None
    items = answer[key]
    if not all(isinstance(item, dict) and isinstance(item.get(field), str) for item in items):
        return None
    # An embedding model cannot write: listed last, so the model picked by default is one that can.
    return sorted((item[field] for item in items), key=lambda name: "embed" in name.lower())


def _openai_product(answer: dict[str, Any], fallback: str) -> str:
    owners = {item.get("owned_by") for item in answer["data"]}
    named = {_OWNERS[owner] for owner in owners if isinstance(owner, str) and owner in _OWNERS}
    return named.pop() if len(named) == 1 else fallback


def _sd_models(answer: Any) -> list[str] | None:
    if not isinstance(answer, list) or not all(isinstance(item, dict) for item in answer):
        return None
    names = [item.get("model_name") or item.get("title") for item in answer]
    return [name for name in names if isinstance(name, str)] if all(isinstance(n, str) for n in names) else None


def _checkpoints(answer: Any) -> list[str] | None:
    """ComfyUI's checkpoint names (comfyui.checkpoint_names reads both of its forms); None when the answer is not
    ComfyUI's."""
    if not (isinstance(answer, dict) and isinstance(answer.get(CHECKPOINT_LOADER), dict)):
        return None
    return checkpoint_names(answer)


# --- connecting one ---


def uses_model(server: FoundServer) -> bool:
    """Whether the chosen model is kept in the settings: the WebUI paints with the checkpoint it has loaded."""
    return server.probe is not Probe.a1111


def settings_update(server: FoundServer, model: str, image_provider: str) -> dict[str, str]:
    """The settings that connect `server` with `model`, as field → value. `image_provider` is the one chosen now:
    an OpenAI image provider shares the text server's URL, which a local text server cannot paint with."""
    if server.kind == "text":
        update = {"text_provider": "openai", "openai_base_url": server.base_url, "openai_model": model}
        if image_provider == "openai":
            update["image_provider"] = "offline"
        return update
    if server.probe is Probe.comfyui:
        return {"image_provider": "comfyui", "comfyui_url": server.base_url, "comfyui_checkpoint": model}
    return {"image_provider": "a1111", "a1111_url": server.base_url}


def connected_settings(settings: Settings, server: FoundServer, model: str) -> Settings:
    """`settings` with `server` connected; ValueError in plain words when these settings cannot hold it."""
    if server.kind == "text" and not model:
        raise ValueError(f"{server.product} has no model yet — load or pull one, then look again.")
    update = settings_update(server, model, settings.image_provider)
    return Settings(**{**settings.model_dump(), **update})


def connected_line(server: FoundServer, model: str) -> str:
    shown = f" {model}" if model and uses_model(server) else ""
    return f"Connected: {server.product}{shown} at {server.address}"


def already_connected(settings: Settings, servers: Iterable[FoundServer]) -> tuple[FoundServer, str] | None:
    """The found server (and model) the settings use already, so the welcome says so instead of offering it: one
    whose connection (settings_update, with the model the settings name) is what the settings hold."""
    held = settings.model_dump()
    for server in servers:
        model = {"text": settings.openai_model, "image": settings.comfyui_checkpoint}[server.kind]
        wanted = settings_update(server, model, settings.image_provider)
        if all(str(held[name]).rstrip("/") == value.rstrip("/") for name, value in wanted.items()):
            return server, model if uses_model(server) else ""
    return None
