"""The pieces of an upload that are not the outbox: its retry policy and the job a worker thread runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from desktop.models import Upload
from desktop.retry import RetryPolicy
from desktop.storage import StorageBackend, UploadCancelled

PROGRESS_INTERVAL_S = 0.1


# "Equal jitter": never sooner than half the pause, so a struggling server is not hit by everyone at once.
UPLOAD_RETRY = RetryPolicy(attempts=6, first_delay=2.0, max_delay=300.0, jitter=0.5)


class Transfer:
    """One upload on a worker thread. `stop()` (from any thread) ends it at the next chunk it sends."""

    def __init__(self, backend: StorageBackend, upload: Upload, report: Callable[[int, int], None]) -> None:
        self.backend = backend
        self.upload = upload
        self._report = report  # (bytes sent, bytes total), called on the worker thread
        self._stopped = threading.Event()
        self._last_report = time.monotonic()  # a transfer quicker than the interval reports nothing

    def stop(self) -> None:
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def __call__(self) -> str:
        stored = self._send()
        # The scene's earlier images go only once this one is stored: a failure here fails the job, which is
        # retried like any upload (sending the same object again is an upsert), so a removal is never forgotten.
        old = [path for path in self.upload.replaced_paths if path != stored]
        if old:
            self.backend.remove(old)
        return stored

    def _send(self) -> str:
        if self._stopped.is_set():
            raise UploadCancelled()
        upload = self.upload
        if upload.stored_at is not None:  # only its link failed before: the queue makes it, the bytes stay put
            return upload.object_path
        return self.backend.upload(upload.object_path, Path(upload.local_path), upload.content_type, self._progress)

    def _progress(self, done: int, total: int) -> None:
        if self._stopped.is_set():
            raise UploadCancelled()
        # Only while a transfer takes long enough to watch: its end is told by the "uploaded" state.
        now = time.monotonic()
        if done < total and now - self._last_report >= PROGRESS_INTERVAL_S:
            self._last_report = now
            self._report(done, total)
