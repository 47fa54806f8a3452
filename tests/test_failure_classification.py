"""Every failure gets a kind and words a writer can act on; the storage server's table (FACTS.md) row by row."""

from __future__ import annotations

import errno
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from storage3.exceptions import StorageApiError

from desktop.logs import SECRET_MASK
from desktop.models import FailureKind
from desktop.storage import BucketUnavailable, NotAnImage, StorageConfigError, classify

REQUEST = httpx.Request("POST", "https://project.supabase.co/storage/v1/object/story-images/a.png")

SERVER_TABLE = [
    # (.status as storage3 parses it from the body, .code, .message) -> kind, words the writer reads
    ("404", "Bucket not found", "Bucket not found", FailureKind.bucket_missing, "does not exist"),
    ("403", "Unauthorized", "signature verification failed", FailureKind.key_rejected, "Supabase rejected the key"),
    ("403", "Unauthorized", "Invalid Compact JWS", FailureKind.key_rejected, "check it in Settings"),
    ("403", "Unauthorized", '"exp" claim timestamp check failed', FailureKind.key_rejected, "has expired"),
    (
        "403",
        "Unauthorized",
        "new row violates row-level security policy",
        FailureKind.access_refused,
        "access rules refused",
    ),
    ("413", "Payload too large", "The object exceeded the maximum allowed size", FailureKind.too_large, "larger"),
    ("415", "invalid_mime_type", "mime type text/plain is not supported", FailureKind.type_refused, "text/plain"),
    ("429", "too_many_requests", "Too many requests", FailureKind.rate_limited, "slow down"),
    ("500", "internal", "Internal Server Error", FailureKind.server_error, "HTTP 500"),
    ("400", "InvalidKey", "Invalid key: a/../b.png", FailureKind.invalid_path, "storage path"),
    ("409", "Duplicate", "The resource already exists", FailureKind.unknown, "already exists"),
]


@pytest.mark.parametrize(("status", "code", "message", "kind", "words"), SERVER_TABLE)
@pytest.mark.parametrize("as_int", [False, True], ids=["status-str", "status-int"])
def test_the_servers_errors_get_a_kind_and_plain_words(
    status: str, code: str, message: str, kind: FailureKind, words: str, as_int: bool
) -> None:
    failure = classify(StorageApiError(message, code, int(status) if as_int else status), bucket="story-images")
    assert failure.kind is kind
    assert words in failure.message
    assert "{" not in failure.message and "statusCode" not in failure.message  # never the dict


def test_the_real_key_message_is_the_one_the_issue_asks_for() -> None:
    failure = classify(StorageApiError("signature verification failed", "Unauthorized", "403"))
    assert failure.message == "Supabase rejected the key — check it in Settings."
    assert not failure.is_transient and failure.concerns_the_storage


@given(status=st.integers(min_value=500, max_value=599), as_text=st.booleans())
def test_any_5xx_is_a_transient_server_error(status: int, as_text: bool) -> None:
    failure = classify(StorageApiError("oops", "InternalError", str(status) if as_text else status))
    expected = FailureKind.timeout if status == 504 else FailureKind.server_error  # 504: the gateway gave up waiting
    assert failure.kind is expected and failure.is_transient


def test_an_unparseable_gateway_page_is_read_from_its_http_status() -> None:
    error = StorageApiError("Unable to parse error message: <html>502 Bad Gateway</html>", "InternalError", 502)
    assert classify(error).kind is FailureKind.server_error


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (httpx.ReadTimeout("timed out", request=REQUEST), FailureKind.timeout),
        (httpx.WriteTimeout("timed out", request=REQUEST), FailureKind.timeout),
        (httpx.ConnectTimeout("timed out", request=REQUEST), FailureKind.timeout),
        (httpx.PoolTimeout("timed out", request=REQUEST), FailureKind.timeout),
        (httpx.ConnectError("[Errno 111] Connection refused", request=REQUEST), FailureKind.connection),
        (httpx.RemoteProtocolError("Server disconnected", request=REQUEST), FailureKind.connection),
        (httpx.ReadError("[Errno 104] Connection reset by peer", request=REQUEST), FailureKind.connection),
        (httpx.WriteError("[Errno 32] Broken pipe", request=REQUEST), FailureKind.connection),
        (httpx.UnsupportedProtocol("Request URL is missing a scheme", request=REQUEST), FailureKind.not_configured),
    ],
)
def test_network_failures_are_classified(error: Exception, kind: FailureKind) -> None:
    failure = classify(error)
    assert failure.kind is kind
    assert failure.is_transient is (kind in (FailureKind.timeout, FailureKind.connection))
    assert "Errno" not in failure.message


def test_the_disk_being_full_is_said_plainly() -> None:
    with pytest.raises(OSError) as caught, open("/dev/full", "wb") as full:
        full.write(b"x" * 4096)
        full.flush()
    failure = classify(caught.value)
    assert caught.value.errno == errno.ENOSPC
    assert failure.kind is FailureKind.disk_full and "disk is full" in failure.message


def test_a_missing_image_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "scene-03.png"
    with pytest.raises(FileNotFoundError) as caught:
        missing.open("rb")
    failure = classify(caught.value)
    assert failure.kind is FailureKind.file_missing and str(missing) in failure.message


def test_configuration_and_bucket_problems_are_permanent() -> None:
    assert classify(StorageConfigError("No Supabase bucket is named in Settings.")).kind is FailureKind.not_configured
    bucket = classify(BucketUnavailable("story-images"))
    assert bucket.kind is FailureKind.bucket_missing and "“story-images”" in bucket.message
    assert classify(NotAnImage("notes.txt is not a PNG")).kind is FailureKind.type_refused
    dots = classify(ValueError("Object keys must not contain dot segments: 'a/../b'"))
    assert dots.kind is FailureKind.invalid_path
    assert not any(failure.is_transient for failure in (bucket, dots))


def test_an_unexpected_error_says_where_the_details_are() -> None:
    failure = classify(ZeroDivisionError("division by zero"))
    assert failure.kind is FailureKind.unknown and "details are in the log" in failure.message


def test_secrets_never_reach_the_message() -> None:
    key = "sb-secret-" + "k" * 24
    SECRET_MASK.add([key])
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    failure = classify(StorageApiError(f"odd answer for {key} and {jwt}", "Weird", "418"))
    assert failure.kind is FailureKind.unknown
    assert key not in failure.message and jwt not in failure.message and "HTTP 418" in failure.message
