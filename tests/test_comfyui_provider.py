"""The ComfyUI provider against a loopback server speaking ComfyUI's wire format over real HTTP and a real websocket:
a story painted end to end with its progress on the story's line, the workflow filled for each scene, cancel,
the server's refusals and failures in one line, workflow files that cannot be used, and a websocket that drops."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from desktop.config import Settings
from desktop.generation.base import ImageRequest, ReportsProgress
from desktop.generation.comfyui import ComfyUIProvider, comfyui_label
from desktop.generation.comfyui_workflow import Filling, default_workflow_path, load_workflow, parse_workflow
from desktop.generation.errors import ProviderError, ProviderUnreachable
from desktop.models import ImageStatus, StoryRequest, StoryStatus
from desktop.qt.aio import TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.secrets import SecretStore
from desktop.services.connection_checks import check_image_provider
from desktop.services.scene_images import scene_seed
from desktop.ui.settings.settings_dialog import SettingsDialog
from tests.support.comfyui_server import CHECKPOINTS, STEPS, FakeComfyUIServer
from tests.support.generation_fixtures import FAST_RETRIES, MakeService, SignalLog

Run = Callable[..., Any]
REQUEST = StoryRequest(title="The Lamp at Skerry", prompt="Maren keeps the lighthouse; Ole rows out.", scene_count=2)


@pytest.fixture
def comfyui_server() -> Iterator[FakeComfyUIServer]:
    server = FakeComfyUIServer()
    server.start()
    yield server
    server.stop()


def provider_for(
    server: FakeComfyUIServer, executor: QThreadPoolExecutor, url: str | None = None, **fields: Any
) -> ComfyUIProvider:
    return ComfyUIProvider(
        base_url=url or server.url,
        executor=executor,
        timeout=5.0,
        policy=FAST_RETRIES,
        poll_interval=0.02,
        **fields,
    )


def paint(run: Run, provider: ComfyUIProvider, seen: list[float] | None = None, **fields: Any) -> bytes:
    async def go() -> bytes:
        try:
            values: dict[str, Any] = {"prompt": "Maren at the lamp, ink and watercolour", "seed": 42}
            request = ImageRequest(**{**values, **fields})
            return await provider.paint_with_progress(request, (seen if seen is not None else []).append)
        finally:
            await provider.aclose()

    data: bytes = run(go())
    return data


def failure(run: Run, provider: ComfyUIProvider) -> str:
    with pytest.raises(ProviderError) as caught:
        paint(run, provider)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def nodes(graph: dict[str, Any], class_type: str) -> list[dict[str, Any]]:
    return [node["inputs"] for node in graph.values() if node["class_type"] == class_type]


def test_a_story_is_painted_through_comfyui_with_its_progress_on_the_storys_line(
    run: Run, make_story_service: MakeService, comfyui_server: FakeComfyUIServer
) -> None:
    service = make_story_service(image_provider="comfyui", comfyui_url=comfyui_server.url)
    log = SignalLog(service)
    story = run(service.generate(REQUEST), timeout=60)
    assert story.status is StoryStatus.complete and story.image_provider == comfyui_label(comfyui_server.url)
    opened = run(service.open(story.id))
    assert opened is not None
    scenes = opened.scenes
    assert [scene.image_status for scene in scenes] == [ImageStatus.painted] * 2
    for scene in scenes:
        with Image.open(scene.image_path) as image:
            assert image.size == (128, 96)
        assert scene.image_made.model == CHECKPOINTS[0]  # none chosen: the first the server lists
        assert scene.image_made.seed == scene_seed(story, scene)

    # Each scene's workflow reached the server filled: its prompt, seed, size and the checkpoint.
    graphs = sorted(comfyui_server.prompts, key=lambda graph: nodes(graph, "KSampler")[0]["seed"])
    assert len(graphs) == 2
    for scene, graph in zip(sorted(scenes, key=lambda s: scene_seed(story, s)), graphs, strict=True):
        texts = [inputs["text"] for inputs in nodes(graph, "CLIPTextEncode")]
        assert texts[0] == scene.asked_image and "watermark" in texts[1]
        assert nodes(graph, "KSampler")[0]["seed"] == scene_seed(story, scene)
        assert nodes(graph, "EmptyLatentImage")[0] | {"batch_size": 1} == {"width": 768, "height": 512, "batch_size": 1}
        assert nodes(graph, "CheckpointLoaderSimple")[0]["ckpt_name"] == CHECKPOINTS[0]

    # The sampler's steps reach the story's progress line as whole percents.
    lines = [args[1] for args in log.of("story_progress") if args[0] == story.id]
    for number in (1, 2):
        told = [line for line in lines if line.startswith(f"Painting scene {number}… ")]
        assert told == [f"Painting scene {number}… {100 * step // STEPS} %" for step in range(1, STEPS + 1)]
        assert lines.index(told[-1]) < lines.index(f"Scene {number} painted.")


def test_the_chosen_checkpoint_is_used_and_a_newer_servers_list_is_read(
    run: Run, generation_executor: QThreadPoolExecutor, comfyui_server: FakeComfyUIServer
) -> None:
    comfyui_server.combo_format = True
    provider = provider_for(comfyui_server, generation_executor)
    assert isinstance(provider, ReportsProgress)
    assert paint(run, provider) == comfyui_server.image_bytes and provider.model == CHECKPOINTS[0]
    chosen = provider_for(comfyui_server, generation_executor, checkpoint=CHECKPOINTS[1])
    seen: list[float] = []
    paint(run, chosen, seen, width=1030, height=770)
    assert chosen.model == CHECKPOINTS[1] and seen == [step / STEPS for step in range(1, STEPS + 1)]
    graph = comfyui_server.prompts[-1]
    assert nodes(graph, "CheckpointLoaderSimple")[0]["ckpt_name"] == CHECKPOINTS[1]
    assert nodes(graph, "EmptyLatentImage")[0]["width"] == 1024  # multiples of 8, as the latent needs
    assert nodes(graph, "EmptyLatentImage")[0]["height"] == 768


def test_a_checkpoint_the_server_does_not_have_is_named_in_one_line(
    run: Run, generation_executor: QThreadPoolExecutor, comfyui_server: FakeComfyUIServer
) -> None:
    provider = provider_for(comfyui_server, generation_executor, checkpoint="v1-5-pruned.safetensors")
    assert failure(run, provider) == "ComfyUI has no checkpoint named v1-5-pruned.safetensors — pick one in Settings."
    comfyui_server.checkpoints = []
    message = failure(run, provider_for(comfyui_server, generation_executor))
    assert message.startswith("ComfyUI at 127.0.0.1:") and "has no checkpoint — put one in its models" in message


def test_the_servers_other_refusals_and_a_failure_while_painting_are_one_line(
    run: Run, generation_executor: QThreadPoolExecutor, comfyui_server: FakeComfyUIServer, tmp_path: Path
) -> None:
    graph = json.loads(default_workflow_path().read_text())
    graph["3"]["inputs"]["seed"] = "random"
    own = tmp_path / "own.json"
    own.write_text(json.dumps(graph))
    message = failure(run, provider_for(comfyui_server, generation_executor, workflow=str(own)))
    assert message == (
        "ComfyUI refused the workflow: KSampler — Failed to convert an input value to a INT value: seed, random"
    )

    comfyui_server.behaviours.append("error")
    message = failure(run, provider_for(comfyui_server, generation_executor))
    assert message == "ComfyUI failed while painting (KSampler): Allocation on device"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "is not valid JSON (line 1) — export it again from ComfyUI with Workflow → Export (API)"),
        ('{"nodes": [], "links": []}', "is in ComfyUI's editor format, not its API format"),
        ('{"3": {"inputs": {}}}', "is not a workflow in ComfyUI's API format"),
        ('{"6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat"}}}', "has no {{prompt}} placeholder"),
        (None, "cannot be read (No such file or directory) — choose another file in Settings"),
    ],
)
def test_a_workflow_file_that_cannot_be_used_says_why_before_anything_is_queued(
    run: Run,
    generation_executor: QThreadPoolExecutor,
    comfyui_server: FakeComfyUIServer,
    tmp_path: Path,
    text: str | None,
    words: str,
) -> None:
    file = tmp_path / "workflow.json"
    if text is not None:
        file.write_text(text)
    message = failure(run, provider_for(comfyui_server, generation_executor, workflow=str(file)))
    assert message.startswith("The ComfyUI workflow “workflow.json” ") and words in message
    assert comfyui_server.prompts == []


def test_placeholders_are_filled_in_the_parsed_graph_never_in_its_text() -> None:
    workflow = parse_workflow(
        json.dumps(
            {
                "1": {"class_type": "CLIPTextEncode", "inputs": {"text": "masterpiece, {{prompt}}"}},
                "2": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "steps": 20, "model": ["4", 0]}},
            }
        ),
        "test",
    )
    assert workflow.placeholders == {"prompt", "seed"}
    said = 'Ole said "{{seed}}", then \\ {braces} }}'
    graph = workflow.fill(Filling(said, "", "", 7, 64, 64))
    assert graph["1"]["inputs"]["text"] == f"masterpiece, {said}"
    assert graph["2"]["inputs"] == {"seed": 7, "steps": 20, "model": ["4", 0]}
    assert load_workflow("").placeholders == {"prompt", "negative_prompt", "checkpoint", "seed", "width", "height"}


def test_cancel_interrupts_our_running_prompt_and_takes_a_waiting_one_out_of_the_queue(
    run: Run, generation_executor: QThreadPoolExecutor, comfyui_server: FakeComfyUIServer
) -> None:
    comfyui_server.behaviours.extend(["hold", "paint"])
    provider = provider_for(comfyui_server, generation_executor)

    async def go() -> None:
        running = asyncio.Event()
        first = asyncio.ensure_future(
            provider.paint_with_progress(ImageRequest(prompt="first"), lambda _: running.set())
        )
        await asyncio.wait_for(running.wait(), 10)
        second = asyncio.ensure_future(provider.paint_with_progress(ImageRequest(prompt="second"), lambda _: None))
        # The second is queued behind the first.
        assert await asyncio.wrap_future(generation_executor.submit(comfyui_server.wait_for_prompts, 2))
        second.cancel()
        first.cancel()
        for task in (first, second):
            with pytest.raises(asyncio.CancelledError):
                await task
        await provider.aclose()

    run(go())
    first, second = comfyui_server.queued
    interrupts = [entry.body for entry in comfyui_server.requests_to("/interrupt")]
    deletes = [entry.body for entry in comfyui_server.requests_to("/queue") if entry.method == "POST"]
    assert interrupts == [{"prompt_id": first.prompt_id}]
    assert deletes == [{"delete": [second.prompt_id]}]
    assert comfyui_server.pending == []  # the second never runs


def test_a_websocket_that_drops_or_is_refused_is_replaced_by_polling_the_history(
    run: Run, generation_executor: QThreadPoolExecutor, comfyui_server: FakeComfyUIServer
) -> None:
    comfyui_server.behaviours.append("drop")
    assert paint(run, provider_for(comfyui_server, generation_executor)) == comfyui_server.image_bytes
    assert any(entry.path.startswith("/history/") for entry in comfyui_server.recorded)

    comfyui_server.websocket_enabled = False
    assert paint(run, provider_for(comfyui_server, generation_executor)) == comfyui_server.image_bytes


def test_a_server_that_is_not_there_is_named_with_what_to_check(
    run: Run, generation_executor: QThreadPoolExecutor, comfyui_server: FakeComfyUIServer
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    provider = provider_for(comfyui_server, generation_executor, url=closed, checkpoint=CHECKPOINTS[0])
    with pytest.raises(ProviderUnreachable, match=r"Cannot reach ComfyUI at 127\.0\.0\.1:"):
        paint(run, provider)


def test_the_settings_test_button_lists_the_servers_checkpoints(run: Run, comfyui_server: FakeComfyUIServer) -> None:
    settings = Settings(image_provider="comfyui", comfyui_url=comfyui_server.url)
    result = run(check_image_provider(settings))
    assert result.ok and result.checkpoints == tuple(CHECKPOINTS)
    assert result.message == "Connected — 2 checkpoints, dreamshaper_8.safetensors first."
    comfyui_server.checkpoints = []
    result = run(check_image_provider(settings))
    assert not result.ok and "no checkpoint" in result.message


def test_settings_offer_comfyui_and_its_test_fills_the_checkpoints(
    qtbot: Any, run: Run, generation_executor: QThreadPoolExecutor, comfyui_server: FakeComfyUIServer, tmp_path: Path
) -> None:
    tasks = TaskRunner()
    settings = Settings(data_dir=tmp_path / "data", comfyui_url=comfyui_server.url)
    dialog = SettingsDialog(settings, SecretStore(), generation_executor, tasks.start)
    qtbot.addWidget(dialog)
    dialog.open()
    assert not dialog.comfyui_group.isEnabled()
    dialog.image_provider.setCurrentIndex(dialog.image_provider.findData("comfyui"))
    assert dialog.comfyui_group.isEnabled() and dialog.image_provider.currentText() == "ComfyUI"
    qtbot.mouseClick(dialog.image_test.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.image_test.result.text().startswith(("✓", "✗")), timeout=15_000)
    assert dialog.image_test.result.text() == "✓ Connected — 2 checkpoints, dreamshaper_8.safetensors first."
    box = dialog.comfyui_checkpoint
    assert [box.itemText(i) for i in range(box.count())] == CHECKPOINTS and box.currentText() == ""
    box.setCurrentIndex(1)
    dialog.comfyui_workflow.edit.setText(str(tmp_path / "mine.json"))
    edited = dialog.edited_settings()
    assert (edited.image_provider, edited.comfyui_checkpoint) == ("comfyui", CHECKPOINTS[1])
    assert edited.comfyui_workflow == str(tmp_path / "mine.json") and edited.comfyui_url == comfyui_server.url
    dialog.comfyui_url.setText("localhost:8188")
    assert "comfyui_url" in dialog.problems()
    dialog.reject()
    run(tasks.cancel_all())
