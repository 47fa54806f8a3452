"""The library as a writer meets it: it shows at once, pages ten thousand stories smoothly, searches as you type."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QWidget

from desktop.models import Story, StoryRequest, StoryStatus
from desktop.ui.library.library_delegate import friendly_date, scenes_text
from desktop.ui.library.library_model import PAGE_SIZE, StoryRole
from tests.support.ui_fixtures import WriterApp

Run = Callable[..., Any]


async def insert_stories(pool: asyncpg.Pool, count: int) -> None:
    """Many stories at once, newest first by number, in one statement."""
    await pool.execute(
        """INSERT INTO stories (id, user_id, title, prompt, scene_count, status, created_at, updated_at)
           SELECT gen_random_uuid(), gen_random_uuid(), 'Story number ' || n,
                  'A keeper of lighthouse ' || n || ' finds a map', 6,
                  (ARRAY['complete','partial','failed','cancelled','interrupted'])[1 + n % 5],
                  now() - make_interval(mins => $1 - n), now()
           FROM generate_series(1, $1) AS n""",
        count,
    )


def test_an_empty_library_says_what_to_do_next(writer_app: WriterApp, qtbot: Any) -> None:
    panel = writer_app.window.library_panel
    qtbot.waitUntil(lambda: panel.model.has_loaded)
    assert panel.notice.isVisible()
    assert "No stories yet — press Ctrl+N" in panel.notice.text()
    assert "Ctrl+N" in writer_app.window.empty_page.hint.text()


def test_ten_thousand_stories_open_a_page_at_a_time_as_the_writer_scrolls(
    open_app: Callable[..., WriterApp], ui_settings: Any, run: Run, qtbot: Any
) -> None:
    async def fill() -> None:
        pool = await asyncpg.create_pool(ui_settings.database_url, min_size=1, max_size=1)
        try:
            await insert_stories(pool, 10_000)
        finally:
            await pool.close()

    run(fill(), timeout=60)
    app = open_app()
    model = app.window.library
    qtbot.waitUntil(lambda: model.rowCount() >= PAGE_SIZE, timeout=10_000)
    assert model.rowCount() == PAGE_SIZE  # paged, not all ten thousand at once
    first: Any = model.index(0).data(StoryRole)
    assert first.title == "Story number 10000"  # newest first
    qtbot.waitUntil(lambda: app.window.library_panel.count_label.text() == "10,000 stories")

    view = app.window.library_view
    for _ in range(5):
        view.scrollToBottom()
        qtbot.waitUntil(lambda: not model.is_loading, timeout=5_000)
        view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    qtbot.waitUntil(lambda: model.rowCount() >= 6 * PAGE_SIZE, timeout=10_000)
    titles = [model.index(row).data(Qt.ItemDataRole.DisplayRole) for row in range(model.rowCount())]
    assert len(set(titles)) == len(titles)  # no page twice


def test_search_narrows_the_library_as_the_writer_types(writer_app: WriterApp, qtbot: Any, run: Run) -> None:
    stories = writer_app.session.story_rows
    for title, prompt in [("The Lighthouse", "A keeper finds a map"), ("Salt Roads", "Two sisters cross a desert")]:
        run(stories.create(Story.create(StoryRequest(title=title, prompt=prompt), uuid.uuid4())))
    panel = writer_app.window.library_panel
    panel.reload()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)
    qtbot.keyClicks(panel.search_box, "sister")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1 and panel.model.search == "sister")
    assert panel.model.index(0).data(Qt.ItemDataRole.DisplayRole) == "Salt Roads"
    panel.search_box.clear()
    qtbot.keyClicks(panel.search_box, "dragon")
    qtbot.waitUntil(lambda: panel.model.search == "dragon" and panel.model.has_loaded and panel.notice.isVisible())
    assert "No story matches “dragon”" in panel.notice.text()


def test_rows_say_status_scene_count_and_date(writer_app: WriterApp) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC).astimezone()
    assert friendly_date(now - timedelta(minutes=5), now).startswith("Today ")
    assert friendly_date(now - timedelta(days=1), now) == "Yesterday"
    assert friendly_date(datetime(2025, 3, 4, 12, tzinfo=UTC), now) == "4 Mar 2025"
    summary = writer_app.window.library  # a live story appears first, with its progress
    story = Story.create(StoryRequest(title="Live", prompt="p", scene_count=4), uuid.uuid4())
    summary.story_changed(story)
    summary.scene_saved(story.id, 1)
    row: Any = summary.index(0).data(StoryRole)
    assert row.status is StoryStatus.generating
    assert scenes_text(row) == "2 of 4 scenes"


def test_a_story_that_changes_shows_its_new_progress_in_its_row(writer_app: WriterApp, qtbot: Any) -> None:
    panel = writer_app.window.library_panel
    qtbot.waitUntil(lambda: panel.model.has_loaded)
    requests = [StoryRequest(title=f"Story {n}", prompt="p", scene_count=6) for n in range(8)]
    stories = [Story.create(request, uuid.uuid4()) for request in requests]
    for story in stories:
        writer_app.window.library.story_changed(story)
    viewport = panel.view.viewport()
    row = panel.view.visualRect(panel.model.index(5))  # the sixth row from the top: newest first
    qtbot.waitUntil(lambda: on_screen_as_drawn_afresh(viewport), timeout=2000)
    before = viewport.grab(row).toImage()

    writer_app.window.library.scene_saved(stories[2].id, 2)
    assert scenes_text(panel.model.index(5).data(StoryRole)) == "3 of 6 scenes"
    qtbot.waitUntil(lambda: on_screen_as_drawn_afresh(viewport), timeout=2000)
    assert viewport.grab(row).toImage() != before  # the row on screen says so


def on_screen_as_drawn_afresh(widget: QWidget) -> bool:
    """What the screen shows of `widget` is what drawing it from scratch gives: nothing stale stayed behind."""
    window = widget.window()
    shown = window.screen().grabWindow(window.winId()).toImage()
    origin = widget.mapTo(window, QPoint(0, 0))
    shown = shown.copy(QRect(origin * shown.devicePixelRatio(), widget.size() * shown.devicePixelRatio()))
    afresh = widget.grab().toImage()
    return shown.convertToFormat(afresh.format()) == afresh
