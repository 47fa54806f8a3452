"""Copy story: the open story as plain text on the clipboard, ready to paste into a mail or another editor."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QGuiApplication

from desktop.export import Book, Chapter, book_text
from desktop.models import StoryStatus
from tests.support.ui_fixtures import WriterApp, write_story


def test_a_book_as_text_is_its_title_what_it_is_about_and_each_scene() -> None:
    book = Book(
        title="The Salt Road",
        subtitle="A courier crosses the desert.",
        chapters=(
            Chapter(1, "The Call", "First paragraph,\nwith a line break.\n\n\nSecond paragraph.", None),
            Chapter(2, "", "Only one.\x07", None),  # no title: named by its number; a bell is not text
        ),
    )
    assert book_text(book) == (
        "The Salt Road\n\nA courier crosses the desert.\n\n"
        "1. The Call\n\nFirst paragraph,\nwith a line break.\n\nSecond paragraph.\n\n"
        "2. Scene 2\n\nOnly one.\n"
    )


def test_copy_story_puts_the_open_story_on_the_clipboard(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    write_story(window, qtbot, "The Glass Orchard", "A glassblower's apprentice grows an orchard of glass.", 3)
    view = window.story_view
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)

    view.copy_story()

    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("The Glass Orchard\n\nA glassblower's apprentice grows an orchard of glass.\n\n1. ")
    scenes = [card.scene for _, card in sorted(view.cards.items()) if card.scene is not None]
    assert len(scenes) == 3
    for scene in scenes:
        assert f"{scene.number}. {scene.title}\n\n" in copied
        assert scene.text.split("\n\n")[0].strip() in copied
