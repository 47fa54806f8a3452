"""Characters' portraits sent as reference pictures to an Automatic1111-compatible server (issue 18): what the server
can do is asked once, portraits go as IP-Adapter units of the ControlNet extension when it has them, and the
checkpoint that painted is known for each picture's record."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import pytest

from desktop.generation.a1111 import Automatic1111Provider
from desktop.generation.base import ImageAbilities, ImageRequest, Reference
from tests.support.a1111_server import (
    CONTROLNET_SETTINGS,
    IP_ADAPTER_CONTROLNET,
    MODEL_LIST,
    MODULE_LIST,
    OPTIONS,
    TXT2IMG,
    FakeA1111Server,
)
from tests.support.generation_fixtures import FAST_RETRIES
from tests.support.http_faults import Fault, png_bytes

Run = Callable[..., Any]

AMA = Reference("Ama", png_bytes(64, 64, (200, 150, 120)))
KOFI = Reference("Kofi", png_bytes(64, 64, (90, 60, 40)))
ESI = Reference("Esi", png_bytes(64, 64, (30, 30, 30)))
YAW = Reference("Yaw", png_bytes(64, 64, (240, 240, 240)))


def provider_for(server: FakeA1111Server, url: str | None = None, timeout: float = 5.0) -> Automatic1111Provider:
    return Automatic1111Provider(base_url=url or server.url, timeout=timeout, policy=FAST_RETRIES)


def request(*references: Reference) -> ImageRequest:
    return ImageRequest(prompt="Ama and Kofi at the salt gate, woodcut", seed=42, references=references)


def abilities_then_paint(
    run: Run, provider: Automatic1111Provider, *requests: ImageRequest
) -> tuple[ImageAbilities, list[bytes]]:
    async def go() -> tuple[ImageAbilities, list[bytes]]:
        try:
            abilities = await provider.abilities()
            return abilities, [await provider.paint(each) for each in requests]
        finally:
            await provider.aclose()

    result: tuple[ImageAbilities, list[bytes]] = run(go())
    return result


def units_sent(server: FakeA1111Server) -> list[list[dict[str, Any]]]:
    return [scripts["controlnet"]["args"] if scripts else [] for scripts in server.alwayson_scripts()]


def with_controlnet(server: FakeA1111Server, **changes: Any) -> None:
    server.controlnet = {**IP_ADAPTER_CONTROLNET, **changes}


def test_portraits_go_as_one_ip_adapter_unit_each(run: Run, a1111_server: FakeA1111Server) -> None:
    with_controlnet(a1111_server)
    provider = provider_for(a1111_server)
    abilities, images = abilities_then_paint(run, provider, request(AMA, KOFI))
    assert abilities.seed and abilities.reference == "IP-Adapter (ControlNet)"
    assert "sends the portraits of up to 3 characters" in abilities.note
    assert images == [a1111_server.image_bytes]
    [units] = units_sent(a1111_server)
    assert [base64.b64decode(unit["image"]) for unit in units] == [AMA.image, KOFI.image]
    for unit in units:
        # The SD1.5 adapter for the SD1.5 checkpoint, not the FaceID one (it needs insightface and a LoRA).
        assert unit["model"] == "ip-adapter-plus_sd15 [836b5c2e]" and unit["module"] == "ip-adapter_clip_h"
        assert unit["enabled"] is True and unit["weight"] == 0.7 and unit["pixel_perfect"] is True
        assert (unit["resize_mode"], unit["control_mode"]) == ("Crop and Resize", "Balanced")
        assert "input_image" not in unit  # the old alias; the extension refuses both together


def test_no_more_portraits_than_the_extension_has_units(run: Run, a1111_server: FakeA1111Server) -> None:
    with_controlnet(a1111_server)
    abilities_then_paint(run, provider_for(a1111_server), request(AMA, KOFI, ESI, YAW))
    assert [len(units) for units in units_sent(a1111_server)] == [3]  # the extension's default unit count
    with_controlnet(a1111_server, control_net_unit_count=2)
    abilities, _ = abilities_then_paint(run, provider_for(a1111_server), request(AMA, KOFI, ESI))
    assert [len(units) for units in units_sent(a1111_server)] == [3, 2] and "up to 2 characters" in abilities.note


SD15 = "v1-5-pruned-emaonly.safetensors [6ce0161689]"
SDXL = "sd_xl_base_1.0.safetensors [31e35c80fc]"
NEW_NAMES = ["ip-adapter_clip_g", "ip-adapter_clip_h"]
OLD_NAMES = ["ip-adapter_clip_sd15", "ip-adapter_clip_sdxl"]  # the extension's preprocessors before 2024


@pytest.mark.parametrize(
    ("checkpoint", "modules", "model", "module"),
    [
        (SDXL, NEW_NAMES, "ip-adapter_sdxl", "ip-adapter_clip_g"),
        (SD15, OLD_NAMES, "ip-adapter-plus_sd15", "ip-adapter_clip_sd15"),
        (SDXL, OLD_NAMES, "ip-adapter_sdxl", "ip-adapter_clip_sdxl"),
        (SD15, ["none", "ip-adapter-auto"], "ip-adapter-plus_sd15", "ip-adapter-auto"),
    ],
)
def test_the_adapter_suits_the_checkpoint_and_the_preprocessor_the_adapter(
    run: Run, a1111_server: FakeA1111Server, checkpoint: str, modules: list[str], model: str, module: str
) -> None:
    with_controlnet(a1111_server, module_list=modules)
    a1111_server.checkpoint = checkpoint
    abilities_then_paint(run, provider_for(a1111_server), request(AMA))
    [[unit]] = units_sent(a1111_server)
    assert unit["model"].split(" [")[0] == model and unit["module"] == module


def test_without_controlnet_portraits_are_kept_and_the_writer_told_how(run: Run, a1111_server: FakeA1111Server) -> None:
    provider = provider_for(a1111_server)
    abilities, images = abilities_then_paint(run, provider, request(AMA, KOFI), request())
    assert abilities.seed and abilities.reference == ""
    assert abilities.note == (
        f"{provider.label} keeps each story's seed; characters' portraits are kept but not sent: install the "
        "ControlNet extension with an IP-Adapter model to send them."
    )
    assert images == [a1111_server.image_bytes] * 2
    with_portraits, without = (entry.body for entry in a1111_server.requests_to(TXT2IMG))
    assert with_portraits == without and "alwayson_scripts" not in with_portraits


def test_controlnet_without_an_ip_adapter_sends_nothing(run: Run, a1111_server: FakeA1111Server) -> None:
    with_controlnet(a1111_server, model_list=["control_v11p_sd15_canny [d14c016b]", "ip-adapter-faceid_sd15"])
    abilities, _ = abilities_then_paint(run, provider_for(a1111_server), request(AMA))
    assert abilities.reference == "" and "its ControlNet extension has no IP-Adapter model" in abilities.note
    assert a1111_server.alwayson_scripts() == [None]
    # An adapter model but an extension too old for its preprocessor: nothing it could run.
    with_controlnet(a1111_server, module_list=["none", "canny", "openpose"])
    abilities, _ = abilities_then_paint(run, provider_for(a1111_server), request(AMA))
    assert abilities.reference == "" and a1111_server.alwayson_scripts() == [None, None]
    assert "its ControlNet extension is too old for IP-Adapter — update it" in abilities.note


@pytest.mark.parametrize(
    "fault",
    [
        Fault(200, delay=5.0, kind="slow"),  # answers after the probe gave up
        Fault(200, kind="garbage"),  # a proxy's page
        Fault(200, kind="wrong_shape"),
        Fault(500, {"detail": "Internal Server Error"}),
    ],
    ids=["hanging", "garbage", "wrong_shape", "failing"],
)
def test_a_broken_controlnet_route_never_fails_painting(run: Run, a1111_server: FakeA1111Server, fault: Fault) -> None:
    with_controlnet(a1111_server)
    a1111_server.fail_next(MODEL_LIST, fault)
    abilities, images = abilities_then_paint(run, provider_for(a1111_server, timeout=0.5), request(AMA))
    assert images == [a1111_server.image_bytes]
    assert abilities.reference == "" and "kept but not sent" in abilities.note
    assert a1111_server.alwayson_scripts() == [None]
    assert len(a1111_server.requests_to(MODEL_LIST)) == 1  # asked once, never retried


def test_a_slow_unit_count_only_costs_the_count(run: Run, a1111_server: FakeA1111Server) -> None:
    with_controlnet(a1111_server)
    a1111_server.fail_next(CONTROLNET_SETTINGS, Fault(200, delay=5.0, kind="slow"))
    abilities, _ = abilities_then_paint(run, provider_for(a1111_server, timeout=0.5), request(AMA, KOFI, ESI, YAW))
    assert abilities.reference and [len(units) for units in units_sent(a1111_server)] == [3]


def test_the_server_is_asked_once_however_many_scenes_paint_at_once(run: Run, a1111_server: FakeA1111Server) -> None:
    with_controlnet(a1111_server)
    provider = provider_for(a1111_server)

    async def go() -> list[bytes]:
        try:
            return await asyncio.gather(*(provider.paint(request(AMA)) for _ in range(6)))
        finally:
            await provider.aclose()

    assert run(go()) == [a1111_server.image_bytes] * 6
    for path in (MODEL_LIST, MODULE_LIST, CONTROLNET_SETTINGS, OPTIONS):
        assert len(a1111_server.requests_to(path)) == 1, path
    assert [len(units) for units in units_sent(a1111_server)] == [1] * 6


def test_painting_without_portraits_asks_nothing_more(run: Run, a1111_server: FakeA1111Server) -> None:
    with_controlnet(a1111_server)
    provider = provider_for(a1111_server)

    async def go() -> bytes:
        try:
            return await provider.paint(request())
        finally:
            await provider.aclose()

    run(go())
    assert [entry.path for entry in a1111_server.recorded] == [TXT2IMG]
    assert a1111_server.alwayson_scripts() == [None]


def test_the_model_is_known_before_painting_and_read_from_each_answer(run: Run, a1111_server: FakeA1111Server) -> None:
    provider = provider_for(a1111_server)
    seen: list[str] = []

    async def go() -> None:
        try:
            await provider.abilities()
            seen.append(provider.model)  # from the options' checkpoint, named as txt2img's info names it
            a1111_server.info = {"sd_model_name": "juggernautXL_v9", "sd_model_hash": "c9e3e68f89"}
            await provider.paint(request())
            seen.append(provider.model)
            a1111_server.info = {"sd_model_hash": "6ce0161689"}
            await provider.paint(request())
            seen.append(provider.model)
            a1111_server.info = {"seed": 42}
            await provider.paint(request())
            seen.append(provider.model)  # an answer that does not say keeps the last known
        finally:
            await provider.aclose()

    run(go())
    assert seen == ["dreamshaper_8", "juggernautXL_v9", "6ce0161689", "6ce0161689"]


def test_a_login_in_the_address_also_opens_the_questions(run: Run, a1111_server: FakeA1111Server) -> None:
    with_controlnet(a1111_server)
    a1111_server.credentials = ("writer", "hunter2-secret")
    with_login = a1111_server.url.replace("http://", "http://writer:hunter2-secret@")
    abilities, _ = abilities_then_paint(run, provider_for(a1111_server, with_login), request(AMA))
    assert abilities.reference and [len(units) for units in units_sent(a1111_server)] == [1]
