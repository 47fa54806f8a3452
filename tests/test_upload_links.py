"""Links: an upload is "uploaded" only with a working link; links near their end are made again before they are
shown; a struggling server is asked again, never reported as a missing bucket.

Real Postgres, the real executor, the real supabase-py client against the loopback Storage server.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from PySide6.QtGui import QGuiApplication

from desktop.app import parse_args
from desktop.cli import uploads as uploads_command
from desktop.config import Settings
from desktop.headless import run_headless
from desktop.models import FailureKind, ImageStatus, Upload, UploadStatus, utc_now
from desktop.qt.aio import TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.retry import RetryPolicy
from desktop.secrets import SecretStore
from desktop.storage import Failure
from desktop.ui.common.thumbnails import ThumbnailLoader
from desktop.ui.story.story_view import ViewerEntry
from desktop.ui.viewer.image_viewer import ImageViewer
from tests.support.storage_fixtures import (
    BUCKET,
    MakeManager,
    MakeStory,
    enqueue_all,
    settled,
    supabase_settings_for,
)
from tests.support.storage_server import Bucket, Fault, StorageServer

from .conftest import Run

SIGN = f"/storage/v1/object/sign/{BUCKET}"


def sign_requests(server: StorageServer) -> int:
    with server.lock:
        return sum(1 for method, path in server.requests if method == "POST" and path == SIGN)


def assert_stored_once_with_working_links(server: StorageServer, uploads: list[Upload], images: list[Path]) -> None:
    assert [upload.status for upload in uploads] == [UploadStatus.uploaded] * len(uploads)
    assert {upload.object_path for upload in uploads} <= server.object_keys(BUCKET)
    for upload, image in zip(uploads, images, strict=True):
        assert server.writes[f"{BUCKET}/{upload.object_path}"] == 1  # the bytes went once
        assert upload.stored_at is not None and upload.url_expires_at is not None
        assert httpx.get(upload.url).content == image.read_bytes()


def watch(manager: object) -> list[Upload]:
    seen: list[Upload] = []
    manager.upload_changed.connect(seen.append)  # type: ignore[attr-defined]
    return seen


@pytest.fixture
def with_bucket(storage_server: StorageServer) -> StorageServer:
    storage_server.buckets[BUCKET] = Bucket(BUCKET)
    return storage_server


@pytest.mark.parametrize(
    "fault", [Fault.server_error(503), Fault.drop(), Fault.rate_limited()], ids=["503", "dropped", "429"]
)
def test_a_link_that_fails_transiently_is_made_on_the_next_attempt_without_sending_the_image_again(
    fault: Fault,
    make_upload_manager: MakeManager,
    supabase_settings: Settings,
    with_bucket: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    with_bucket.inject(fault, on="sign")
    manager = make_upload_manager(supabase_settings)
    seen = watch(manager)
    book = illustrated_story(2)

    enqueue_all(manager, book, run)
    uploads = settled(manager, book, run)

    assert_stored_once_with_working_links(with_bucket, uploads, book.images)
    assert not [upload for upload in seen if upload.status is UploadStatus.uploaded and not upload.url]
    waited = [upload for upload in seen if upload.status is UploadStatus.queued and upload.error_kind is not None]
    assert waited and all("stored, but its link could not be made" in upload.error_message for upload in waited)
    assert all(upload.stored_at is not None for upload in waited)  # the next attempt only makes the link
    assert sign_requests(with_bucket) >= 2
    assert sum(upload.attempts for upload in uploads) >= 3  # the faulted ones took a second, link-only attempt
    assert all(upload.error_message == "" for upload in uploads)


def test_a_link_refused_for_good_fails_in_plain_words_and_a_retry_makes_only_the_link(
    make_upload_manager: MakeManager,
    supabase_settings: Settings,
    with_bucket: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    with_bucket.inject(Fault.server_error(403), on="sign")  # the signing key refused
    manager = make_upload_manager(supabase_settings)
    book = illustrated_story(1)

    enqueue_all(manager, book, run)
    [upload] = settled(manager, book, run)
    assert upload.status is UploadStatus.failed and upload.error_kind is FailureKind.key_rejected
    assert upload.error_message == (
        "The image is stored, but its link could not be made: Supabase rejected the key — check it in Settings."
    )
    assert upload.url == "" and upload.stored_at is not None and upload.attempts == 1

    run(manager.retry(upload.id))
    [upload] = settled(manager, book, run)
    assert_stored_once_with_working_links(with_bucket, [upload], book.images)


def test_a_transient_link_fault_past_the_limit_fails_and_is_never_uploaded_without_a_link(
    make_upload_manager: MakeManager,
    supabase_settings: Settings,
    with_bucket: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    retry = RetryPolicy(attempts=3, first_delay=0.02, max_delay=0.05)
    with_bucket.inject(Fault.server_error(502, html=True), times=retry.attempts, on="sign")
    manager = make_upload_manager(supabase_settings, retry=retry)
    book = illustrated_story(1)

    enqueue_all(manager, book, run)
    [upload] = settled(manager, book, run)
    assert upload.status is UploadStatus.failed and upload.error_kind is FailureKind.server_error
    assert "its link could not be made" in upload.error_message and "Gave up after 3 attempts" in upload.error_message
    assert with_bucket.writes[f"{BUCKET}/{upload.object_path}"] == 1


def test_a_stored_object_that_signing_cannot_find_is_sent_again(
    make_upload_manager: MakeManager,
    supabase_settings: Settings,
    with_bucket: StorageServer,
    illustrated_story: MakeStory,
    pool: asyncpg.Pool,
    run: Run,
) -> None:
    manager = make_upload_manager(supabase_settings)
    book = illustrated_story(1)
    [upload] = enqueue_all(manager, book, run)
    [upload] = settled(manager, book, run)
    # As if only the link had failed before, and meanwhile the object went missing from the bucket.
    with_bucket.objects.clear()
    run(pool.execute("UPDATE uploads SET status = 'failed', url = '', url_expires_at = NULL WHERE id = $1", upload.id))
    run(manager.retry(upload.id))

    [upload] = settled(manager, book, run)
    assert upload.status is UploadStatus.uploaded
    assert httpx.get(upload.url).content == book.images[0].read_bytes()
    assert with_bucket.writes[f"{BUCKET}/{upload.object_path}"] == 2  # sent again, since it was gone


# Bucket check and creation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "on"),
    [
        (Fault.server_error(503), "bucket"),
        (Fault.server_error(500), "create_bucket"),
        (Fault.drop(), "create_bucket"),
        (Fault.stall(seconds=3.0), "bucket"),  # longer than the client's 1 s timeout
    ],
    ids=["check-503", "create-500", "create-dropped", "check-timeout"],
)
def test_a_struggling_bucket_check_or_creation_is_retried_and_never_called_missing(
    fault: Fault,
    on: str,
    make_upload_manager: MakeManager,
    supabase_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    storage_server.inject(fault, times=2, on=on)  # type: ignore[arg-type]
    manager = make_upload_manager(supabase_settings)
    problems: list[Failure] = []
    manager.storage_problem.connect(problems.append)
    seen = watch(manager)
    book = illustrated_story(2)

    enqueue_all(manager, book, run)
    uploads = settled(manager, book, run)

    assert_stored_once_with_working_links(storage_server, uploads, book.images)
    assert storage_server.buckets[BUCKET].public is False
    assert problems == []
    assert not [upload for upload in seen if upload.error_kind is FailureKind.bucket_missing]
    assert not [upload for upload in seen if "does not exist" in upload.error_message]
    assert any(upload.error_kind is not None and upload.error_kind.is_transient for upload in seen)


def test_the_storage_check_asks_a_struggling_server_again_with_the_upload_back_off(
    make_upload_manager: MakeManager, supabase_settings: Settings, storage_server: StorageServer, run: Run
) -> None:
    storage_server.inject(Fault.server_error(503), times=2, on="bucket")
    manager = make_upload_manager(supabase_settings, start=False)
    assert run(manager.check_storage()) is None
    assert BUCKET in storage_server.buckets


def test_the_storage_check_names_a_server_that_keeps_failing_as_such_not_as_a_missing_bucket(
    make_upload_manager: MakeManager, supabase_settings: Settings, storage_server: StorageServer, run: Run
) -> None:
    retry = RetryPolicy(attempts=3, first_delay=0.02, max_delay=0.05)
    storage_server.inject(Fault.server_error(503), times=3, on="bucket")
    manager = make_upload_manager(supabase_settings, retry=retry, start=False)
    failure = run(manager.check_storage())
    assert isinstance(failure, Failure) and failure.kind is FailureKind.server_error
    assert "does not exist" not in failure.message
    assert run(manager.check_storage()) is None  # nothing was remembered as broken


# Renewing links ----------------------------------------------------------------------------------------------


def test_an_expired_link_is_made_again_before_it_is_shown_and_recorded(
    make_upload_manager: MakeManager,
    supabase_settings: Settings,
    with_bucket: StorageServer,
    illustrated_story: MakeStory,
    pool: asyncpg.Pool,
    run: Run,
) -> None:
    manager = make_upload_manager(supabase_settings)
    seen = watch(manager)
    book = illustrated_story(2)
    enqueue_all(manager, book, run)
    fresh, stale = settled(manager, book, run)
    yesterday = utc_now() - timedelta(days=1)
    run(pool.execute("UPDATE uploads SET url_expires_at = $2 WHERE id = $1", stale.id, yesterday))
    [fresh, stale] = settled(manager, book, run)
    signed_before = sign_requests(with_bucket)

    url = run(manager.fresh_url(stale))

    assert url  # (the same as before when signed within the same second: the fake's tokens carry whole seconds)
    assert httpx.get(url).content == book.images[1].read_bytes()
    [_, renewed] = settled(manager, book, run)
    assert renewed.url == url and renewed.url_expires_at is not None
    assert renewed.url_expires_at > utc_now() + timedelta(seconds=supabase_settings.signed_url_expiry - 60)
    assert any(upload.id == stale.id and upload.url == url for upload in seen)  # the window hears of it
    assert run(manager.fresh_url(fresh)) == fresh.url  # far from its end: kept as it is
    assert run(manager.fresh_url(renewed)) == url
    assert sign_requests(with_bucket) == signed_before + 1
    assert with_bucket.writes[f"{BUCKET}/{stale.object_path}"] == 1


def test_links_near_their_end_are_made_again_together_in_one_request(
    make_upload_manager: MakeManager,
    storage_server: StorageServer,
    tmp_path: Path,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    settings = supabase_settings_for(storage_server, tmp_path / "data", signed_url_expiry=60)
    manager = make_upload_manager(settings)
    book = illustrated_story(3)
    enqueue_all(manager, book, run)
    uploads = settled(manager, book, run)
    assert all(httpx.get(upload.url).status_code == 200 for upload in uploads)
    # A minute-long link is made again once half of it is gone; as if that minute had passed:
    later = [upload.model_copy(update={"url_expires_at": utc_now() + timedelta(seconds=20)}) for upload in uploads]
    signed_before = sign_requests(storage_server)

    renewed = run(manager.fresh_urls(later))

    assert sign_requests(storage_server) == signed_before + 1
    assert [upload.id for upload in renewed] == [upload.id for upload in uploads]
    for old, new, image in zip(uploads, renewed, book.images, strict=True):
        assert new.url_expires_at is not None and old.url_expires_at is not None
        assert new.url_expires_at > utc_now() + timedelta(seconds=50)
        assert httpx.get(new.url).content == image.read_bytes()


def test_local_links_never_expire_and_are_never_made_again(
    make_upload_manager: MakeManager, local_settings: Settings, illustrated_story: MakeStory, run: Run
) -> None:
    manager = make_upload_manager(local_settings)
    book = illustrated_story(1)
    enqueue_all(manager, book, run)
    [upload] = settled(manager, book, run)
    assert upload.url.startswith("file://") and upload.url_expires_at is None and upload.stored_at is not None
    assert run(manager.fresh_url(upload)) == upload.url
    assert run(manager.repair_links()) == []


def test_a_public_bucket_gives_links_without_an_expiry(
    make_upload_manager: MakeManager,
    storage_server: StorageServer,
    tmp_path: Path,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    manager = make_upload_manager(supabase_settings_for(storage_server, tmp_path / "data", supabase_public=True))
    book = illustrated_story(1)
    enqueue_all(manager, book, run)
    [upload] = settled(manager, book, run)
    assert "/object/public/" in upload.url and upload.url_expires_at is None
    assert run(manager.fresh_url(upload)) == upload.url


def test_repair_links_makes_missing_and_expired_links_and_resends_what_is_gone(
    make_upload_manager: MakeManager,
    supabase_settings: Settings,
    with_bucket: StorageServer,
    illustrated_story: MakeStory,
    pool: asyncpg.Pool,
    run: Run,
) -> None:
    manager = make_upload_manager(supabase_settings)
    book = illustrated_story(4)
    enqueue_all(manager, book, run)
    kept, missing, expired, gone = settled(manager, book, run)
    # What older versions left behind: "uploaded" without a link, a link past its end, and an object since deleted.
    run(pool.execute("UPDATE uploads SET url = '', url_expires_at = NULL WHERE id = $1", missing.id))
    run(pool.execute("UPDATE uploads SET url_expires_at = now() - interval '1 day' WHERE id = $1", expired.id))
    run(pool.execute("UPDATE uploads SET url = '' WHERE id = $1", gone.id))
    del with_bucket.objects[(BUCKET, gone.object_path)]

    changed = run(manager.repair_links())

    assert {upload.id for upload in changed} == {missing.id, expired.id, gone.id}
    uploads = settled(manager, book, run)
    assert uploads[0] == kept
    assert_stored_once_with_working_links(with_bucket, uploads[:3], book.images[:3])
    assert uploads[3].status is UploadStatus.uploaded
    assert httpx.get(uploads[3].url).content == book.images[3].read_bytes()
    assert with_bucket.writes[f"{BUCKET}/{gone.object_path}"] == 2


def test_retry_failed_on_the_command_line_also_repairs_missing_links(
    storage_server: StorageServer,
    database_url: str,
    app_data_dir: Path,
    make_upload_manager: MakeManager,
    illustrated_story: MakeStory,
    pool: asyncpg.Pool,
    run: Run,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = supabase_settings_for(storage_server, app_data_dir, database_url=database_url)
    manager = make_upload_manager(settings)
    book = illustrated_story(2)
    enqueue_all(manager, book, run)
    first, second = settled(manager, book, run)
    run(manager.shutdown())  # the command runs its own app
    run(pool.execute("UPDATE uploads SET url = '', url_expires_at = NULL WHERE id = $1", first.id))
    run(pool.execute("UPDATE uploads SET url_expires_at = now() - interval '1 hour' WHERE id = $1", second.id))

    args = parse_args(["uploads", "--retry-failed"])
    assert run(run_headless(settings, SecretStore(), uploads_command.run, args), timeout=60) == 0

    assert "Making 2 missing or expired links again." in capsys.readouterr().out
    rows = run(pool.fetch("SELECT url, url_expires_at, status FROM uploads ORDER BY scene_index"))
    for row, image in zip(rows, book.images, strict=True):
        assert row["status"] == "uploaded" and row["url_expires_at"] > utc_now()
        assert httpx.get(row["url"]).content == image.read_bytes()
    assert all(count == 1 for count in storage_server.writes.values())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_with_faults_on_a_third_of_requests_every_image_ends_stored_once_with_a_working_link(
    seed: int,
    make_upload_manager: MakeManager,
    supabase_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    for on in ("upload", "sign"):
        storage_server.inject(Fault.server_error(503), on=on)  # at least one of each, whatever the dice say
        # 0.16 + 0.84 · 0.17 ≈ 0.30 of the requests meet a 503 or a dropped connection.
        storage_server.inject_randomly(Fault.server_error(503), rate=0.16, on=on, seed=seed)
        storage_server.inject_randomly(Fault.drop(), rate=0.17, on=on, seed=seed)
    storage_server.inject_randomly(Fault.server_error(502, html=True), rate=0.3, on="bucket", seed=seed)
    manager = make_upload_manager(supabase_settings, retry=RetryPolicy(attempts=40, first_delay=0.01, max_delay=0.05))
    seen = watch(manager)
    books = [illustrated_story(8, title=f"Story {number}") for number in range(3)]

    for book in books:
        enqueue_all(manager, book, run)
    uploads = [upload for book in books for upload in settled(manager, book, run)]
    storage_server.clear_faults()

    assert_stored_once_with_working_links(storage_server, uploads, [image for book in books for image in book.images])
    assert len(storage_server.object_keys(BUCKET)) == len(uploads) == 24
    assert not [upload for upload in seen if upload.status is UploadStatus.uploaded and not upload.url]
    assert not [upload for upload in seen if upload.error_kind is FailureKind.bucket_missing]
    attempts = sum(upload.attempts for upload in uploads)
    link_only = len({upload.id for upload in seen if "link could not be made" in upload.error_message})
    assert attempts > len(uploads) and link_only > 0  # faults did happen, on the bytes and on the links
    faulted = storage_server.faulted
    sent = sum(
        1 for method, path in storage_server.requests if method in ("POST", "PUT") and "/object/" + BUCKET in path
    )
    print(
        f"\n30 % faults (seed {seed}): {len(uploads)} uploads, {attempts} attempts; faults met: "
        f"{faulted['upload']} of {sent} upload requests, {faulted['sign']} of {sign_requests(storage_server)} signing "
        "requests, "
        f"{faulted['bucket'] + faulted['create_bucket']} bucket checks; {link_only} uploads waited for their link; "
        f"{len(storage_server.object_keys(BUCKET))} objects, at most {max(storage_server.writes.values())} write each"
    )


def test_copy_url_in_the_image_viewer_copies_a_link_made_again_when_the_old_one_expired(
    make_upload_manager: MakeManager,
    supabase_settings: Settings,
    with_bucket: StorageServer,
    illustrated_story: MakeStory,
    upload_executor: QThreadPoolExecutor,
    pool: asyncpg.Pool,
    run: Run,
    qtbot: Any,
) -> None:
    manager = make_upload_manager(supabase_settings)
    book = illustrated_story(1)
    enqueue_all(manager, book, run)
    [upload] = settled(manager, book, run)
    run(pool.execute("UPDATE uploads SET url_expires_at = now() - interval '1 minute' WHERE id = $1", upload.id))
    [expired] = settled(manager, book, run)
    scene = book.scenes[0].changed(image_status=ImageStatus.painted, image_path=str(book.images[0]))
    tasks = TaskRunner()
    viewer = ImageViewer(ThumbnailLoader(upload_executor), tasks.start)
    qtbot.addWidget(viewer)
    viewer.show_entries([ViewerEntry(scene, expired.url, partial(manager.fresh_url, expired))], 0, "The Salt Road")
    QGuiApplication.clipboard().setText("")
    signed_before = sign_requests(with_bucket)

    viewer.copy_button.click()

    qtbot.waitUntil(lambda: viewer.status.text() == "URL copied to the clipboard.")
    copied = QGuiApplication.clipboard().text()
    assert sign_requests(with_bucket) == signed_before + 1
    [renewed] = settled(manager, book, run)
    assert copied == renewed.url and renewed.url_expires_at is not None and renewed.url_expires_at > utc_now()
    assert httpx.get(copied).content == book.images[0].read_bytes()
    run(tasks.cancel_all())
