"""Cards say what is true: a scene with its text never waits for it, a painted image shows while it uploads, and an
image painted from an earlier text says so, with Repaint one click away."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from desktop.models import ImageStatus, StoryStatus
from desktop.ui.story.scene_card import NOT_PAINTED, OUTDATED_NOTE, WAITING_FOR_TEXT, SceneCard
from tests.support.ui_fixtures import WriterApp, all_thumbnails_shown, write_story

Run = Callable[..., Any]


def painting_beside_an_upload(cards: dict[int, SceneCard]) -> list[tuple[int, str]]:
    return [
        (index, card.badge_text)
        for index, card in cards.items()
        if card.placeholder_text == "Painting…" and card.badge_text.startswith(("Uploading", "Queued"))
    ]


def test_a_painted_image_shows_while_it_uploads(open_app: Callable[..., WriterApp], qtbot: Any) -> None:
    # The outbox row is written just before the scene is marked painted, and the upload may start in between.
    app = open_app(offline_delay=0.0)
    window = app.window
    view = window.story_view
    seen: list[list[tuple[int, str]]] = []

    def look(*_: object) -> None:
        wrong = painting_beside_an_upload(view.cards)
        if wrong:
            seen.append(wrong)

    app.session.uploads.upload_changed.connect(look)
    app.session.stories.scene_image.connect(look)
    write_story(window, qtbot, "The Long Voyage", "A crew of retired postal workers sails with one last letter.", 12)
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=60_000)
    qtbot.waitUntil(lambda: all_thumbnails_shown(window, 12), timeout=30_000)
    assert seen == []


def test_an_interrupted_scene_with_text_offers_to_paint_its_image_and_resume_paints_it(
    open_app: Callable[..., WriterApp], qtbot: Any, run: Run
) -> None:
    app = open_app()
    window = app.window
    view = window.story_view
    write_story(window, qtbot, "The Salt Road", "Two sisters cross the desert to Qarra.", 3)
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)
    story = view.story
    assert story is not None
    # What a crash after the second scene's text leaves: its image never painted, the story interrupted.
    second = view.cards[1].scene
    assert second is not None
    run(app.session.scene_rows.set_image(second.id, ImageStatus.pending, path=""))
    run(app.session.story_rows.update(story.changed(status=StoryStatus.interrupted)))

    again = open_app()
    again.window.resize(1024, 700)
    library = again.window.library
    qtbot.waitUntil(lambda: library.rowCount() == 1, timeout=10_000)
    again.window.library_view.setCurrentIndex(library.index(0))
    reopened = again.window.story_view
    qtbot.waitUntil(lambda: reopened.story is not None and len(reopened.cards) == 3, timeout=10_000)
    card = reopened.cards[1]
    assert card.text and card.placeholder_text == NOT_PAINTED
    assert card.placeholder_text != WAITING_FOR_TEXT
    assert card.repaint_button.isVisible() and card.repaint_button.text() == "Paint image"

    qtbot.mouseClick(reopened.header.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: reopened.story is not None and reopened.story.status is StoryStatus.complete, timeout=30_000
    )
    qtbot.waitUntil(lambda: all_thumbnails_shown(again.window, 3), timeout=15_000)
    assert card.scene is not None and card.scene.image_status is ImageStatus.painted
    assert card.repaint_button.text() == "Regenerate image"


def test_after_regenerate_text_the_image_is_marked_out_of_date_until_repainted(
    writer_app: WriterApp, qtbot: Any
) -> None:
    window = writer_app.window
    view = window.story_view
    write_story(window, qtbot, "Winter Orchard", "An old gardener teaches a girl to graft apple trees.", 2)
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)
    qtbot.waitUntil(lambda: all_thumbnails_shown(window, 2), timeout=15_000)
    card = view.cards[0]
    assert card.outdated_text == "" and not card.outdated_button.isVisible()
    assert card.scene is not None
    painted_from = (card.scene.title, card.scene.image_prompt)

    # The offline writer may give the scene the same title and picture prompt again: its image is then still current.
    scene_id = card.scene.id
    for _ in range(8):
        with qtbot.waitSignal(
            writer_app.session.stories.scene_saved, timeout=15_000, check_params_cb=lambda saved: saved.id == scene_id
        ):
            qtbot.mouseClick(card.rewrite_button, Qt.MouseButton.LeftButton)  # Regenerate text
        qtbot.waitUntil(lambda: card.busy_text == "", timeout=15_000)
        assert card.scene is not None
        if (card.scene.title, card.scene.image_prompt) != painted_from:
            break
        assert card.outdated_text == ""
    assert card.outdated_text == OUTDATED_NOTE
    assert card.outdated_button.isVisible() and card.outdated_button.isEnabled()
    assert card.thumbnail.geometry().bottom() < card.outdated_button.geometry().top() < card.height()
    assert view.cards[1].outdated_text == ""

    old_image = card.scene.image_path if card.scene else ""
    qtbot.mouseClick(card.outdated_button, Qt.MouseButton.LeftButton)  # Repaint
    qtbot.waitUntil(
        lambda: card.scene is not None and card.scene.image_path != old_image and card.placeholder_text is None,
        timeout=15_000,
    )
    assert card.outdated_text == "" and not card.outdated_button.isVisible()


def test_after_a_cancel_no_card_waits_for_a_text_or_goes_on_writing(
    open_app: Callable[..., WriterApp], qtbot: Any
) -> None:
    app = open_app(offline_delay=0.15)
    window = app.window
    window.resize(1024, 700)
    view = window.story_view
    write_story(window, qtbot, "The Salt Road", "Two sisters cross the desert to Qarra.", 6)
    qtbot.waitUntil(lambda: sum(card.scene is not None for card in view.cards.values()) >= 2, timeout=30_000)
    qtbot.waitUntil(lambda: any(card.scene is None for card in view.cards.values()), timeout=10_000)  # mid-scene
    qtbot.mouseClick(view.header.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.cancelled, timeout=10_000)
    qtbot.waitUntil(lambda: all(card.busy_text == "" for card in view.cards.values()))
    for card in view.cards.values():
        assert card.scene is not None, "a card of a scene that was never stored"
        assert card.text and card.title != "Writing…" and not card.is_live
        assert card.placeholder_text != WAITING_FOR_TEXT
        if card.scene.image_status is ImageStatus.pending:
            assert card.placeholder_text == NOT_PAINTED and card.repaint_button.text() == "Paint image"
