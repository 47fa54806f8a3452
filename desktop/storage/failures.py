"""Every storage failure gets a kind (does it heal by itself?) and a sentence the writer can act on.

The Supabase Storage server answers most errors with HTTP 400 and the real status in the JSON body, which storage3
surfaces as `StorageApiError.status` — a string when it came from the body, an int otherwise (FACTS.md).
"""

from __future__ import annotations

import errno
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from desktop.logs import SECRET_MASK
from desktop.models import FailureKind
from desktop.storage.objects import NotAnImage

if TYPE_CHECKING:
    from storage3.exceptions import StorageApiError

_MIME = re.compile(r"mime type (\S+)", re.IGNORECASE)
_SERVER_TEXT_MAX = 160


class StorageConfigError(ValueError):
    """The storage settings cannot work (no URL, no key, a malformed URL); the message says what to fix."""


class BucketUnavailable(Exception):
    """The bucket does not exist and creating it was refused (commonly: the key may not create buckets)."""

    def __init__(self, bucket: str) -> None:
        super().__init__(f"bucket {bucket} is missing and could not be created")
        self.bucket = bucket


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    message: str

    @property
    def is_transient(self) -> bool:
        return self.kind.is_transient

    @property
    def concerns_the_storage(self) -> bool:
        """True when no upload can work until the writer fixes the settings or the bucket."""
        return self.kind in (
            FailureKind.key_rejected,
            FailureKind.access_refused,
            FailureKind.bucket_missing,
            FailureKind.not_configured,
        )


def classify(exc: BaseException, *, bucket: str = "") -> Failure:
    """The kind and plain words for `exc`; secrets never reach the message."""
    if _is_storage_api_error(exc):
        return _from_api_error(exc, bucket)
    if isinstance(exc, httpx.HTTPError):
        return _from_httpx(exc)
    if isinstance(exc, BucketUnavailable):
        return Failure(
            FailureKind.bucket_missing,
            f"The Supabase bucket “{exc.bucket}” does not exist and this key may not create it — create it in the "
            "Supabase dashboard, or use the service-role key in Settings.",
        )
    if isinstance(exc, StorageConfigError):
        return Failure(FailureKind.not_configured, _masked(str(exc)))
    if isinstance(exc, NotAnImage):
        return Failure(FailureKind.type_refused, str(exc))
    if isinstance(exc, OSError):
        return _from_os_error(exc)
    if isinstance(exc, ValueError) and "dot segments" in str(exc):
        return Failure(FailureKind.invalid_path, "The image's storage path is not valid, so it cannot be uploaded.")
    return Failure(
        FailureKind.unknown, f"The upload failed unexpectedly ({type(exc).__name__}); the details are in the log."
    )


def _is_storage_api_error(exc: BaseException) -> bool:
    # storage3 takes a quarter of a second to import: an error of its kind can only exist once it is loaded.
    module = sys.modules.get("storage3.exceptions")
    return module is not None and isinstance(exc, module.StorageApiError)


def status_of(exc: StorageApiError) -> int | None:
    """`.status` as an int, whether storage3 read it from the body (a string) or the response (an int)."""
    try:
        return int(str(exc.status).strip())
    except ValueError:
        return None


def is_bucket_not_found(exc: StorageApiError | Any) -> bool:
    """The server's own answer for a bucket that is not there (FACTS.md): status 404, "Bucket not found"."""
    return status_of(exc) == 404 and "bucket not found" in f"{exc.code or ''} {exc.message or ''}".lower()


def _masked(text: str) -> str:
    text = SECRET_MASK.mask(text)
    return text if len(text) <= _SERVER_TEXT_MAX else text[: _SERVER_TEXT_MAX - 1] + "…"


def _from_api_error(exc: StorageApiError | Any, bucket: str) -> Failure:
    status = status_of(exc)
    code = str(exc.code or "")
    text = str(exc.message or "")
    lower = f"{code} {text}".lower()
    if "row-level security" in lower or "row level security" in lower:
        return Failure(
            FailureKind.access_refused,
            "Supabase's access rules refused the upload — use the service-role key in Settings, "
            "or allow uploads to the bucket in its policies.",
        )
    if status in (401, 403) or code in ("Unauthorized", "InvalidJWT"):
        if '"exp"' in text or "expired" in lower:
            return Failure(FailureKind.key_rejected, "The Supabase key has expired — paste a current one in Settings.")
        return Failure(FailureKind.key_rejected, "Supabase rejected the key — check it in Settings.")
    if is_bucket_not_found(exc):
        name = f"“{bucket}” " if bucket else ""
        return Failure(
            FailureKind.bucket_missing,
            f"The Supabase bucket {name}does not exist and could not be created — "
            "create it in the Supabase dashboard, or check its name in Settings.",
        )
    if status == 413 or "too large" in lower:
        return Failure(
            FailureKind.too_large, "The image is larger than the bucket allows — raise the bucket's size limit."
        )
    if status == 415 or "mime" in lower:
        found = _MIME.search(text)
        what = f"{found.group(1)} files" if found else "this type of file"
        return Failure(
            FailureKind.type_refused,
            f"The bucket does not accept {what} — allow image types in the bucket's settings in Supabase.",
        )
    if status == 429:
        return Failure(FailureKind.rate_limited, "Supabase Storage asked to slow down (too many requests).")
    if status in (408, 504):
        return Failure(FailureKind.timeout, "Supabase Storage did not answer in time.")
    if status is not None and status >= 500:
        return Failure(FailureKind.server_error, f"Supabase Storage had a server error (HTTP {status}).")
    if code in ("InvalidKey", "InvalidObjectName") or "invalid key" in lower:
        return Failure(FailureKind.invalid_path, "Supabase Storage refused the image's storage path.")
    shown = f"HTTP {status}" if status is not None else "no status"
    return Failure(FailureKind.unknown, f"Supabase Storage refused the request ({shown}: {_masked(text or code)}).")


def _from_httpx(exc: httpx.HTTPError) -> Failure:
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            return Failure(FailureKind.timeout, "Supabase Storage could not be reached in time.")
        return Failure(FailureKind.timeout, "Supabase Storage did not answer in time.")
    if isinstance(exc, httpx.ConnectError):
        return Failure(
            FailureKind.connection,
            "Cannot reach Supabase Storage — check your internet connection and the Supabase URL in Settings.",
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError | httpx.NetworkError):
        return Failure(FailureKind.connection, "The connection to Supabase Storage dropped during the upload.")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return Failure(
            FailureKind.not_configured,
            "The Supabase URL in Settings is not valid — it looks like https://<project>.supabase.co.",
        )
    if isinstance(exc, httpx.HTTPStatusError):
        return _from_api_error(_StatusOnly(exc.response.status_code, exc.response.reason_phrase), "")
    return Failure(FailureKind.connection, f"Talking to Supabase Storage failed ({type(exc).__name__}).")


@dataclass(frozen=True)
class _StatusOnly:
    status: int
    message: str
    code: str = ""


def _from_os_error(exc: OSError) -> Failure:
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Failure(FailureKind.disk_full, f"The disk is full{where} — free some space, then retry.")
    if isinstance(exc, FileNotFoundError):
        return Failure(
            FailureKind.file_missing, f"The image file is missing from the image folder{where}; it cannot be uploaded."
        )
    if isinstance(exc, PermissionError):
        return Failure(
            FailureKind.access_refused, f"Storyforge may not read or write the image{where} — check the permissions."
        )
    reason = exc.strerror or type(exc).__name__
    return Failure(FailureKind.unknown, f"Reading or writing the image failed{where}: {reason}.")
