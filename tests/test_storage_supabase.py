"""SupabaseStorage through the real supabase-py client against the loopback Storage server."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import httpx
import pytest
from pydantic import SecretStr
from storage3.exceptions import StorageApiError

from desktop.models import FailureKind
from desktop.storage import StorageConfigError, UploadCancelled, classify
from desktop.storage.supabase_storage import SupabaseStorage
from tests.support.storage_fixtures import BUCKET, png_bytes
from tests.support.storage_server import Bucket, Fault, StorageServer

PATH = "writer/story/scene-00-0123456789ab.png"


@pytest.fixture
def make_storage(storage_server: StorageServer) -> Iterator[Callable[..., SupabaseStorage]]:
    made: list[SupabaseStorage] = []

    def make(*, key: str | None = None, public: bool = False, timeout: float = 1.0) -> SupabaseStorage:
        storage = SupabaseStorage(
            storage_server.url,
            SecretStr(storage_server.key if key is None else key),
            BUCKET,
            public=public,
            signed_url_expiry=600,
            timeout=timeout,
        )
        made.append(storage)
        return storage

    yield make
    for storage in made:
        storage.close()


def test_creating_the_client_and_its_storage_raises_no_deprecation_warning(
    storage_server: StorageServer,
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        storage = SupabaseStorage(storage_server.url, SecretStr(storage_server.key), BUCKET)
        storage.ensure_bucket()
        storage.close()
    assert [w for w in caught if issubclass(w.category, DeprecationWarning)] == []
    assert storage_server.requests[0] == ("GET", f"/storage/v1/bucket/{BUCKET}")  # nothing before the first use


def test_the_bucket_is_created_private_once_per_session(
    make_storage: Callable[..., SupabaseStorage], storage_server: StorageServer
) -> None:
    storage = make_storage()
    storage.ensure_bucket()
    storage.ensure_bucket()
    assert storage_server.buckets[BUCKET].public is False
    assert [method for method, path in storage_server.requests if "/bucket" in path] == ["GET", "POST"]


def test_a_public_setting_creates_a_public_bucket_with_public_urls(
    make_storage: Callable[..., SupabaseStorage], storage_server: StorageServer
) -> None:
    storage = make_storage(public=True)
    storage.upload(PATH, png_bytes(1), "image/png")
    url = storage.url_for(PATH)
    assert storage_server.buckets[BUCKET].public is True
    assert "/object/public/" in url and httpx.get(url).content == png_bytes(1)


def test_an_existing_private_bucket_decides_over_a_public_setting(
    make_storage: Callable[..., SupabaseStorage], storage_server: StorageServer
) -> None:
    storage_server.buckets[BUCKET] = Bucket(BUCKET, public=False)
    storage = make_storage(public=True)
    storage.upload(PATH, png_bytes(2), "image/png")
    assert httpx.get(storage.url_for(PATH)).content == png_bytes(2)  # signed, since a public URL would 404


def test_uploads_are_upserts_with_the_content_type_and_progress(
    make_storage: Callable[..., SupabaseStorage], storage_server: StorageServer, tmp_path: object
) -> None:
    storage = make_storage()
    seen: list[tuple[int, int]] = []
    storage.upload(PATH, png_bytes(3), "image/png", lambda done, total: seen.append((done, total)))
    storage.upload(PATH, png_bytes(4), "image/png")

    assert storage_server.object_keys(BUCKET) == {PATH}
    assert storage_server.writes[f"{BUCKET}/{PATH}"] == 2
    assert storage_server.object_data(BUCKET, PATH) == png_bytes(4)
    assert storage_server.objects[(BUCKET, PATH)].content_type == "image/png"
    assert seen[-1] == (len(png_bytes(3)), len(png_bytes(3)))


def test_signed_urls_serve_the_object_and_a_tampered_one_is_refused(
    make_storage: Callable[..., SupabaseStorage],
) -> None:
    storage = make_storage()
    storage.upload(PATH, png_bytes(5), "image/png")
    other = PATH.replace("scene-00", "scene-01")
    storage.upload(other, png_bytes(6), "image/png")

    url = storage.url_for(PATH)
    assert "token=" in url and httpx.get(url).content == png_bytes(5)
    tampered = httpx.get(url[:-3] + "abc")
    assert tampered.status_code == 400 and tampered.json()["error"] == "InvalidJWT"
    both = storage.urls_for([PATH, other, "writer/story/missing.png"])
    assert set(both) == {PATH, other}
    assert httpx.get(both[other]).content == png_bytes(6)


def test_list_exists_download_and_remove(make_storage: Callable[..., SupabaseStorage]) -> None:
    storage = make_storage()
    storage.upload(PATH, png_bytes(7), "image/png")
    assert storage.exists(PATH) and not storage.exists("writer/story/nothing.png")
    assert storage.list("writer/story") == [PATH]
    assert storage.list("writer") == []  # only objects directly in the folder
    assert httpx.get(storage.url_for(PATH)).content == png_bytes(7)  # what a reader of the link gets
    storage.remove([PATH, "writer/story/never-there.png"])
    assert not storage.exists(PATH)


def test_a_cancelled_upload_stores_nothing(
    make_storage: Callable[..., SupabaseStorage], storage_server: StorageServer
) -> None:
    storage = make_storage()
    storage.ensure_bucket()

    def cancel(done: int, total: int) -> None:
        raise UploadCancelled()

    with pytest.raises(UploadCancelled):
        storage.upload(PATH, png_bytes(8, side=600), "image/png", cancel)
    assert storage_server.object_keys(BUCKET) == set()


@pytest.mark.parametrize(
    ("break_it", "kind"),
    [
        (lambda server: server.inject(Fault.server_error(503)), FailureKind.server_error),
        (lambda server: server.inject(Fault.server_error(502, html=True)), FailureKind.server_error),
        (lambda server: server.inject(Fault.rate_limited()), FailureKind.rate_limited),
        (lambda server: server.inject(Fault.drop()), FailureKind.connection),
        (lambda server: server.inject(Fault.stall(seconds=2.0)), FailureKind.timeout),
        (lambda server: setattr(server, "size_limit", 10), FailureKind.too_large),
        (lambda server: setattr(server, "allowed_mime_types", ["image/webp"]), FailureKind.type_refused),
    ],
    ids=["503", "502-html", "429", "dropped", "slow", "413", "415"],
)
def test_failed_uploads_raise_what_the_classifier_understands(
    break_it: Callable[[StorageServer], None],
    kind: FailureKind,
    make_storage: Callable[..., SupabaseStorage],
    storage_server: StorageServer,
) -> None:
    storage = make_storage()
    storage.ensure_bucket()
    break_it(storage_server)
    with pytest.raises(Exception) as caught:  # the kind is what matters
        storage.upload(PATH, png_bytes(9), "image/png")
    assert classify(caught.value, bucket=BUCKET).kind is kind


def test_a_wrong_key_and_an_uncreatable_bucket_are_named(
    make_storage: Callable[..., SupabaseStorage], storage_server: StorageServer
) -> None:
    with pytest.raises(StorageApiError) as wrong_key:
        make_storage(key="some.other.key").ensure_bucket()
    assert classify(wrong_key.value).message == "Supabase rejected the key — check it in Settings."
    assert storage_server.key not in str(wrong_key.value)

    storage_server.refuse_bucket_creation = True
    with pytest.raises(Exception) as no_bucket:
        make_storage().ensure_bucket()
    assert classify(no_bucket.value, bucket=BUCKET).kind is FailureKind.bucket_missing


def test_an_unreachable_server_is_a_connection_failure(storage_server: StorageServer) -> None:
    url = storage_server.url
    storage_server.stop()
    storage = SupabaseStorage(url, SecretStr("any.key.value"), BUCKET, timeout=1.0)
    with pytest.raises(httpx.ConnectError) as caught:
        storage.ensure_bucket()
    assert classify(caught.value).kind is FailureKind.connection
    storage.close()


@pytest.mark.parametrize(
    ("url", "key", "words"),
    [
        ("", "key", "its URL is not set"),
        ("", "", "its URL and key are not set"),
        ("https://project.supabase.co", "", "its key is not set"),
        ("project.supabase.co", "key", "not valid"),
    ],
)
def test_incomplete_settings_say_what_to_fix(url: str, key: str, words: str) -> None:
    with pytest.raises(StorageConfigError, match=words) as caught:
        SupabaseStorage(url, SecretStr(key), BUCKET)
    assert classify(caught.value).kind is FailureKind.not_configured
