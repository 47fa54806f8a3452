"""The window after a storage switch, as a writer meets it: Supabase refused two images, the writer chooses the
local folder; the refused uploads stay in the Uploads panel with their target and reason, the status bar and the
library say they are not stored, and one click sends them to the chosen storage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import SecretStr
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop.db.repositories import StoryRepository
from desktop.models import StoryStatus, UploadStatus
from desktop.ui.library.library_delegate import badge_of
from desktop.ui.library.library_model import StoryRole
from desktop.ui.uploads.uploads_model import Column
from tests.support.storage_fixtures import BUCKET, MakeStory
from tests.support.storage_server import StorageServer
from tests.support.ui_fixtures import WriterApp

Run = Callable[..., Any]


def badge(app: WriterApp) -> str:
    library = app.window.library
    return badge_of(library.index(0).data(StoryRole))[0] if library.rowCount() else ""


def test_a_storage_switch_keeps_refused_uploads_in_sight_and_one_click_stores_them(
    open_app: Callable[..., WriterApp],
    storage_server_with_bucket: StorageServer,
    illustrated_story: MakeStory,
    stories: StoryRepository,
    run: Run,
    qtbot: Any,
) -> None:
    server = storage_server_with_bucket
    server.size_limit = 10  # every image is "too large": refused for good
    book = illustrated_story(2, title="The Salt Road")
    run(stories.set_status(book.story.id, StoryStatus.complete))
    app = open_app(
        storage_backend="supabase",
        supabase_url=server.url,
        supabase_key=SecretStr(server.key),
        supabase_bucket=BUCKET,
        request_timeout=2.0,
    )
    window, manager, panel = app.window, app.session.uploads, app.window.uploads_panel
    for scene, image in zip(book.scenes, book.images, strict=True):
        run(manager.enqueue_scene_image(book.story, scene, image))
    qtbot.waitUntil(lambda: panel.model.counts() == (0, 2), timeout=15_000)
    qtbot.waitUntil(lambda: badge(app) == "Complete · 2 uploads failed", timeout=5_000)

    window.open_settings()  # the writer chooses the local folder
    dialog = window.settings_dialog
    assert dialog is not None
    dialog.storage_backend.setCurrentIndex(dialog.storage_backend.findData("local"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.local_images_question is not None and window.local_images_question.isVisible())
    question = window.local_images_question
    assert question is not None
    assert question.windowTitle().startswith("Send 2 images to the local storage folder")
    assert question.text().startswith("2 images were not stored on the storage you left.")
    window.show_uploads()
    table = panel.table.model()
    assert table.rowCount() == 2  # nothing hidden by the switch
    for row in range(2):
        assert table.index(row, Column.target).data() == "Supabase (not chosen)"
        assert "larger than the bucket allows" in table.index(row, Column.reason).data()
        assert table.index(row, Column.state).data() == "Failed"
    assert window.uploads_status.text() == "Uploads: 2 failed"  # never "all done"
    assert badge(app) == "Complete · 2 uploads failed"
    assert panel.send_button.isVisible() and panel.send_button.text() == "Send 2 to Local folder"
    assert "2 not sent to the chosen storage" in panel.summary.text()

    question.button(QMessageBox.StandardButton.Yes).click()

    qtbot.waitUntil(lambda: window.uploads_status.text() == "Uploads: all done", timeout=15_000)
    uploads = panel.model.uploads()
    assert [(u.backend, u.status) for u in uploads] == [("local", UploadStatus.uploaded)] * 2
    library = app.runtime.settings.storage_folder
    assert app.runtime.settings.storage_backend == "local"
    assert all(library.joinpath(*u.object_path.split("/")).is_file() for u in uploads)
    assert [table.index(row, Column.target).data() for row in range(2)] == ["Local folder"] * 2
    assert not panel.send_button.isVisible()
    qtbot.waitUntil(lambda: badge(app) == "Complete", timeout=5_000)


def test_the_panel_sends_uploads_left_on_another_storage_with_one_click(
    open_app: Callable[..., WriterApp],
    storage_server_with_bucket: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
    qtbot: Any,
) -> None:
    server = storage_server_with_bucket
    server.size_limit = 10
    book = illustrated_story(1)
    app = open_app(
        storage_backend="supabase", supabase_url=server.url, supabase_key=SecretStr(server.key), supabase_bucket=BUCKET
    )
    manager, panel = app.session.uploads, app.window.uploads_panel
    run(manager.enqueue_scene_image(book.story, book.scenes[0], book.images[0]))
    qtbot.waitUntil(lambda: panel.model.counts() == (0, 1), timeout=15_000)
    run(app.runtime.apply_settings(app.runtime.settings.model_copy(update={"storage_backend": "local"})))
    panel.storage_changed()
    app.window.show_uploads()
    assert panel.send_button.isVisible()

    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: panel.model.counts() == (0, 0), timeout=15_000)
    [upload] = panel.model.uploads()
    assert upload.backend == "local" and upload.status is UploadStatus.uploaded
    assert not panel.send_button.isVisible()


def test_a_storage_problem_notice_goes_away_with_the_storage_that_caused_it(
    open_app: Callable[..., WriterApp],
    storage_server_with_bucket: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
    qtbot: Any,
) -> None:
    server = storage_server_with_bucket
    book = illustrated_story(1)
    app = open_app(
        storage_backend="supabase",
        supabase_url=server.url,
        supabase_key=SecretStr("not-the-key"),
        supabase_bucket=BUCKET,
    )
    window, manager = app.window, app.session.uploads
    run(manager.enqueue_scene_image(book.story, book.scenes[0], book.images[0]))
    qtbot.waitUntil(lambda: window.notices.isVisible(), timeout=15_000)
    assert "rejected the key" in window.notices.text.text()

    window.open_settings()  # the writer leaves that storage for the local folder
    dialog = window.settings_dialog
    assert dialog is not None
    dialog.storage_backend.setCurrentIndex(dialog.storage_backend.findData("local"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: not window.notices.isVisible(), timeout=5_000)
