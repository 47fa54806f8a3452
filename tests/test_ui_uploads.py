"""The Uploads panel as a writer uses it: a refused upload shows its reason, the status bar counts it, Retry after
the repair uploads it, and the filter narrows the table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import SecretStr
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from desktop.models import UploadStatus
from desktop.ui.uploads.uploads_model import Column, UploadRole
from tests.support.paint_watch import PaintWatch
from tests.support.storage_fixtures import BUCKET, MakeStory
from tests.support.storage_server import StorageServer
from tests.support.ui_fixtures import WriterApp

Run = Callable[..., Any]


def open_on_storage(open_app: Callable[..., WriterApp], server: StorageServer) -> WriterApp:
    return open_app(
        storage_backend="supabase",
        supabase_url=server.url,
        supabase_key=SecretStr(server.key),
        supabase_bucket=BUCKET,
        request_timeout=2.0,
    )


def cell(app: WriterApp, row: int, column: Column, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    table = app.window.uploads_panel.table
    return table.model().index(row, column).data(role)


def test_a_refused_upload_says_why_and_retry_after_the_repair_uploads_it(
    open_app: Callable[..., WriterApp],
    storage_server_with_bucket: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
    qtbot: Any,
) -> None:
    server = storage_server_with_bucket
    server.size_limit = 10  # every image is "too large": a permanent refusal that waits for the writer
    app = open_on_storage(open_app, server)
    window, manager = app.window, app.session.uploads
    book = illustrated_story(2, title="The Salt Road")
    for scene, image in zip(book.scenes, book.images, strict=True):
        run(manager.enqueue_scene_image(book.story, scene, image))

    panel = window.uploads_panel
    qtbot.waitUntil(lambda: panel.model.counts() == (0, 2), timeout=15_000)
    assert window.uploads_status.text() == "Uploads: 2 failed"
    assert window.uploads_status.width() >= window.uploads_status.sizeHint().width()  # not cut off
    assert not panel.isVisible()
    qtbot.mouseClick(window.uploads_status, Qt.MouseButton.LeftButton)
    assert panel.isVisible()

    qtbot.waitUntil(lambda: cell(app, 0, Column.story) == "The Salt Road")
    assert cell(app, 0, Column.state) == "Failed"
    reason = cell(app, 0, Column.reason)
    assert "larger than the bucket allows" in reason
    assert cell(app, 0, Column.reason, Qt.ItemDataRole.ToolTipRole).startswith(reason.rstrip("…"))
    panel.table.selectRow(0)
    panel.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == cell(app, 0, Column.reason, Qt.ItemDataRole.ToolTipRole)

    server.size_limit = None  # the writer raised the bucket's limit
    assert panel.retry_button.isEnabled()
    qtbot.mouseClick(panel.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.counts() == (0, 1), timeout=15_000)
    uploaded = [u for u in panel.model.uploads() if u.status is UploadStatus.uploaded]
    assert len(uploaded) == 1 and uploaded[0].url
    assert window.uploads_status.text() == "Uploads: 1 failed"

    panel.filter_box.setCurrentIndex(panel.filter_box.findText("Failed"))
    assert panel.table.model().rowCount() == 1
    assert cell(app, 0, Column.state) == "Failed"
    panel.filter_box.setCurrentIndex(0)

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # Retry all failed
    qtbot.waitUntil(lambda: panel.model.counts() == (0, 0), timeout=15_000)
    assert window.uploads_status.text() == "Uploads: all done"
    assert len(server.object_keys(BUCKET)) == 2


def test_cancel_stops_a_waiting_upload(
    open_app: Callable[..., WriterApp],
    storage_server_with_bucket: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
    qtbot: Any,
) -> None:
    server = storage_server_with_bucket
    server.size_limit = 10
    app = open_on_storage(open_app, server)
    manager = app.session.uploads
    book = illustrated_story(1)
    run(manager.enqueue_scene_image(book.story, book.scenes[0], book.images[0]))
    panel = app.window.uploads_panel
    app.window.show_uploads()
    qtbot.waitUntil(lambda: panel.model.counts() == (0, 1), timeout=15_000)
    panel.table.selectRow(0)
    assert panel.cancel_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cell(app, 0, Column.state) == "Cancelled", timeout=10_000)
    assert app.window.uploads_status.text() == "Uploads: all done"


def test_sixty_thousand_uploads_stay_quick_to_follow(qapp: Any) -> None:
    import time
    import uuid

    from desktop.models import Upload
    from desktop.ui.uploads.uploads_model import UploadsFilter, UploadsModel

    template = Upload.create(
        story_id=uuid.uuid4(),
        scene_id=uuid.uuid4(),
        scene_index=0,
        local_path="/images/0.png",
        object_path="user/story/scene-0.png",
        content_type="image/png",
        backend="local",
    )

    def upload(index: int) -> Upload:  # copies without validation: the test is about the model, not pydantic
        return template.model_copy(
            update={
                "id": uuid.uuid4(),
                "story_id": uuid.UUID(int=index // 6 + 1),
                "object_path": f"s/scene-{index}.png",
            }
        )

    model, shown = UploadsModel(), UploadsFilter()
    shown.setSourceModel(model)
    model.set_uploads([upload(index) for index in range(60_000)])
    started = time.perf_counter()
    for index in range(60_000, 60_300):  # a 100-scene evening: each upload queued, uploading, uploaded
        fresh = upload(index)
        for status in (UploadStatus.queued, UploadStatus.uploading, UploadStatus.uploaded):
            model.upsert(fresh.changed(status=status))
    per_change_ms = (time.perf_counter() - started) * 1000 / 900
    print(f"\nuploads model with 60,000 rows: {per_change_ms:.2f} ms per change")
    assert model.counts() == (60_000, 0)
    assert shown.index(0, 0).data(UploadRole).object_path == "s/scene-60299.png"  # newest first
    assert per_change_ms < 5


def test_a_storage_that_refuses_the_key_says_so_in_a_notice(
    open_app: Callable[..., WriterApp],
    storage_server_with_bucket: StorageServer,
    illustrated_story: MakeStory,
    run: Run,
    qtbot: Any,
) -> None:
    server = storage_server_with_bucket
    app = open_on_storage(open_app, server)
    server.key = "a-rotated-service-key"  # the project's key was rotated: the app's key is refused from now on
    manager = app.session.uploads
    book = illustrated_story(1)
    run(manager.enqueue_scene_image(book.story, book.scenes[0], book.images[0]))
    notices = app.window.notices
    qtbot.waitUntil(lambda: notices.isVisible(), timeout=15_000)
    assert notices.text.text().startswith("Uploading images failed: ")
    assert "key" in notices.text.text()
    assert "a-rotated-service-key" not in notices.all_details()


def test_an_upload_that_changes_repaints_its_own_row_only(qapp: Any, qtbot: Any) -> None:
    import uuid

    from PySide6.QtCore import QRect

    from desktop.models import Upload
    from desktop.ui.uploads.uploads_model import UploadsFilter, UploadsModel
    from desktop.ui.uploads.uploads_panel import UploadTable

    model, shown = UploadsModel(), UploadsFilter()
    shown.setSourceModel(model)
    uploads = [
        Upload.create(
            story_id=uuid.uuid4(),
            scene_id=uuid.uuid4(),
            scene_index=index,
            local_path=f"/images/{index}.png",
            object_path=f"user/story/scene-{index}.png",
            content_type="image/png",
            backend="local",
        )
        for index in range(4)
    ]
    for upload in uploads:
        model.upsert(upload)
    table = UploadTable()
    table.setModel(shown)
    table.resize(900, 300)
    qtbot.addWidget(table)
    table.show()
    qtbot.waitExposed(table)
    watch = PaintWatch(table.viewport())
    qapp.processEvents()  # the view lays its items out on a zero-time timer after it is shown
    table.viewport().repaint()  # everything on screen now; nothing left to paint
    watch.painted.clear()

    model.upsert(uploads[1].changed(status=UploadStatus.uploading))  # the third row from the top: newest first
    qtbot.waitUntil(lambda: bool(watch.painted))
    watch.stop()
    row = QRect(0, table.rowViewportPosition(2), table.viewport().width(), table.rowHeight(2))
    assert shown.index(2, Column.state).data() == "Uploading"
    assert all(row.contains(rect) for rect in watch.painted), (row, watch.painted)  # not every upload again


def test_the_uploads_dock_leaves_the_story_room_and_keeps_the_writers_height(
    open_app: Callable[..., WriterApp], qtbot: Any
) -> None:
    first = open_app()
    window, panel = first.window, first.window.uploads_panel
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.height() == 700)
    window.show_uploads()
    three_rows = panel.height_for_rows(3)
    qtbot.waitUntil(lambda: panel.height() >= three_rows)
    assert panel.height() <= 0.45 * 700  # a sensible share, not half the window
    assert window.pages.height() >= 0.45 * 700  # the story keeps a reading height

    window.resizeDocks([panel], [260], Qt.Orientation.Vertical)  # the writer drags the dock's edge
    qtbot.waitUntil(lambda: panel.height() == 260)
    window.actions_.show_uploads.trigger()  # closed and opened again: the same height
    assert not panel.isVisible()
    window.actions_.show_uploads.trigger()
    qtbot.waitUntil(lambda: panel.isVisible() and panel.height() == 260)
    first.close()

    second = open_app()  # the next run opens the dock at the height the writer chose
    second.window.resize(1024, 700)
    qtbot.waitUntil(lambda: second.window.uploads_panel.isVisible() and second.window.height() == 700)
    qtbot.waitUntil(lambda: second.window.uploads_panel.height() == 260)
