"""A first run that connects: the empty library welcomes the writer with the AI servers running on this computer, and
one click connects one (saved at once); with none, two lines say how to start one. Settings finds them too."""

from __future__ import annotations

import asyncio
import os
import tomllib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desktop.services import discovery
from desktop.services.discovery import Probe, Target
from desktop.ui.settings.found_servers import NOTHING_FOUND
from desktop.ui.window.empty_page import FIRST_HINT, HINT, Welcome
from tests.support.local_servers import (
    LocalServer,
    closed_port,
    comfyui_checkpoints,
    hanging_port,
    local_server,
    ollama_tags,
    sd_models,
)
from tests.support.ui_fixtures import WriterApp, written_story

OpenApp = Callable[..., WriterApp]
LOOKING = "Looking for AI servers on this computer"


@pytest.fixture
def ollama() -> Iterator[LocalServer]:
    with local_server({"/api/tags": ollama_tags("llama3.2:latest", "qwen2.5:7b")}) as server:
        yield server


def look_at(monkeypatch: pytest.MonkeyPatch, *targets: Target) -> None:
    """The servers this computer runs, as far as the app can tell."""
    monkeypatch.setattr(discovery, "TARGETS", targets)


def welcome_of(app: WriterApp, qtbot: Any) -> Welcome:
    page = app.window.empty_page
    qtbot.waitUntil(lambda: page.welcome is not None and page.welcome.isVisible(), timeout=15_000)
    assert page.welcome is not None
    return page.welcome


def press(button: QPushButton, qtbot: Any) -> None:
    """A click where the writer would click: once the new row has its place (the dialog grows to fit the list)."""
    qtbot.waitUntil(lambda: button.isVisible() and not button.rect().isEmpty())
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def saved_settings() -> dict[str, Any]:
    return tomllib.loads((Path(os.environ["STORYFORGE_CONFIG_DIR"]) / "settings.toml").read_text(encoding="utf-8"))


def test_the_empty_library_connects_a_local_ollama_in_one_click(
    open_app: OpenApp, ollama: LocalServer, monkeypatch: pytest.MonkeyPatch, qtbot: Any
) -> None:
    look_at(monkeypatch, Target(ollama.port, "Ollama", Probe.ollama))
    app = open_app()
    welcome = welcome_of(app, qtbot)
    assert "offline writer" in welcome.sketch.text() and "sketch" in welcome.sketch.text()
    qtbot.waitUntil(lambda: len(welcome.servers.rows) == 1, timeout=10_000)
    row = welcome.servers.row("Ollama")
    assert [row.models.itemText(i) for i in range(row.models.count())] == ["llama3.2:latest", "qwen2.5:7b"]
    assert row.models.currentText() == "llama3.2:latest"  # the first, unless the writer picks another
    assert row.where.text() == f"Text · 127.0.0.1:{ollama.port}"

    row.models.setCurrentIndex(1)
    press(row.button, qtbot)

    qtbot.waitUntil(lambda: welcome.status.text().startswith("Connected"), timeout=10_000)
    assert welcome.status.text() == f"Connected: Ollama qwen2.5:7b at 127.0.0.1:{ollama.port}"
    qtbot.waitUntil(lambda: app.runtime.settings.text_provider == "openai", timeout=10_000)
    settings = app.runtime.settings
    assert (settings.openai_base_url, settings.openai_model) == (f"{ollama.url}/v1", "qwen2.5:7b")
    written = saved_settings()
    assert (written["text_provider"], written["openai_base_url"], written["openai_model"]) == (
        "openai",
        f"{ollama.url}/v1",
        "qwen2.5:7b",
    )


def test_with_nothing_found_it_says_how_to_start_one_and_looks_again(
    open_app: OpenApp, ollama: LocalServer, monkeypatch: pytest.MonkeyPatch, qtbot: Any
) -> None:
    look_at(monkeypatch, Target(closed_port(), "Ollama", Probe.ollama))
    welcome = welcome_of(open_app(), qtbot)
    qtbot.waitUntil(lambda: welcome.status.text() == NOTHING_FOUND, timeout=10_000)
    lines = welcome.status.text().splitlines()
    assert len(lines) == 2
    assert "ollama serve" in lines[0] and "ollama pull llama3.2" in lines[0]
    assert "ComfyUI" in lines[1] and "python main.py" in lines[1] and "8188" in lines[1]
    assert not welcome.servers.isVisible()

    look_at(monkeypatch, Target(ollama.port, "Ollama", Probe.ollama))  # the writer starts Ollama
    qtbot.mouseClick(welcome.look_again, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [row.server.product for row in welcome.servers.rows] == ["Ollama"], timeout=10_000)
    assert welcome.servers.isVisible() and welcome.status.text() == ""


