"""The Automatic1111-compatible provider against a loopback txt2img server, including its failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from desktop.generation.a1111 import Automatic1111Provider
from desktop.generation.base import ImageRequest
from desktop.generation.errors import (
    BadResponse,
    KeyRejected,
    ProviderError,
    ProviderTimeout,
    ProviderUnreachable,
    ServiceFailed,
)
from desktop.generation.images import check_image
from tests.support.a1111_server import OUT_OF_MEMORY, TXT2IMG, VALIDATION, FakeA1111Server
from tests.support.generation_fixtures import FAST_RETRIES
from tests.support.http_faults import Fault

Run = Callable[..., Any]


def provider_for(server: FakeA1111Server, url: str | None = None, timeout: float = 5.0) -> Automatic1111Provider:
    return Automatic1111Provider(base_url=url or server.url, timeout=timeout, policy=FAST_RETRIES)


def paint(run: Run, provider: Automatic1111Provider, **fields: Any) -> bytes:
    async def go() -> bytes:
        try:
            values: dict[str, Any] = {"prompt": "Ama at the salt gate, woodcut", "title": "The Gate", "seed": 42}
            return await provider.paint(ImageRequest(**{**values, **fields}))
        finally:
            await provider.aclose()

    data: bytes = run(go())
    return data


def failure(run: Run, provider: Automatic1111Provider) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        paint(run, provider)
    return caught.value


def test_a_picture_comes_back_for_the_prompt_size_and_seed(run: Run, a1111_server: FakeA1111Server) -> None:
    provider = provider_for(a1111_server)
    assert provider.label == f"Automatic1111 at {a1111_server.url[7:]}"
    data = paint(run, provider, width=770, height=512)
    assert check_image(data).format == "PNG" and data == a1111_server.image_bytes
    body = a1111_server.requests_to(TXT2IMG)[0].body
    assert body["prompt"] == "Ama at the salt gate, woodcut" and body["seed"] == 42
    assert (body["width"], body["height"]) == (768, 512)  # Stable Diffusion wants multiples of 8
    assert "watermark" in body["negative_prompt"]


def test_a_data_url_prefix_is_understood(run: Run, a1111_server: FakeA1111Server) -> None:
    a1111_server.fail_next(TXT2IMG, Fault(200, kind="data_url"))
    assert paint(run, provider_for(a1111_server)) == a1111_server.image_bytes


def test_a_webui_started_without_the_api_says_how_to_start_it(run: Run, a1111_server: FakeA1111Server) -> None:
    a1111_server.api_enabled = False
    error = failure(run, provider_for(a1111_server))
    assert "No Automatic1111 API at" in str(error) and "--api" in str(error)


def test_a_login_goes_in_the_address_and_never_into_messages(run: Run, a1111_server: FakeA1111Server) -> None:
    a1111_server.credentials = ("writer", "hunter2-secret")
    error = failure(run, provider_for(a1111_server))
    assert isinstance(error, KeyRejected) and "http://user:password@host:7860" in str(error)
    with_login = a1111_server.url.replace("http://", "http://writer:hunter2-secret@")
    assert paint(run, provider_for(a1111_server, with_login)) == a1111_server.image_bytes
    a1111_server.credentials = ("writer", "other")
    error = failure(run, provider_for(a1111_server, with_login))
    assert "hunter2-secret" not in str(error) and "writer:" not in str(error)


def test_a_rejected_request_quotes_the_server(run: Run, a1111_server: FakeA1111Server) -> None:
    a1111_server.fail_next(TXT2IMG, Fault(422, VALIDATION))
    error = failure(run, provider_for(a1111_server))
    assert str(error).startswith("The image server rejected the request:") and "not a valid integer" in str(error)


def test_a_failed_generation_is_retried_then_reported(run: Run, a1111_server: FakeA1111Server) -> None:
    a1111_server.fail_next(TXT2IMG, Fault(500, OUT_OF_MEMORY))
    assert paint(run, provider_for(a1111_server)) == a1111_server.image_bytes
    assert len(a1111_server.requests_to(TXT2IMG)) == 2
    a1111_server.fail_next(TXT2IMG, *[Fault(500, OUT_OF_MEMORY)] * 3)
    error = failure(run, provider_for(a1111_server))
    assert isinstance(error, ServiceFailed)
    assert "failed (HTTP 500): OutOfMemoryError: CUDA out of memory." in str(error)


def test_a_slow_server_times_out_in_plain_words(run: Run, a1111_server: FakeA1111Server) -> None:
    a1111_server.fail_next(TXT2IMG, Fault(200, delay=5.0, kind="slow"))
    error = failure(run, provider_for(a1111_server, timeout=0.3))
    assert isinstance(error, ProviderTimeout)  # the server answers after 5 s: it was not waited for
    assert f"The image server at {a1111_server.url[7:]} did not answer within 0.3 s" in str(error)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("malformed_json", "not a txt2img result"),
        ("bad_base64", "sent image data that is not valid base64"),
        ("no_images", "answered without an image"),
    ],
)
def test_broken_answers_fail_with_the_reason(run: Run, a1111_server: FakeA1111Server, kind: str, words: str) -> None:
    a1111_server.fail_next(TXT2IMG, Fault(200, kind=kind))
    error = failure(run, provider_for(a1111_server))
    assert isinstance(error, BadResponse) and words in str(error)


def test_bytes_that_are_no_image_are_caught_by_the_check(run: Run, a1111_server: FakeA1111Server) -> None:
    a1111_server.fail_next(TXT2IMG, Fault(200, kind="not_image"))
    with pytest.raises(ProviderError, match=r"^The image server returned something that is not a PNG, JPEG or WebP"):
        check_image(paint(run, provider_for(a1111_server)), source="The image server")


def test_nothing_listening_is_named(run: Run, a1111_server: FakeA1111Server) -> None:
    error = failure(run, provider_for(a1111_server, "http://127.0.0.1:9"))
    assert isinstance(error, ProviderUnreachable)
    assert str(error).startswith("Cannot reach the image server at 127.0.0.1:9")
