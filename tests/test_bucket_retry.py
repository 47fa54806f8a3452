"""The bucket check and creation: only the server's 404 "Bucket not found" means missing; a struggling server is a
transient fault that the next attempt heals. SupabaseStorage through supabase-py against the loopback server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from storage3.exceptions import StorageApiError

from desktop.models import FailureKind, utc_now
from desktop.storage import BucketUnavailable, classify
from desktop.storage.supabase_storage import SupabaseStorage
from tests.support.storage_fixtures import BUCKET, png_bytes
from tests.support.storage_server import Bucket, Fault, StorageServer

PATH = "writer/story/scene-00-0123456789ab.png"
EXPIRY_S = 600


@pytest.fixture
def storage(storage_server: StorageServer) -> Iterator[SupabaseStorage]:
    made = SupabaseStorage(
        storage_server.url, SecretStr(storage_server.key), BUCKET, signed_url_expiry=EXPIRY_S, timeout=1.0
    )
    yield made
    made.close()


@pytest.mark.parametrize(
    ("fault", "on"),
    [
        (Fault.server_error(503), "bucket"),
        (Fault.server_error(502, html=True), "bucket"),
        (Fault.server_error(500), "create_bucket"),
        (Fault.rate_limited(), "create_bucket"),
        (Fault.drop(), "create_bucket"),
    ],
    ids=["check-503", "check-502-html", "create-500", "create-429", "create-dropped"],
)
def test_a_struggling_server_is_a_transient_fault_and_the_next_check_creates_the_bucket(
    fault: Fault, on: str, storage: SupabaseStorage, storage_server: StorageServer
) -> None:
    storage_server.inject(fault, on=on)  # type: ignore[arg-type]
    with pytest.raises(Exception) as caught:
        storage.ensure_bucket()
    assert not isinstance(caught.value, BucketUnavailable)
    failure = classify(caught.value, bucket=BUCKET)
    assert failure.is_transient and "does not exist" not in failure.message
    assert BUCKET not in storage_server.buckets

    storage.ensure_bucket()  # nothing remembered: asked again, and created
    assert storage_server.buckets[BUCKET].public is False


def test_only_the_servers_bucket_not_found_reads_as_missing() -> None:
    assert classify(StorageApiError("Bucket not found", "Bucket not found", "404")).kind is FailureKind.bucket_missing
    assert classify(StorageApiError("Object not found", "not_found", "404")).kind is not FailureKind.bucket_missing
    gateway = httpx.Response(404, request=httpx.Request("GET", "https://project.supabase.co/storage/v1/bucket/x"))
    not_found = httpx.HTTPStatusError("Not Found", request=gateway.request, response=gateway)
    assert classify(not_found).kind is not FailureKind.bucket_missing


def test_a_refused_creation_is_still_a_missing_bucket(storage: SupabaseStorage, storage_server: StorageServer) -> None:
    storage_server.refuse_bucket_creation = True
    with pytest.raises(BucketUnavailable) as caught:
        storage.ensure_bucket()
    assert classify(caught.value, bucket=BUCKET).kind is FailureKind.bucket_missing


def test_links_carry_their_expiry_and_leave_out_objects_that_are_not_stored(
    storage: SupabaseStorage, storage_server: StorageServer
) -> None:
    storage.upload(PATH, png_bytes(1), "image/png")
    before = utc_now()
    links = storage.links_for([PATH, "writer/story/missing.png"])
    assert list(links) == [PATH]
    link = links[PATH]
    assert link.expires_at is not None
    assert before + timedelta(seconds=EXPIRY_S - 5) <= link.expires_at <= utc_now() + timedelta(seconds=EXPIRY_S)
    assert httpx.get(link.url).content == png_bytes(1)


def test_a_signing_fault_raises_for_the_whole_batch(storage: SupabaseStorage, storage_server: StorageServer) -> None:
    storage.upload(PATH, png_bytes(2), "image/png")
    storage_server.inject(Fault.server_error(503), on="sign")
    with pytest.raises(StorageApiError) as caught:
        storage.links_for([PATH])
    assert classify(caught.value).kind is FailureKind.server_error
    assert PATH in storage.links_for([PATH])


def test_public_links_follow_the_bucket_and_never_expire(storage_server: StorageServer) -> None:
    storage_server.buckets[BUCKET] = Bucket(BUCKET, public=True)
    storage = SupabaseStorage(storage_server.url, SecretStr(storage_server.key), BUCKET, public=False, timeout=1.0)
    try:
        storage.upload(PATH, png_bytes(3), "image/png")
        link = storage.links_for([PATH])[PATH]
        assert "/object/public/" in link.url and link.expires_at is None
        assert httpx.get(link.url).content == png_bytes(3)
    finally:
        storage.close()
