"""Supabase Storage through supabase-py (sync). Build it on the executor: importing supabase takes ~0.6 s."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr
from storage3._sync.file_api import SyncBucketProxy
from storage3.exceptions import StorageApiError
from supabase import create_client
from supabase.lib.client_options import SyncClientOptions

from desktop.config import Settings
from desktop.logs import SECRET_MASK
from desktop.storage.backend import Link, ProgressCallback
from desktop.storage.failures import BucketUnavailable, StorageConfigError, classify, is_bucket_not_found, status_of
from desktop.storage.progress import ProgressReader

log = logging.getLogger(__name__)

_URL = re.compile(r"^https?://[^/\s]+", re.IGNORECASE)
# A stalled request holds a worker (and, at quit, the exit) until this runs out; uploads of images never need more.
MAX_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10.0


class SupabaseStorage:
    name = "supabase"

    def __init__(
        self,
        url: str,
        key: SecretStr,
        bucket: str,
        *,
        public: bool = False,
        signed_url_expiry: int = 7 * 24 * 3600,
        timeout: float = MAX_TIMEOUT_S,
    ) -> None:
        url = url.strip()
        secret = key.get_secret_value().strip()
        if not url or not secret:
            missing = [name for name, value in (("URL", url), ("key", secret)) if not value]
            what = " and ".join(missing) + (" are" if len(missing) > 1 else " is")
            raise StorageConfigError(f"Supabase Storage is chosen but its {what} not set — add it in Settings.")
        if not _URL.match(url):
            raise StorageConfigError(
                "The Supabase URL in Settings is not valid — it looks like https://<project>.supabase.co."
            )
        if not bucket.strip():
            raise StorageConfigError("No Supabase bucket is named in Settings.")
        SECRET_MASK.add([secret])
        self.bucket = bucket.strip()
        self.public = public
        self.signed_url_expiry = signed_url_expiry
        self._url = url
        limit = min(timeout, MAX_TIMEOUT_S)
        self._http = httpx.Client(timeout=httpx.Timeout(limit, connect=min(limit, CONNECT_TIMEOUT_S)))
        options = SyncClientOptions(httpx_client=self._http, auto_refresh_token=False, persist_session=False)
        self._client = create_client(url, secret, options)
        # `client.storage` is created lazily and without a lock: make it here, before any worker shares it.
        self._storage = self._client.storage
        self._bucket_lock = threading.Lock()
        self._bucket_ready = False

    @classmethod
    def from_settings(cls, settings: Settings) -> SupabaseStorage:
        return cls(
            settings.supabase_url,
            settings.supabase_key,
            settings.supabase_bucket,
            public=settings.supabase_public,
            signed_url_expiry=settings.signed_url_expiry,
            timeout=settings.request_timeout,
        )

    @property
    def label(self) -> str:
        return f"Supabase bucket “{self.bucket}”"

    def ensure_bucket(self) -> None:
        """Once per session: find the bucket, or create it (private unless the settings say public)."""
        with self._bucket_lock:
            if self._bucket_ready:
                return
            try:
                found = self._storage.get_bucket(self.bucket)
            except StorageApiError as exc:
                # Only the server's "Bucket not found" means missing; a 5xx, a timeout or a dropped connection
                # rises as it is and is retried like an upload.
                if not is_bucket_not_found(exc):
                    raise
                self._create_bucket()
            else:
                if found.public != self.public:
                    # The bucket decides which URLs work: a public URL of a private bucket answers "not found".
                    log.info("bucket %s is %s; using its setting", self.bucket, "public" if found.public else "private")
                    self.public = found.public
            self._bucket_ready = True

    def _create_bucket(self) -> None:
        try:
            self._storage.create_bucket(self.bucket, options={"public": self.public})
            log.info("created the %s bucket %s", "public" if self.public else "private", self.bucket)
        except StorageApiError as exc:
            if status_of(exc) == 409:  # created by someone else meanwhile: just as good
                return
            if classify(exc).is_transient:  # the server struggled, it did not refuse: try again later
                raise
            raise BucketUnavailable(self.bucket) from exc

    def _files(self) -> SyncBucketProxy:
        return self._storage.from_(self.bucket)

    def upload(
        self, object_path: str, source: Path | bytes, content_type: str, progress: ProgressCallback | None = None
    ) -> str:
        self.ensure_bucket()
        with ProgressReader(source, progress) as reader:
            self._files().upload(
                object_path, reader, {"content-type": content_type, "upsert": "true", "cache-control": "3600"}
            )
        return object_path

    def url_for(self, object_path: str) -> str:
        if self.public:
            return str(self._files().get_public_url(object_path))
        signed = self._files().create_signed_url(object_path, self.signed_url_expiry)
        return str(signed["signedURL"])

    def urls_for(self, object_paths: Sequence[str]) -> dict[str, str]:
        if not object_paths:
            return {}
        if self.public:
            return {path: self.url_for(path) for path in object_paths}
        signed = self._files().create_signed_urls(list(object_paths), self.signed_url_expiry)
        return {entry["path"]: str(entry["signedURL"]) for entry in signed if entry["signedURL"] and not entry["error"]}

    def links_for(self, object_paths: Sequence[str]) -> dict[str, Link]:
        self.ensure_bucket()  # the bucket, not the settings, says whether links are public (once per session)
        if self.public:  # made without asking the server; they last as long as the bucket stays public
            return {path: Link(url) for path, url in self.urls_for(object_paths).items()}
        # Counted from before the request: the server's clock starts later, so the link lives a little longer.
        expires_at = datetime.now(UTC) + timedelta(seconds=self.signed_url_expiry)
        return {path: Link(url, expires_at) for path, url in self.urls_for(object_paths).items()}

    def exists(self, object_path: str) -> bool:
        return bool(self._files().exists(object_path))

    def list(self, prefix: str) -> list[str]:
        base = prefix.strip("/")
        entries = self._files().list(base, {"limit": 1000})
        # Folders come back with no id; only objects have one.
        return sorted(f"{base}/{entry['name']}" if base else entry["name"] for entry in entries if entry.get("id"))

    def remove(self, object_paths: Sequence[str]) -> None:
        if object_paths:
            self._files().remove(list(object_paths))

    def close(self) -> None:
        self._http.close()
