"""The outbox as a writer meets it: images go up by themselves, faults heal or wait for a retry, nothing is lost.

Real Postgres, the real executor, the real supabase-py client against the loopback Storage server.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import asyncpg
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from desktop.config import Settings
from desktop.db.repositories import UploadRepository
from desktop.models import FailureKind, UploadStatus
from desktop.retry import RetryPolicy
from desktop.services import upload_jobs
from desktop.storage import Failure
from tests.support.storage_fixtures import (
    BUCKET,
    FAST_RETRY,
    MakeManager,
    MakeStory,
    enqueue_all,
    png_bytes,
    settled,
    supabase_settings_for,
)
from tests.support.storage_server import Fault, StorageServer

from .conftest import Run

FAST = FAST_RETRY


@pytest.fixture
def make_manager(make_upload_manager: MakeManager) -> MakeManager:
    return make_upload_manager


def test_local_storage_copies_each_image_into_its_folder_and_keeps_the_image_folder_copy(
    make_manager: MakeManager, local_settings: Settings, illustrated_story: MakeStory, run: Run
) -> None:
    manager = make_manager(local_settings)
    history: dict[int, list[UploadStatus]] = {}
    manager.upload_changed.connect(lambda u: history.setdefault(u.scene_index, []).append(u.status))
    book = illustrated_story(3)

    enqueue_all(manager, book, run)
    uploads = settled(manager, book, run)

    assert [upload.status for upload in uploads] == [UploadStatus.uploaded] * 3
    for upload, image in zip(uploads, book.images, strict=True):
        stored = Path(url2pathname(urlsplit(upload.url).path))
        assert upload.url.startswith("file://") and stored.is_relative_to(local_settings.storage_folder)
        assert stored.read_bytes() == image.read_bytes()
        assert image.exists()  # the image folder's copy stays
        # Named by the scene's id, which stays when scenes move: a move never uploads again.
        assert upload.object_path.startswith(f"{book.story.user_id}/{book.story.id}/{upload.scene_id}-")
    for statuses in history.values():
        assert statuses[0] is UploadStatus.queued and statuses[-1] is UploadStatus.uploaded
        assert UploadStatus.uploading in statuses


def test_supabase_uploads_create_a_private_bucket_and_give_signed_urls_that_serve_the_image(
    make_manager: MakeManager,
    supabase_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    manager = make_manager(supabase_settings)
    book = illustrated_story(3)

    enqueue_all(manager, book, run)
    uploads = settled(manager, book, run)

    assert [upload.status for upload in uploads] == [UploadStatus.uploaded] * 3
    assert storage_server.buckets[BUCKET].public is False
    assert storage_server.object_keys(BUCKET) == {upload.object_path for upload in uploads}
    for upload, image in zip(uploads, book.images, strict=True):
        assert "/object/sign/" in upload.url and "token=" in upload.url
        assert httpx.get(upload.url).content == image.read_bytes()
        assert upload.content_type == "image/png"
    bucket_checks = [path for method, path in storage_server.requests if path.endswith(f"/bucket/{BUCKET}")]
    assert len(bucket_checks) == 1  # once per session


def test_a_long_transfer_reports_its_progress(
    make_manager: MakeManager,
    supabase_settings: Settings,
    illustrated_story: MakeStory,
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(upload_jobs, "PROGRESS_INTERVAL_S", 0.0)  # as if every chunk took a while to send
    manager = make_manager(supabase_settings)
    progress: list[tuple[uuid.UUID, int, int]] = []
    manager.upload_progress.connect(lambda upload_id, done, total: progress.append((upload_id, done, total)))
    book = illustrated_story(1)
    book.images[0].write_bytes(png_bytes(7, side=700))  # about 1.5 MB: a few chunks

    [upload] = enqueue_all(manager, book, run)
    settled(manager, book, run)

    size = book.images[0].stat().st_size
    assert progress and all(upload_id == upload.id and total == size for upload_id, _, total in progress)
    sent = [done for _, done, _ in progress]
    assert sent == sorted(sent) and 0 < sent[-1] < size  # the end is told by the "uploaded" state


def test_a_public_bucket_gives_public_urls(
    make_manager: MakeManager,
    storage_server: StorageServer,
    tmp_path: Path,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    manager = make_manager(supabase_settings_for(storage_server, tmp_path / "data", supabase_public=True))
    book = illustrated_story(1)
    enqueue_all(manager, book, run)
    [upload] = settled(manager, book, run)
    assert "/object/public/" in upload.url
    assert httpx.get(upload.url).content == book.images[0].read_bytes()


@pytest.mark.parametrize(
    "fault",
    [
        Fault.server_error(503),
        Fault.server_error(502, html=True),
        Fault.rate_limited(),
        Fault.drop(),
        Fault.stall(seconds=3.0),  # longer than the client's 1 s timeout
    ],
    ids=["503", "502-html", "429", "dropped", "slower-than-timeout"],
)
def test_transient_faults_heal_by_themselves(
    fault: Fault,
    make_manager: MakeManager,
    supabase_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    storage_server.inject(fault, times=2)
    manager = make_manager(supabase_settings)
    book = illustrated_story(2)

    enqueue_all(manager, book, run)
    uploads = settled(manager, book, run)

    assert [upload.status for upload in uploads] == [UploadStatus.uploaded] * 2
    assert sum(upload.attempts for upload in uploads) == 4  # two failed tries, then one good each (or 3 + 1)
    assert storage_server.object_keys(BUCKET) == {upload.object_path for upload in uploads}
    assert all(storage_server.writes[f"{BUCKET}/{upload.object_path}"] == 1 for upload in uploads)


def test_transient_faults_past_the_limit_fail_with_a_reason_and_a_manual_retry_finishes_them(
    make_manager: MakeManager,
    supabase_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    storage_server.inject(Fault.server_error(503), times=FAST.attempts)
    manager = make_manager(supabase_settings)
    book = illustrated_story(1)

    enqueue_all(manager, book, run)
    [upload] = settled(manager, book, run)
    assert upload.status is UploadStatus.failed and upload.error_kind is FailureKind.server_error
    assert upload.attempts == FAST.attempts
    assert "server error" in upload.error_message and "Gave up after 4 attempts" in upload.error_message

    run(manager.retry(upload.id))
    [upload] = settled(manager, book, run)
    assert upload.status is UploadStatus.uploaded and upload.attempts == 1 and upload.error_message == ""


@pytest.mark.parametrize(
    ("break_it", "kind", "words", "repair"),
    [
        (
            lambda server: setattr(server, "key", "another.signed.key"),
            FailureKind.key_rejected,
            "Supabase rejected the key — check it in Settings.",
            None,
        ),
        (
            lambda server: setattr(server, "size_limit", 100),
            FailureKind.too_large,
            "larger than the bucket allows",
            lambda server: setattr(server, "size_limit", None),
        ),
        (
            lambda server: setattr(server, "allowed_mime_types", ["image/jpeg"]),
            FailureKind.type_refused,
            "does not accept image/png files",
            lambda server: setattr(server, "allowed_mime_types", None),
        ),
        (
            lambda server: setattr(server, "refuse_bucket_creation", True),
            FailureKind.bucket_missing,
            f"The Supabase bucket “{BUCKET}” does not exist",
            lambda server: setattr(server, "refuse_bucket_creation", False),
        ),
    ],
    ids=["wrong-key", "too-large", "type-refused", "bucket-missing"],
)
def test_permanent_faults_wait_for_the_writer_then_succeed_after_a_manual_retry(
    break_it: Callable[[StorageServer], None],
    kind: FailureKind,
    words: str,
    repair: Callable[[StorageServer], None] | None,
    make_manager: MakeManager,
    supabase_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    good_key = storage_server.key
    break_it(storage_server)
    manager = make_manager(supabase_settings)
    problems: list[Failure] = []
    manager.storage_problem.connect(problems.append)
    book = illustrated_story(2)

    enqueue_all(manager, book, run)
    uploads = settled(manager, book, run)

    assert [upload.status for upload in uploads] == [UploadStatus.failed] * 2
    assert all(upload.error_kind is kind and words in upload.error_message for upload in uploads)
    assert all(upload.attempts == 1 for upload in uploads)  # no automatic retry
    assert good_key not in " ".join(upload.error_message for upload in uploads)
    if kind in (FailureKind.key_rejected, FailureKind.bucket_missing):
        assert [problem.kind for problem in problems] == [kind]
    assert storage_server.object_keys(BUCKET) == set()

    if repair is None:
        storage_server.key = good_key
    else:
        repair(storage_server)
    run(manager.retry_story(book.story.id))
    uploads = settled(manager, book, run)
    assert [upload.status for upload in uploads] == [UploadStatus.uploaded] * 2
    assert storage_server.object_keys(BUCKET) == {upload.object_path for upload in uploads}


def test_supabase_chosen_without_a_key_fails_each_upload_with_what_to_fix(
    make_manager: MakeManager, storage_server: StorageServer, tmp_path: Path, illustrated_story: MakeStory, run: Run
) -> None:
    settings = supabase_settings_for(storage_server, tmp_path / "data", supabase_key=SecretStr(""))
    manager = make_manager(settings)
    book = illustrated_story(1)
    enqueue_all(manager, book, run)
    [upload] = settled(manager, book, run)
    assert upload.status is UploadStatus.failed and upload.error_kind is FailureKind.not_configured
    assert upload.error_message == "Supabase Storage is chosen but its key is not set — add it in Settings."

    run(manager.reconfigure(supabase_settings_for(storage_server, tmp_path / "data")))
    run(manager.retry_all_failed())
    [upload] = settled(manager, book, run)
    assert upload.status is UploadStatus.uploaded


def test_cancel_a_waiting_upload_and_retry_it_later(
    make_manager: MakeManager,
    supabase_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    manager = make_manager(supabase_settings, start=False)  # nothing runs yet: the upload waits in the queue
    book = illustrated_story(1)
    [upload] = enqueue_all(manager, book, run)
    run(manager.cancel(upload.id))
    [cancelled] = run(manager.uploads(story_id=book.story.id))
    assert cancelled.status is UploadStatus.cancelled

    run(manager.start())
    run(manager.wait_settled())
    assert storage_server.object_keys(BUCKET) == set()
    run(manager.retry(upload.id))
    [done] = settled(manager, book, run)
    assert done.status is UploadStatus.uploaded


def test_cancel_a_running_upload_stops_it(
    make_manager: MakeManager,
    supabase_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
    qtbot: object,
) -> None:
    storage_server.inject(Fault.stall(seconds=3.0))  # the answer would come after the client's 1 s timeout
    manager = make_manager(supabase_settings)
    book = illustrated_story(1)
    [upload] = enqueue_all(manager, book, run)
    qtbot.waitUntil(lambda: storage_server.stalled == 1, timeout=5000)  # type: ignore[attr-defined]
    run(manager.cancel(upload.id))
    [after] = settled(manager, book, run)
    assert after.status is UploadStatus.cancelled and after.attempts == 1  # not retried behind the writer's back
    assert storage_server.object_keys(BUCKET) == set()


def test_rows_left_uploading_go_back_to_the_queue_at_start_and_upload(
    make_manager: MakeManager,
    supabase_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    pool: asyncpg.Pool,
    run: Run,
) -> None:
    writer = make_manager(supabase_settings, start=False)
    book = illustrated_story(2)
    enqueue_all(writer, book, run)
    repo = UploadRepository(pool)
    claimed = run(repo.claim("supabase", supabase_settings.device, 2))
    assert all(upload is not None and upload.status is UploadStatus.uploading for upload in claimed)
    run(pool.execute("UPDATE uploads SET claimed_by = 'storyforge-4242-deadbeef'"))  # claimed by an app that died

    manager = make_manager(supabase_settings)
    uploads = settled(manager, book, run)
    assert [upload.status for upload in uploads] == [UploadStatus.uploaded] * 2


def test_rows_another_running_app_is_sending_are_left_to_it(
    make_manager: MakeManager,
    supabase_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    database_url: str,
    pool: asyncpg.Pool,
    run: Run,
) -> None:
    writer = make_manager(supabase_settings, start=False)
    enqueue_all(writer, illustrated_story(2), run)

    other = run(asyncpg.connect(database_url, server_settings={"application_name": "storyforge-7-0badf00d"}))
    try:
        run(other.execute("UPDATE uploads SET status = 'uploading'"))  # another running app is sending both
        make_manager(supabase_settings)  # this one starts meanwhile: it takes back only a dead app's rows
        assert [row["status"] for row in run(pool.fetch("SELECT status FROM uploads"))] == ["uploading"] * 2
    finally:
        run(other.close())
    assert not storage_server.writes


def test_switching_from_local_to_supabase_offers_the_local_only_images(
    make_manager: MakeManager,
    local_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    manager = make_manager(local_settings)
    book = illustrated_story(2)
    enqueue_all(manager, book, run)
    settled(manager, book, run)
    assert run(manager.local_only_images()) == []

    run(manager.reconfigure(supabase_settings_for(storage_server, local_settings.data_dir)))
    offered = run(manager.local_only_images())
    assert sorted(upload.scene_index for upload in offered) == [0, 1]
    book.images[0].unlink()  # the cache lost one; the library copy still has it
    queued = run(manager.upload_local_images())
    assert len(queued) == 2
    uploads = [upload for upload in settled(manager, book, run) if upload.backend == "supabase"]
    assert [upload.status for upload in uploads] == [UploadStatus.uploaded] * 2
    assert storage_server.object_keys(BUCKET) == {upload.object_path for upload in uploads}
    assert run(manager.local_only_images()) == []


def test_the_same_image_enqueued_twice_is_one_object(
    make_manager: MakeManager,
    supabase_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
) -> None:
    manager = make_manager(supabase_settings)
    book = illustrated_story(1)
    [first] = enqueue_all(manager, book, run)
    settled(manager, book, run)
    [again] = enqueue_all(manager, book, run)
    [upload] = settled(manager, book, run)
    assert again.id == first.id and upload.status is UploadStatus.uploaded
    assert storage_server.writes[f"{BUCKET}/{upload.object_path}"] == 1


def test_a_file_that_is_not_an_image_is_refused_in_plain_words(
    make_manager: MakeManager, local_settings: Settings, illustrated_story: MakeStory, run: Run
) -> None:
    manager = make_manager(local_settings)
    book = illustrated_story(1)
    book.images[0].write_text("not a picture")
    with pytest.raises(ValueError, match="is not a PNG, JPEG or WebP image"):
        run(manager.enqueue_scene_image(book.story, book.scenes[0], book.images[0]))
    assert run(manager.uploads()) == []


def test_counts_follow_the_states(
    make_manager: MakeManager, local_settings: Settings, illustrated_story: MakeStory, run: Run
) -> None:
    manager = make_manager(local_settings)
    book = illustrated_story(2)
    enqueue_all(manager, book, run)
    settled(manager, book, run)
    counts = run(manager.counts())
    assert counts[UploadStatus.uploaded] == 2 and counts[UploadStatus.failed] == 0


@given(attempts=st.integers(min_value=1, max_value=40))
def test_retry_delays_double_with_jitter_up_to_a_cap(attempts: int) -> None:
    policy = RetryPolicy(attempts=6, first_delay=2.0, max_delay=300.0)
    cap = min(300.0, 2.0 * 2 ** (attempts - 1))
    delay = policy.delay(attempts)
    assert cap / 2 <= delay <= cap
    assert policy.may_retry(attempts) is (attempts < 6)


def test_the_latest_finished_uploads_come_with_every_unfinished_one(
    make_manager: MakeManager, local_settings: Settings, illustrated_story: MakeStory, run: Run
) -> None:
    manager = make_manager(local_settings)
    book = illustrated_story(3)
    enqueue_all(manager, book, run)
    finished = settled(manager, book, run)
    run(manager.shutdown())
    later = illustrated_story(1)
    [waiting] = enqueue_all(manager, later, run)  # the queue has stopped: it stays queued

    listed = run(manager.uploads(uploaded_limit=2))

    newest_two = sorted(finished, key=lambda upload: (upload.updated_at, upload.id))[-2:]  # as the query orders
    assert {upload.id for upload in listed} == {waiting.id} | {upload.id for upload in newest_two}
    assert len(run(manager.uploads())) == 4


def test_an_upload_is_sent_only_from_the_computer_that_holds_its_image(
    make_manager: MakeManager,
    supabase_settings: Settings,
    storage_server: StorageServer,
    illustrated_story: MakeStory,
    tmp_path: Path,
    run: Run,
) -> None:
    # Another computer on the same database (another data folder here) cannot read this one's image folder.
    here = make_manager(supabase_settings, start=False)
    book = illustrated_story(2)
    enqueue_all(here, book, run)
    elsewhere = make_manager(supabase_settings.model_copy(update={"data_dir": tmp_path / "other-computer"}))
    run(elsewhere.wait_settled())  # nothing of its own to send: it settles without taking this computer's rows
    assert [upload.status for upload in run(here.uploads())] == [UploadStatus.queued] * 2
    assert not storage_server.writes

    run(here.start())
    assert [upload.status for upload in settled(here, book, run)] == [UploadStatus.uploaded] * 2
