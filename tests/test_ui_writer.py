"""A writer at the window: types a prompt, presses Generate, watches the scenes arrive with their images, opens the
viewer, cancels a run, restarts the app and finds everything where it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.models import ImageStatus, StoryStatus, UploadStatus
from tests.support.ui_fixtures import WriterApp, all_thumbnails_shown, unnamed_controls, write_story

Run = Callable[..., Any]


def test_generate_watch_the_scenes_arrive_and_step_through_the_images(writer_app: WriterApp, qtbot: Any) -> None:
    window, service = writer_app.window, writer_app.session.stories
    assert service is not None
    view = window.story_view
    with qtbot.waitSignal(service.story_changed, timeout=10_000):
        write_story(window, qtbot, "The Lighthouse Map", "Maren, a lighthouse keeper on Skerry, finds a map.", 4)
    qtbot.waitUntil(lambda: view.story is not None and view.story.title == "The Lighthouse Map", timeout=10_000)
    assert window.pages.currentWidget() is view
    assert window.actions_.cancel.isEnabled()  # Esc stops it while it runs
    assert window.library.rowCount() == 1
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)
    qtbot.waitUntil(lambda: all_thumbnails_shown(window, 4), timeout=15_000)
    for index, card in sorted(view.cards.items()):
        assert card.number_text == f"SCENE {index + 1}"
        assert card.scene is not None and len(card.text) > 40
        assert card.title == card.scene.title
    qtbot.waitUntil(lambda: "4 images uploaded" in view.header.progress_label.text(), timeout=15_000)
    assert view.header.progress_label.text().startswith("4 of 4 scenes")
    assert (view.header.progress_bar.value(), view.header.progress_bar.maximum()) == (4, 4)
    assert not any(card.is_live for card in view.cards.values())  # no scene is still marked as being written
    assert all(card.badge_text == "Uploaded" for card in view.cards.values())
    assert not window.actions_.cancel.isEnabled()
    assert unnamed_controls(window) == []  # every card's controls too

    qtbot.mouseClick(view.cards[0].thumbnail, Qt.MouseButton.LeftButton)
    viewer = window.viewer
    assert viewer is not None and viewer.isVisible()
    qtbot.waitUntil(lambda: not viewer.canvas.item.pixmap().isNull())
    captions = [viewer.caption.text()]
    for _ in range(3):
        viewer.next_button.click()
        captions.append(viewer.caption.text())
    assert captions == [f"Scene {n} · {view.cards[n - 1].title}" for n in range(1, 5)]
    assert viewer.copy_button.isEnabled()  # uploaded: its URL can be copied


def test_cancel_mid_story_keeps_the_finished_scenes_and_restart_finds_them(
    open_app: Callable[..., WriterApp], qtbot: Any
) -> None:
    app = open_app(offline_delay=0.15)
    window = app.window
    write_story(window, qtbot, "The Salt Road", "Two sisters cross the desert to Qarra.", 5)
    view = window.story_view
    qtbot.waitUntil(lambda: sum(card.scene is not None for card in view.cards.values()) >= 2, timeout=30_000)
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # Cancel generation
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.cancelled, timeout=10_000)
    kept = {index: card.scene.text for index, card in view.cards.items() if card.scene is not None}
    assert 2 <= len(kept) < 5
    assert view.header.resume_button.isVisible()

    again = open_app(offline_delay=0.0)  # the app restarts on the same database and data folder
    library = again.window.library
    qtbot.waitUntil(lambda: library.rowCount() == 1, timeout=10_000)
    again.window.library_view.setCurrentIndex(library.index(0))
    reopened = again.window.story_view
    qtbot.waitUntil(lambda: reopened.story is not None and len(reopened.cards) == len(kept), timeout=10_000)
    assert {index: card.scene.text for index, card in reopened.cards.items() if card.scene} == kept
    assert reopened.header.badge.text == "Cancelled"
    painted = [
        card for card in reopened.cards.values() if card.scene and card.scene.image_status is ImageStatus.painted
    ]
    qtbot.waitUntil(lambda: all(card.placeholder_text is None for card in painted), timeout=10_000)

    qtbot.mouseClick(reopened.header.resume_button, Qt.MouseButton.LeftButton)  # write the missing scenes
    qtbot.waitUntil(
        lambda: reopened.story is not None and reopened.story.status is StoryStatus.complete, timeout=30_000
    )
    assert len(reopened.cards) == 5
    assert {index: reopened.cards[index].text for index in kept} == kept


def test_an_edit_is_saved_and_found_after_a_restart(open_app: Callable[..., WriterApp], qtbot: Any) -> None:
    app = open_app()
    window = app.window
    write_story(window, qtbot, "Winter Orchard", "An old gardener teaches a girl to graft apple trees.", 2)
    view = window.story_view
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)
    card = view.cards[1]
    original = card.text
    qtbot.mouseClick(card.edit_button, Qt.MouseButton.LeftButton)
    assert card.is_editing and card.editor is not None
    qtbot.keyClicks(card.editor.text_edit, " Never mind.")
    qtbot.keyClick(card.editor.text_edit, Qt.Key.Key_Escape)  # leave: the unsaved change is asked about
    question = QApplication.activeModalWidget()
    assert isinstance(question, QMessageBox)
    qtbot.mouseClick(next(b for b in question.buttons() if b.text() == "Discard"), Qt.MouseButton.LeftButton)
    assert not card.is_editing and card.text == original
    qtbot.mouseClick(card.edit_button, Qt.MouseButton.LeftButton)
    card.editor.text_edit.selectAll()
    qtbot.keyClicks(card.editor.text_edit, "The frost came early that year, and the grafts held.")
    qtbot.mouseClick(card.editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.busy_text == "", timeout=10_000)
    assert card.text == "The frost came early that year, and the grafts held."

    first = view.cards[0]
    assert first.scene is not None
    old_text, old_image = first.text, first.scene.image_path
    shown_busy: list[str] = []  # the offline writer may finish between two looks at the card: keep what it said
    show_busy = first.set_busy
    first.set_busy = lambda text: (shown_busy.append(text), show_busy(text))  # type: ignore[method-assign]
    qtbot.mouseClick(first.rewrite_button, Qt.MouseButton.LeftButton)  # Regenerate text
    qtbot.waitUntil(lambda: "Rewriting…" in shown_busy, timeout=5_000)
    qtbot.waitUntil(lambda: first.busy_text == "" and first.text != old_text, timeout=15_000)
    qtbot.mouseClick(first.repaint_button, Qt.MouseButton.LeftButton)  # Regenerate image
    qtbot.waitUntil(
        lambda: first.scene is not None and first.scene.image_path != old_image and first.placeholder_text is None,
        timeout=15_000,
    )
    rewritten = first.text

    again = open_app()
    qtbot.waitUntil(lambda: again.window.library.rowCount() == 1, timeout=10_000)
    again.window.library_view.setCurrentIndex(again.window.library.index(0))
    reopened = again.window.story_view
    qtbot.waitUntil(lambda: 1 in reopened.cards and reopened.cards[1].scene is not None, timeout=10_000)
    assert reopened.cards[1].text == "The frost came early that year, and the grafts held."
    assert reopened.cards[0].text == rewritten


def test_the_upload_badge_follows_a_refused_upload_and_its_retry(
    open_app: Callable[..., WriterApp], storage_server_with_bucket: Any, qtbot: Any
) -> None:
    from pydantic import SecretStr

    from tests.support.storage_fixtures import BUCKET

    server = storage_server_with_bucket
    server.size_limit = 10
    app = open_app(
        storage_backend="supabase",
        supabase_url=server.url,
        supabase_key=SecretStr(server.key),
        supabase_bucket=BUCKET,
        request_timeout=2.0,
    )
    window = app.window
    write_story(window, qtbot, "Glass Harbour", "A glassblower's apprentice sails north.", 2)
    view = window.story_view
    qtbot.waitUntil(
        lambda: len(view.cards) == 2 and all(c.badge_text == "Failed" for c in view.cards.values()), timeout=30_000
    )
    card = view.cards[0]
    assert "larger than the bucket allows" in card.error_text
    assert card.retry_button.isVisible()
    assert "2 uploads failed" in view.header.progress_label.text()
    server.size_limit = None
    qtbot.mouseClick(view.header.retry_button, Qt.MouseButton.LeftButton)  # Retry this story's failed uploads
    qtbot.waitUntil(lambda: all(c.badge_text == "Uploaded" for c in view.cards.values()), timeout=15_000)
    assert card.error_text == ""
    assert {u.status for u in window.uploads_panel.model.uploads()} == {UploadStatus.uploaded}
