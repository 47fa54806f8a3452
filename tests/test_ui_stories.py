"""Story → Rename…, Story → Duplicate, the library row's context menu, and the story that was open coming back at
start, as a writer meets them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication

from desktop.db.repositories import StoryRepository
from desktop.models import Story, StoryRequest, StoryStatus, UploadStatus
from desktop.ui.library.library_model import StoryRole
from tests.support.ui_fixtures import WriterApp, write_story

Run = Callable[..., Any]
REOPENING = "Opening the story you were reading"  # the start-up task's title


def written(app: WriterApp, qtbot: Any, title: str) -> None:
    write_story(app.window, qtbot, title, "Mira, a lighthouse keeper, finds a brass key in a fish.", 2)
    view = app.window.story_view
    qtbot.waitUntil(
        lambda: view.story is not None and view.story.title == title and view.story.status is StoryStatus.complete,
        timeout=30_000,
    )


def library_titles(app: WriterApp) -> list[str]:
    model = app.window.library
    return [model.index(row).data(StoryRole).title for row in range(model.rowCount())]


def test_rename_from_the_menu_updates_the_row_and_the_header_and_survives_a_restart(
    open_app: Callable[..., WriterApp], qtbot: Any
) -> None:
    app = open_app()
    written(app, qtbot, "The Key in the Fish")
    window = app.window
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.rename_dialog is not None and window.rename_dialog.isVisible())
    dialog = window.rename_dialog
    assert dialog is not None and dialog.title_edit.text() == "The Key in the Fish"
    dialog.title_edit.selectAll()
    qtbot.keyClicks(dialog.title_edit, "The Brass Key")
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.rename_dialog is None)
    qtbot.waitUntil(lambda: library_titles(app) == ["The Brass Key"])
    assert window.story_view.header.title.text() == "The Brass Key"
    assert window.windowTitle() == "The Brass Key — Storyforge"

    again = open_app()
    qtbot.waitUntil(lambda: library_titles(again) == ["The Brass Key"], timeout=10_000)


def test_an_empty_title_is_refused_in_one_line_and_esc_leaves_the_title_as_it_was(
    writer_app: WriterApp, qtbot: Any
) -> None:
    written(writer_app, qtbot, "The Salt Road")
    window = writer_app.window
    window.actions_.rename_story.trigger()
    qtbot.waitUntil(lambda: window.rename_dialog is not None and window.rename_dialog.isVisible())
    dialog = window.rename_dialog
    assert dialog is not None
    dialog.title_edit.clear()
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.error_label.isVisible)
    assert dialog.error_label.text() == "Give the story a title."
    assert dialog.isVisible()
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.rename_dialog is None)
    assert library_titles(writer_app) == ["The Salt Road"]
    assert window.story_view.header.title.text() == "The Salt Road"


def test_the_story_open_at_close_is_open_again_after_a_restart(open_app: Callable[..., WriterApp], qtbot: Any) -> None:
    app = open_app()
    written(app, qtbot, "The First Tide")
    written(app, qtbot, "The Second Tide")
    first = next(s.id for s in (app.window.library.index(r).data(StoryRole) for r in range(2)) if "First" in s.title)
    app.window.open_story(first)
    qtbot.waitUntil(lambda: app.window.story_view.story is not None and app.window.story_view.story.id == first)

    again = open_app()
    view = again.window.story_view
    qtbot.waitUntil(lambda: view.story is not None and view.story.id == first, timeout=10_000)
    assert again.window.pages.currentWidget() is view
    assert again.window.selected_story() is not None and again.window.selected_story().id == first


def test_duplicate_opens_a_copy_with_the_same_scenes_and_its_own_images_that_upload(
    writer_app: WriterApp, qtbot: Any
) -> None:
    written(writer_app, qtbot, "The Lighthouse Map")
    window, view = writer_app.window, writer_app.window.story_view
    qtbot.waitUntil(lambda: "2 images uploaded" in view.header.progress_label.text(), timeout=15_000)
    original = {index: card.scene for index, card in view.cards.items()}
    window.actions_.duplicate_story.trigger()
    qtbot.waitUntil(lambda: view.story is not None and view.story.title == "The Lighthouse Map (copy)", timeout=10_000)
    assert sorted(library_titles(writer_app)) == ["The Lighthouse Map", "The Lighthouse Map (copy)"]
    selected = window.selected_story()
    assert selected is not None and selected.title == "The Lighthouse Map (copy)" and selected.scenes_written == 2
    qtbot.waitUntil(lambda: len(view.cards) == 2 and all(card.scene is not None for card in view.cards.values()))
    for index, card in view.cards.items():
        copy, first = card.scene, original[index]
        assert copy is not None and first is not None
        assert copy.text == first.text and copy.image_path != first.image_path
        assert Path(copy.image_path).read_bytes() == Path(first.image_path).read_bytes()
    qtbot.waitUntil(lambda: "2 images uploaded" in view.header.progress_label.text(), timeout=15_000)
    copied = [u for u in window.uploads_panel.model.uploads() if view.story and u.story_id == view.story.id]
    assert len(copied) == 2 and {u.status for u in copied} == {UploadStatus.uploaded}


def row_menu(app: WriterApp, qtbot: Any, title: str, *, keyboard: bool = False) -> Any:
    """Right-click the story's row (or press the Menu key on it) and return the menu that opened."""
    window = app.window
    view = window.library_panel.view
    row = library_titles(app).index(title)
    index = window.library.index(row)
    rect = view.visualRect(index)
    if keyboard:
        view.setCurrentIndex(index)
        event = QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, QPoint(0, 0), view.mapToGlobal(QPoint(0, 0)))
        QApplication.sendEvent(view, event)
    else:
        where = rect.center()
        event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, where, view.viewport().mapToGlobal(where))
        QApplication.sendEvent(view.viewport(), event)
    menu = window.story_menu
    assert menu is not None
    qtbot.waitUntil(menu.isVisible)
    return menu


