"""The upload engine as a writer meets it: never more uploads at once than Settings allow, a waiting one cancelled
at once, and an engine that fails says so in the window and goes again when the writer retries.

Real Postgres, the real supabase-py client against the loopback Storage server, the real window for the notice.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from PySide6.QtCore import Qt

from desktop.db.repositories import UploadRepository
from desktop.explain import UNEXPECTED
from desktop.models import Upload, UploadStatus
from tests.support.storage_fixtures import BUCKET, MakeManager, MakeStory, enqueue_all, settled, supabase_settings_for
from tests.support.storage_server import Fault, StorageServer
from tests.support.ui_fixtures import WriterApp

from .conftest import Run


def test_no_more_uploads_run_at_once_than_settings_allow_and_a_new_number_applies_at_once(
    make_upload_manager: MakeManager,
    storage_server_with_bucket: StorageServer,
    illustrated_story: MakeStory,
    tmp_path: Path,
    run: Run,
    qtbot: Any,
) -> None:
    server = storage_server_with_bucket
    settings = supabase_settings_for(server, tmp_path / "data", upload_concurrency=2, request_timeout=30.0)
    server.inject(Fault.stall(), times=5)  # every upload hangs until the server is released
    manager = make_upload_manager(settings)
    book = illustrated_story(5)
    enqueue_all(manager, book, run)

    qtbot.waitUntil(lambda: server.stalled == 2 and manager.running == 2, timeout=10_000)
    run(manager.counts())  # a round trip to the database: a third upload would be on its way by now
    assert (server.stalled, manager.running) == (2, 2)

    run(manager.reconfigure(settings.model_copy(update={"upload_concurrency": 3})))
    qtbot.waitUntil(lambda: server.stalled == 3 and manager.running == 3, timeout=10_000)

    server.release()
    assert [upload.status for upload in settled(manager, book, run)] == [UploadStatus.uploaded] * 5
    assert len(server.object_keys(BUCKET)) == 5


def test_cancelling_an_upload_that_waits_for_a_free_slot_cancels_it_at_once(
    make_upload_manager: MakeManager,
    storage_server_with_bucket: StorageServer,
    illustrated_story: MakeStory,
    tmp_path: Path,
    run: Run,
    qtbot: Any,
) -> None:
    server = storage_server_with_bucket
    settings = supabase_settings_for(server, tmp_path / "data", upload_concurrency=1, request_timeout=30.0)
    server.inject(Fault.stall())
    manager = make_upload_manager(settings)
    changes: list[Upload] = []
    manager.upload_changed.connect(changes.append)
    book = illustrated_story(2)
    uploads = enqueue_all(manager, book, run)
    qtbot.waitUntil(lambda: server.stalled == 1, timeout=10_000)
    [sending] = {change.id for change in changes if change.status is UploadStatus.uploading}
    [waiting] = [upload.id for upload in uploads if upload.id != sending]

    run(manager.cancel(waiting))
    qtbot.waitUntil(lambda: any(c.id == waiting and c.status is UploadStatus.cancelled for c in changes), timeout=5000)
    assert server.stalled == 1  # the one being sent goes on

    server.release()
    statuses = {upload.id: upload.status for upload in settled(manager, book, run)}
    assert statuses == {sending: UploadStatus.uploaded, waiting: UploadStatus.cancelled}
    assert len(server.object_keys(BUCKET)) == 1


def test_an_upload_engine_that_fails_says_so_and_retry_all_sends_what_waited(
    open_app: Callable[..., WriterApp],
    storage_server_with_bucket: StorageServer,
    illustrated_story: MakeStory,
    monkeypatch: pytest.MonkeyPatch,
    run: Run,
    qtbot: Any,
) -> None:
    server = storage_server_with_bucket
    app = open_app(
        storage_backend="supabase",
        supabase_url=server.url,
        supabase_key=SecretStr(server.key),
        supabase_bucket=BUCKET,
    )
    window, manager = app.window, app.session.uploads
    claim = UploadRepository.claim
    broken = [True]

    async def claim_unless_broken(repo: UploadRepository, *args: Any, **kwargs: Any) -> list[Upload]:
        if broken[0]:
            raise KeyError("claimed_by")  # nothing the queue knows how to wait out, unlike a lost connection
        return await claim(repo, *args, **kwargs)

    monkeypatch.setattr(UploadRepository, "claim", claim_unless_broken)
    book = illustrated_story(1, title="The Salt Road")
    [upload] = enqueue_all(manager, book, run)

    qtbot.waitUntil(window.notices.isVisible, timeout=10_000)
    assert window.notices.text.text() == f"Uploading images failed: {UNEXPECTED}"
    assert "KeyError" in window.notices.all_details()
    assert [u.status for u in run(manager.uploads(story_id=book.story.id))] == [UploadStatus.queued]

    broken[0] = False  # whatever it was has passed; the notice said to try again
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # Retry all failed
    [done] = settled(manager, book, run)
    assert done.id == upload.id and done.status is UploadStatus.uploaded
    assert server.object_keys(BUCKET) == {upload.object_path}
    qtbot.waitUntil(lambda: window.uploads_status.text() == "Uploads: all done", timeout=10_000)
    assert len(window.notices.notices) == 1  # one failure, one notice
