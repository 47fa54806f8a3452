"""Local servers found by themselves: every product's own answer is listed with its models; closed ports, a port that
never answers and answers of another shape are left out, and the probe still ends within its bound."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest

from desktop.config import Settings
from desktop.services.discovery import (
    FoundServer,
    Probe,
    Target,
    already_connected,
    connected_line,
    connected_settings,
    find_servers,
)
from tests.support.local_servers import (
    closed_port,
    comfyui_checkpoints,
    hanging_port,
    local_server,
    ollama_tags,
    openai_models,
    sd_models,
)

Run = Callable[..., Any]


def test_each_server_is_found_with_its_models(run: Run) -> None:
    with ExitStack() as stack:
        tags = ollama_tags("nomic-embed-text:latest", "llama3.2:latest", "qwen2.5:7b")  # as `ollama list` has them
        ollama = stack.enter_context(local_server({"/api/tags": tags}))
        lm_studio = stack.enter_context(
            local_server({"/v1/models": openai_models("qwen2.5-7b-instruct", owned_by="organization_owner")})
        )
        llama_cpp = stack.enter_context(
            local_server(
                {
                    "/v1/models": openai_models("SmolLM2-135M-Instruct.gguf", owned_by="llamacpp", created=1764800000),
                    "/health": {"status": "ok"},
                }
            )
        )
        vllm = stack.enter_context(
            local_server({"/v1/models": openai_models("Qwen/Qwen2.5-1.5B-Instruct", owned_by="vllm", root="q")})
        )
        webui = stack.enter_context(local_server({"/sdapi/v1/sd-models": sd_models("v1-5-pruned-emaonly")}))
        comfyui = stack.enter_context(
            local_server({"/object_info/CheckpointLoaderSimple": comfyui_checkpoints("sd_xl_base_1.0.safetensors")})
        )
        targets = [
            Target(ollama.port, "Ollama", Probe.ollama),
            Target(lm_studio.port, "LM Studio", Probe.openai),
            Target(llama_cpp.port, "llama.cpp or LocalAI server", Probe.openai),
            Target(vllm.port, "vLLM", Probe.openai),
            Target(webui.port, "Stable Diffusion WebUI", Probe.a1111),
            Target(comfyui.port, "ComfyUI", Probe.comfyui),
        ]

        found = run(find_servers(targets=targets))

    assert [(server.kind, server.product, server.base_url, server.models) for server in found] == [
        ("text", "Ollama", f"{ollama.url}/v1", ["llama3.2:latest", "qwen2.5:7b", "nomic-embed-text:latest"]),
        ("text", "LM Studio", f"{lm_studio.url}/v1", ["qwen2.5-7b-instruct"]),
        ("text", "llama.cpp server", f"{llama_cpp.url}/v1", ["SmolLM2-135M-Instruct.gguf"]),
        ("text", "vLLM", f"{vllm.url}/v1", ["Qwen/Qwen2.5-1.5B-Instruct"]),
        ("image", "Stable Diffusion WebUI", webui.url, ["v1-5-pruned-emaonly"]),
        ("image", "ComfyUI", comfyui.url, ["sd_xl_base_1.0.safetensors"]),
    ]


def test_a_server_that_does_not_name_itself_keeps_the_ports_name(run: Run) -> None:
    """LocalAI's list says no owner: on 8080 it could be LocalAI or llama.cpp, and the name says both."""
    with local_server({"/v1/models": openai_models("gpt-4", "stablediffusion")}) as local_ai:
        fallback = "llama.cpp or LocalAI server"
        found = run(find_servers(targets=[Target(local_ai.port, fallback, Probe.openai)]))
    assert [(server.product, server.models) for server in found] == [(fallback, ["gpt-4", "stablediffusion"])]