def test_the_context_menu_offers_what_the_row_allows_and_acts_on_that_row(
    writer_app: WriterApp, qtbot: Any, stories: StoryRepository, run: Run
) -> None:
    written(writer_app, qtbot, "The Quiet Harbour")
    window = writer_app.window
    being_written = Story.create(
        StoryRequest(title="Still Being Written", prompt="A story another window is writing.", scene_count=3),
        user_id=writer_app.settings.user_id,
        status=StoryStatus.generating,
    )
    run(stories.create(being_written))  # as another window writing it would have stored it
    window.library_panel.reload()
    qtbot.waitUntil(lambda: sorted(library_titles(writer_app)) == ["Still Being Written", "The Quiet Harbour"])

    menu = row_menu(writer_app, qtbot, "The Quiet Harbour")
    actions = [action.text() for action in menu.actions() if not action.isSeparator() and action.isVisible()]
    assert actions == ["&Open", "Re&name…", "&Duplicate", "&Export…", "De&lete"]  # no failed uploads: no retry
    assert all(action.isEnabled() for action in menu.actions() if action.isVisible())
    menu.close()

    menu = row_menu(writer_app, qtbot, "Still Being Written", keyboard=True)
    assert menu.open_action.isEnabled() and menu.rename_action.isEnabled()
    assert not menu.duplicate_action.isEnabled()  # a story being written cannot be copied
    assert not menu.export_action.isEnabled()  # nothing written yet
    assert not menu.delete_action.isEnabled()  # cancelled first, then deleted
    menu.open_action.trigger()
    view = window.story_view
    qtbot.waitUntil(lambda: view.story is not None and view.story.title == "Still Being Written")

    menu = row_menu(writer_app, qtbot, "The Quiet Harbour")
    menu.rename_action.trigger()
    qtbot.waitUntil(lambda: window.rename_dialog is not None and window.rename_dialog.isVisible())
    dialog = window.rename_dialog
    assert dialog is not None and dialog.title_edit.text() == "The Quiet Harbour"  # the row's story, not the open one
    dialog.title_edit.setText("The Loud Harbour")
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sorted(library_titles(writer_app)) == ["Still Being Written", "The Loud Harbour"])
    assert view.story is not None and view.story.title == "Still Being Written"


def test_a_story_gone_since_the_last_run_is_not_reopened_and_nothing_is_said(
    open_app: Callable[..., WriterApp],
    qtbot: Any,
    stories: StoryRepository,
    run: Run,
    loop: asyncio.AbstractEventLoop,
) -> None:
    app = open_app()
    written(app, qtbot, "The Vanishing Isle")
    gone = app.window.story_view.story
    assert gone is not None
    app.close()
    assert run(stories.delete(gone.id))

    again = open_app()
    window = again.window
    qtbot.waitUntil(lambda: window.library.has_loaded)
    qtbot.waitUntil(lambda: not [t for t in asyncio.all_tasks(loop) if t.get_name() == REOPENING])
    assert window.pages.currentWidget() is window.empty_page
    assert window.notices.notices == []
