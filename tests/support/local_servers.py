"""Loopback fakes of the AI servers writers run on their own computers, each answering its model list the way the
real one does (Ollama, LM Studio, llama.cpp's server, LocalAI, vLLM, the Stable Diffusion WebUI, ComfyUI), plus a
port that accepts and never answers, and a port nothing listens on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.http_faults import LoopbackHTTPServer, QuietHandler


def ollama_tags(*names: str) -> dict[str, Any]:
    return {
        "models": [
            {
                "name": name,
                "model": name,
                "modified_at": "2026-11-02T10:14:07.519541+01:00",
                "size": 2019393189,
                "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": "llama",
                    "families": ["llama"],
                    "parameter_size": "3.2B",
                    "quantization_level": "Q4_K_M",
                },
            }
            for name in names
        ]
    }


def openai_models(*names: str, owned_by: str | None = None, **extra: Any) -> dict[str, Any]:
    """An OpenAI-style list; `owned_by` as the server writes it (LocalAI writes none)."""
    items = []
    for name in names:
        item: dict[str, Any] = {"id": name, "object": "model", **extra}
        if owned_by is not None:
            item["owned_by"] = owned_by
        items.append(item)
    return {"object": "list", "data": items}


def sd_models(*names: str) -> list[dict[str, Any]]:
    return [
        {
            "title": f"{name}.safetensors [6ce0161689]",
            "model_name": name,
            "hash": "6ce0161689",
            "sha256": "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa",
            "filename": f"/home/writer/stable-diffusion-webui/models/Stable-diffusion/{name}.safetensors",
            "config": None,
        }
        for name in names
    ]


def comfyui_checkpoints(*names: str) -> dict[str, Any]:
    return {
        "CheckpointLoaderSimple": {
            "input": {
                "required": {
                    "ckpt_name": [list(names), {"tooltip": "The name of the checkpoint (model) to load."}],
                }
            },
            "input_order": {"required": ["ckpt_name"]},
            "output": ["MODEL", "CLIP", "VAE"],
            "output_is_list": [False, False, False],
            "output_name": ["MODEL", "CLIP", "VAE"],
            "name": "CheckpointLoaderSimple",
            "display_name": "Load Checkpoint",
            "description": "Loads a diffusion model checkpoint.",
            "python_module": "nodes",
            "category": "loaders",
            "output_node": False,
        }
    }


class _Handler(QuietHandler):
    server: LocalServer

    def do_GET(self) -> None:
        self.record(None)
        answer = self.server.routes.get(self.path)
        if answer is None:
            self.send(404, {"detail": "Not Found"})
        else:
            self.send(200, answer)


class LocalServer(LoopbackHTTPServer):
    """Answers GET `path` with `routes[path]` (JSON, or bytes as they are), 404 otherwise."""

    def __init__(self, routes: dict[str, Any]) -> None:
        super().__init__(_Handler)
        self.routes = routes

    @property
    def port(self) -> int:
        return int(self.server_address[1])


@contextmanager
def local_server(routes: dict[str, Any]) -> Iterator[LocalServer]:
    server = LocalServer(routes)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def hanging_port() -> Iterator[int]:
    """A port that takes the connection (the kernel's backlog) and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()


def closed_port() -> int:
    """A port nothing listens on: bound for a moment to be given a free one, then let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
