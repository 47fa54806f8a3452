"""A small window (1024×700): every action of a card can be seen and pressed, and the story keeps a useful reading
height with the Uploads panel open, its header folded to one line while the writer reads on."""

from __future__ import annotations

from typing import Any

from desktop.models import StoryStatus
from tests.support.ui_fixtures import WriterApp, write_story


def test_every_card_action_is_visible_in_a_1024_by_700_window(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    window.resize(1024, 700)
    view = window.story_view
    write_story(window, qtbot, "The Glass Orchard", "A glassblower's apprentice must grow an orchard of glass.", 3)
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)
    qtbot.waitUntil(lambda: window.width() <= 1024)
    for card in view.cards.values():
        qtbot.waitUntil(lambda card=card: card.width() > 0 and card.repaint_button.isVisible())
        seen = card.rect()
        for button in (card.edit_button, card.rewrite_button, card.repaint_button):
            assert button.isVisible()
            assert seen.contains(button.geometry()), f"{button.text()} is cut off at {button.geometry()} in {seen}"
            assert not any(
                other is not button and other.geometry().intersects(button.geometry())
                for other in (card.edit_button, card.rewrite_button, card.repaint_button, card.thumbnail)
            )
        # The card's right edge is on screen: nothing of it is beyond the story's scroll area.
        right = card.mapTo(view.scroll_area.viewport(), seen.topRight()).x()
        assert right < view.scroll_area.viewport().width()


def test_with_the_uploads_panel_open_the_header_folds_and_the_story_keeps_its_reading_height(
    writer_app: WriterApp, qtbot: Any
) -> None:
    window = writer_app.window
    window.resize(1024, 700)
    view = window.story_view
    write_story(
        window, qtbot, "The Salt Archivist", "An archivist finds a letter addressed to her, from the future.", 4
    )
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)
    window.show_uploads()
    qtbot.waitUntil(lambda: window.uploads_panel.isVisible())
    header = view.header
    full_height = header.height()
    assert not header.compact and header.prompt.isVisible()

    bar = view.scroll_area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 200)
    bar.setValue(120)  # the writer reads on
    assert header.compact
    one_line = max(header.cancel_button.sizeHint().height(), header.short_title.sizeHint().height()) + 12
    qtbot.waitUntil(lambda: header.height() <= one_line)
    assert header.short_title.isVisible() and header.short_title.text() == "The Salt Archivist"
    assert header.badge.isVisible() and not header.prompt.isVisible()
    assert abs(header.badge.geometry().center().y() - header.short_title.geometry().center().y()) <= 4  # one line
    # The story keeps a useful reading height: more than a card's image and its actions.
    assert view.scroll_area.viewport().height() >= 240

    bar.setValue(0)  # back at the top: all of the header again
    assert not header.compact
    qtbot.waitUntil(lambda: header.height() == full_height)
    assert header.prompt.isVisible() and header.title.isVisible()
