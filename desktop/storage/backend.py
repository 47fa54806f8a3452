"""The one interface both storages implement. Every method blocks: call it on the executor, never on the loop."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

# (bytes sent so far, bytes in total); it may raise UploadCancelled to stop the transfer.
ProgressCallback = Callable[[int, int], None]


class UploadCancelled(Exception):
    """The transfer was stopped on purpose (the writer cancelled, or the app is quitting)."""


@dataclass(frozen=True)
class Link:
    """Where a stored object can be read, and until when: `expires_at` is None for links that never expire."""

    url: str
    expires_at: datetime | None = None


class StorageBackend(Protocol):
    name: str  # "local" or "supabase": the `backend` column of the outbox

    @property
    def label(self) -> str:
        """Where images go, in the writer's words ("Supabase bucket “story-images”")."""
        ...

    def ensure_bucket(self) -> None:
        """Check (and create when missing) the place objects go; done once per session."""
        ...

    def upload(
        self, object_path: str, source: Path | bytes, content_type: str, progress: ProgressCallback | None = None
    ) -> str:
        """Store `source` at `object_path`, replacing what is there (an upsert); returns the object path."""
        ...

    def url_for(self, object_path: str) -> str:
        """Where the object can be read: a signed URL (private bucket), a public one, or a file:// URL."""
        ...

    def urls_for(self, object_paths: Sequence[str]) -> dict[str, str]:
        """`url_for` for many objects in one request; an object that cannot get one is left out."""
        ...

    def links_for(self, object_paths: Sequence[str]) -> dict[str, Link]:
        """`urls_for` with each link's expiry; an object that cannot get one (it is not stored) is left out, and a
        failed request raises."""
        ...

    def exists(self, object_path: str) -> bool: ...

    def list(self, prefix: str) -> list[str]:
        """The object paths directly under the folder `prefix`."""
        ...

    def remove(self, object_paths: Sequence[str]) -> None: ...

    def close(self) -> None: ...
