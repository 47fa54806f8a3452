"""A story remembers which providers and models wrote it (issue 14 item 8): regenerating and continuing it asks the
same ones after Settings name others, until the writer moves it to those in Settings (from the story's header).

Real Postgres, two loopback OpenAI-compatible servers through the real provider, and the real window offscreen.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from PySide6.QtCore import Qt

from desktop.config import Settings, provider_settings
from desktop.db.repositories import StoryRepository
from desktop.models import StoryRequest
from tests.support.openai_server import FakeOpenAIServer
from tests.support.ui_fixtures import WriterApp, written_story
from tests.support.workbench_fixtures import MakeWorkbench

from .conftest import Run

REQUEST = StoryRequest(title="The Two Lamps", prompt="Ama carries a lamp to her brother Kofi.", scene_count=2)


@pytest.fixture
def other_server() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer()
    server.start()
    yield server
    server.stop()


def writing_with(server: FakeOpenAIServer, settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "text_provider": "openai",
            "openai_base_url": server.base_url,
            "openai_model": "story-model",
            "openai_api_key": SecretStr(server.api_key),
        }
    )


def test_a_story_is_regenerated_and_continued_by_the_providers_that_wrote_it_until_the_writer_moves_it(
    make_workbench: MakeWorkbench,
    openai_server: FakeOpenAIServer,
    other_server: FakeOpenAIServer,
    tmp_path: Path,
    run: Run,
) -> None:
    first = writing_with(openai_server, Settings(data_dir=tmp_path / "data"))
    bench = make_workbench(first)
    story = run(bench.stories.generate(REQUEST), timeout=60)
    assert story.made_with["openai_base_url"] == openai_server.base_url
    assert bench.stories.follows_settings(story)

    bench.stories.reconfigure(writing_with(other_server, first))  # Settings now name another server
    assert not bench.stories.follows_settings(story)
    scene = run(bench.stories.open(story.id)).scenes[1]
    asked_before = len(openai_server.chat_bodies())
    run(bench.stories.regenerate_text(scene.id), timeout=60)
    run(bench.stories.continue_story(story.id, 1), timeout=60)
    assert len(openai_server.chat_bodies()) >= asked_before + 2  # the server that wrote it
    assert other_server.chat_bodies() == []

    moved = run(bench.stories.use_settings_providers(story.id))
    assert bench.stories.follows_settings(moved) and moved.made_with["openai_base_url"] == other_server.base_url
    run(bench.stories.regenerate_text(scene.id), timeout=60)
    assert len(other_server.chat_bodies()) == 1


def test_a_story_from_before_providers_were_kept_follows_the_settings(
    make_workbench: MakeWorkbench,
    openai_server: FakeOpenAIServer,
    other_server: FakeOpenAIServer,
    pool: Any,
    tmp_path: Path,
    run: Run,
) -> None:
    first = writing_with(openai_server, Settings(data_dir=tmp_path / "data"))
    bench = make_workbench(first)
    story = run(bench.stories.generate(REQUEST), timeout=60)
    run(StoryRepository(pool).set_made_with(story.id, {}))  # as migration 015 leaves older stories
    bench.stories.reconfigure(writing_with(other_server, first))
    scene = run(bench.stories.open(story.id)).scenes[0]
    run(bench.stories.regenerate_text(scene.id), timeout=60)
    assert len(other_server.chat_bodies()) == 1


def test_the_header_says_when_a_story_keeps_other_providers_and_moves_it_on_request(
    writer_app: WriterApp, other_server: FakeOpenAIServer, qtbot: Any, run: Run
) -> None:
    view = written_story(writer_app, qtbot, "The Kept Providers", "Ama carries a lamp to Kofi.", 1)
    header = view.header
    assert not header.use_settings_button.isVisible()  # written with the providers in Settings
    window = writer_app.window
    # As the Settings dialog's Save applies them (its own test drives the form).
    run(window._apply_settings(writing_with(other_server, writer_app.runtime.settings)))
    qtbot.waitUntil(header.use_settings_button.isVisible, timeout=5_000)
    qtbot.mouseClick(header.use_settings_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not header.use_settings_button.isVisible(), timeout=5_000)
    assert view.story is not None and view.story.made_with["openai_base_url"] == other_server.base_url


def test_only_the_chosen_providers_settings_are_kept_with_a_story(tmp_path: Path) -> None:
    offline = Settings(data_dir=tmp_path)
    assert provider_settings(offline) == {"text_provider": "offline", "image_provider": "offline"}
    # Another address for a painter not chosen: the story still follows the settings.
    assert provider_settings(offline.model_copy(update={"a1111_url": "http://10.0.0.9:7860"})) == provider_settings(
        offline
    )
    comfy = offline.model_copy(update={"image_provider": "comfyui", "comfyui_checkpoint": "sdxl.safetensors"})
    assert provider_settings(comfy)["comfyui_checkpoint"] == "sdxl.safetensors"
    assert "openai_api_key" not in provider_settings(comfy)  # never a secret