def test_settings_finds_local_servers_and_use_fills_the_fields(
    writer_app: WriterApp, ollama: LocalServer, monkeypatch: pytest.MonkeyPatch, qtbot: Any
) -> None:
    with ExitStack() as stack:
        webui = stack.enter_context(local_server({"/sdapi/v1/sd-models": sd_models("v1-5-pruned-emaonly")}))
        comfyui = stack.enter_context(
            local_server({"/object_info/CheckpointLoaderSimple": comfyui_checkpoints("sd_xl_base_1.0.safetensors")})
        )
        look_at(
            monkeypatch,
            Target(ollama.port, "Ollama", Probe.ollama),
            Target(webui.port, "Stable Diffusion WebUI", Probe.a1111),
            Target(comfyui.port, "ComfyUI", Probe.comfyui),
        )
        window = writer_app.window
        window.actions_.settings.trigger()
        dialog = window.settings_dialog
        assert dialog is not None
        finder = dialog.find_servers
        qtbot.mouseClick(finder.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(finder.servers.rows) == 3, timeout=10_000)
        assert [row.server.product for row in finder.servers.rows] == ["Ollama", "Stable Diffusion WebUI", "ComfyUI"]
        assert finder.status.text().startswith("3 found")

        ollama_row = finder.servers.row("Ollama")
        ollama_row.models.setCurrentIndex(1)
        press(ollama_row.button, qtbot)
        assert dialog.text_provider.currentData() == "openai"
        assert (dialog.openai_url.text(), dialog.openai_model.text()) == (f"{ollama.url}/v1", "qwen2.5:7b")
        press(finder.servers.row("Stable Diffusion WebUI").button, qtbot)
        assert (dialog.image_provider.currentData(), dialog.a1111_url.text()) == ("a1111", webui.url)
        press(finder.servers.row("ComfyUI").button, qtbot)  # the one picked last paints
        assert (dialog.image_provider.currentData(), dialog.comfyui_url.text()) == ("comfyui", comfyui.url)
        assert dialog.comfyui_checkpoint.currentText() == "sd_xl_base_1.0.safetensors"

        assert writer_app.runtime.settings.text_provider == "offline"  # nothing is kept until Save
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: writer_app.runtime.settings.image_provider == "comfyui", timeout=10_000)
        assert writer_app.runtime.settings.openai_model == "qwen2.5:7b"


def test_the_welcome_leaves_once_the_library_has_a_story(
    open_app: OpenApp, monkeypatch: pytest.MonkeyPatch, qtbot: Any
) -> None:
    look_at(monkeypatch, Target(closed_port(), "Ollama", Probe.ollama))
    app = open_app()
    welcome = welcome_of(app, qtbot)
    page = app.window.empty_page
    assert page.hint.text() == FIRST_HINT

    written_story(app, qtbot, "The Lamplighter", "Odile lights the lamps of Varo for the last time.", 2)

    qtbot.waitUntil(lambda: not welcome.isVisibleTo(page), timeout=10_000)
    assert page.hint.text() == HINT


def test_settings_closed_while_looking_is_no_failure(
    writer_app: WriterApp, monkeypatch: pytest.MonkeyPatch, qtbot: Any, loop: asyncio.AbstractEventLoop
) -> None:
    failures: list[str] = []
    writer_app.runtime.tasks.failed.connect(lambda title, _error: failures.append(title))
    with hanging_port() as silent:
        look_at(monkeypatch, Target(silent, "vLLM", Probe.openai))
        window = writer_app.window
        window.actions_.settings.trigger()
        dialog = window.settings_dialog
        assert dialog is not None
        qtbot.mouseClick(dialog.find_servers.button, Qt.MouseButton.LeftButton)
        dialog.reject()  # the writer closes Settings while the silent port is still being asked

        def looking() -> bool:
            return any(task.get_name() == LOOKING for task in asyncio.all_tasks(loop))

        qtbot.waitUntil(lambda: not looking(), timeout=10_000)
    assert failures == []


def test_a_server_already_in_the_settings_is_said_to_be_connected(
    open_app: OpenApp, ollama: LocalServer, monkeypatch: pytest.MonkeyPatch, qtbot: Any
) -> None:
    look_at(monkeypatch, Target(ollama.port, "Ollama", Probe.ollama))
    app = open_app(text_provider="openai", openai_base_url=f"{ollama.url}/v1/", openai_model="qwen2.5:7b")
    welcome = welcome_of(app, qtbot)
    qtbot.waitUntil(lambda: welcome.status.text().startswith("Connected"), timeout=10_000)
    assert welcome.status.text() == f"Connected: Ollama qwen2.5:7b at 127.0.0.1:{ollama.port}"