def test_closed_silent_and_strange_ports_are_left_out_and_the_rest_still_found(run: Run) -> None:
    with ExitStack() as stack:
        ollama = stack.enter_context(local_server({"/api/tags": ollama_tags("llama3.2:latest")}))
        comfyui = stack.enter_context(
            local_server({"/object_info/CheckpointLoaderSimple": comfyui_checkpoints("dreamshaper_8.safetensors")})
        )
        silent = stack.enter_context(hanging_port())
        web_page = stack.enter_context(local_server({"/v1/models": b"<html><body>Router login</body></html>"}))
        other_json = stack.enter_context(
            local_server({"/v1/models": {"status": "ok"}, "/sdapi/v1/sd-models": {"detail": "Not Found"}})
        )
        half_list = stack.enter_context(local_server({"/api/tags": {"models": [{"size": 12}]}}))
        targets = [
            Target(ollama.port, "Ollama", Probe.ollama),
            Target(closed_port(), "LM Studio", Probe.openai),
            Target(silent, "vLLM", Probe.openai),
            Target(web_page.port, "llama.cpp or LocalAI server", Probe.openai),
            Target(other_json.port, "Stable Diffusion WebUI", Probe.a1111),
            Target(other_json.port, "LM Studio", Probe.openai),
            Target(half_list.port, "Ollama", Probe.ollama),
            Target(ollama.port, "ComfyUI", Probe.comfyui),  # Ollama's 404 to ComfyUI's question
            Target(comfyui.port, "ComfyUI", Probe.comfyui),
        ]

        found = run(find_servers(targets=targets, bound=1.0), timeout=20)

    assert [(server.product, server.address) for server in found] == [
        ("Ollama", f"127.0.0.1:{ollama.port}"),
        ("ComfyUI", f"127.0.0.1:{comfyui.port}"),
    ]


def test_newer_comfyui_lists_its_checkpoints_as_a_combo(run: Run) -> None:
    answer = {"CheckpointLoaderSimple": {"input": {"required": {"ckpt_name": ["COMBO", {"options": ["a.ckpt"]}]}}}}
    with local_server({"/object_info/CheckpointLoaderSimple": answer}) as comfyui:
        found = run(find_servers(targets=[Target(comfyui.port, "ComfyUI", Probe.comfyui)]))
    assert [server.models for server in found] == [["a.ckpt"]]


def test_no_ports_no_servers(run: Run) -> None:
    assert run(find_servers(targets=[])) == []


OLLAMA = FoundServer("text", "Ollama", "http://127.0.0.1:11434/v1", ["llama3.2:latest"], Probe.ollama)
WEBUI = FoundServer("image", "Stable Diffusion WebUI", "http://127.0.0.1:7860", ["v1-5"], Probe.a1111)
COMFYUI = FoundServer("image", "ComfyUI", "http://127.0.0.1:8188", ["sd_xl_base_1.0.safetensors"], Probe.comfyui)


def test_a_text_server_connects_as_the_openai_compatible_provider_without_a_key() -> None:
    settings = connected_settings(Settings(), OLLAMA, "llama3.2:latest")
    assert (settings.text_provider, settings.openai_base_url, settings.openai_model) == (
        "openai",
        "http://127.0.0.1:11434/v1",
        "llama3.2:latest",
    )
    assert settings.openai_api_key.get_secret_value() == ""
    assert connected_line(OLLAMA, "llama3.2:latest") == "Connected: Ollama llama3.2:latest at 127.0.0.1:11434"


def test_a_local_text_server_takes_the_openai_images_away_with_it() -> None:
    """OpenAI's images share the text server's URL: a local text server cannot paint, so the offline painter does."""
    settings = connected_settings(Settings(image_provider="openai"), OLLAMA, "llama3.2:latest")
    assert settings.image_provider == "offline"


def test_the_webui_connects_as_the_a1111_provider_and_keeps_its_loaded_model() -> None:
    settings = connected_settings(Settings(text_provider="openai"), WEBUI, "")
    assert (settings.image_provider, settings.a1111_url, settings.text_provider) == (
        "a1111",
        "http://127.0.0.1:7860",
        "openai",
    )
    assert connected_line(WEBUI, "v1-5") == "Connected: Stable Diffusion WebUI at 127.0.0.1:7860"


def test_comfyui_connects_as_the_comfyui_provider_with_the_checkpoint_picked() -> None:
    settings = connected_settings(Settings(), COMFYUI, "sd_xl_base_1.0.safetensors")
    assert (settings.image_provider, settings.comfyui_url, settings.comfyui_checkpoint) == (
        "comfyui",
        "http://127.0.0.1:8188",
        "sd_xl_base_1.0.safetensors",
    )


def test_a_text_server_without_a_model_says_so() -> None:
    empty = FoundServer("text", "Ollama", "http://127.0.0.1:11434/v1", [], Probe.ollama)
    with pytest.raises(ValueError, match="Ollama has no model yet"):
        connected_settings(Settings(), empty, "")


def test_a_comfyui_connected_already_is_said_so_rather_than_offered_again() -> None:
    settings = connected_settings(Settings(), COMFYUI, "sd_xl_base_1.0.safetensors")
    assert already_connected(settings, [COMFYUI]) == (COMFYUI, "sd_xl_base_1.0.safetensors")
    assert already_connected(Settings(), [COMFYUI]) is None
