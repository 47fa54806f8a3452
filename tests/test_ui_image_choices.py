"""The writer's choices over a scene's picture in the window (issue 18): More images opens the candidates beside the
picture shown, "Use this picture" shows the one picked (the others stay in the History), Repaint keeps the seed or
takes a new one, and "What was asked…" says how the picture was made.

Real widgets offscreen, real Postgres, the offline painter (whose pictures follow the seed).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from desktop.models import VersionMaker
from desktop.ui.story.asked_dialog import AskedDialog
from desktop.ui.story.candidates_dialog import CandidatesDialog
from desktop.ui.story.scene_card import SceneCard
from tests.support.ui_fixtures import WriterApp, card_menu, written_story

from .conftest import Run


def menu_of(card: SceneCard, qtbot: Any) -> dict[str, Any]:
    menu, offered = card_menu(card, qtbot)
    menu.close()
    return offered


def test_more_images_offers_candidates_and_the_one_picked_is_shown_with_the_others_kept(
    open_app: Any, qtbot: Any, run: Run
) -> None:
    app: WriterApp = open_app(image_candidates=2)
    view = written_story(app, qtbot, "The Lamp at Skerry", "Maren keeps the lighthouse on Skerry.", 2)
    card = view.cards[1]
    assert card.scene is not None
    shown_before = card.scene.image_path

    menu_of(card, qtbot)["More images…"].trigger()
    qtbot.waitUntil(
        lambda: view.commands.candidates is not None and view.commands.candidates.isVisible(), timeout=20_000
    )
    dialog = view.commands.candidates
    assert isinstance(dialog, CandidatesDialog)
    assert len(dialog.choices) == 2 and not dialog.isModal()
    qtbot.waitUntil(lambda: all(not c.picture.pixmap().isNull() for c in dialog.choices.values()), timeout=10_000)
    assert card.scene.image_path == shown_before  # nothing changes until the writer picks

    candidates = dialog.candidates
    chosen = candidates[1]
    picker = dialog.choices[chosen.id].pick_button
    qtbot.mouseClick(picker, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.scene is not None and card.scene.image_path == chosen.image_path, timeout=10_000)
    qtbot.waitUntil(lambda: view.commands.candidates is None)  # closed once picked

    versions = run(app.session.history.versions(card.scene.id)).versions
    assert versions[0].made_by is VersionMaker.picked
    assert {c.id for c in candidates} <= {v.id for v in versions}


def test_repaint_with_the_same_seed_keeps_it_and_what_was_asked_says_how_the_picture_was_made(
    writer_app: WriterApp, qtbot: Any
) -> None:
    view = written_story(writer_app, qtbot, "The Seeded Shore", "Ole rows out to the skerry at dusk.", 1)
    card = view.cards[0]
    assert card.scene is not None
    seed = card.scene.image_made.seed
    assert seed is not None and card.scene.image_made.provider == "Offline generator"
    version = card.scene.version_id

    writer_app.window.actions_.repaint_new_seed.trigger()
    qtbot.waitUntil(lambda: card.scene is not None and card.scene.version_id != version, timeout=20_000)
    qtbot.waitUntil(lambda: not card.busy_text)
    new_seed = card.scene.image_made.seed
    assert new_seed != seed

    writer_app.window.actions_.repaint_same_seed.trigger()
    qtbot.waitUntil(lambda: card.busy_text != "", timeout=5_000)
    qtbot.waitUntil(lambda: not card.busy_text, timeout=20_000)
    assert card.scene.image_made.seed == new_seed

    menu_of(card, qtbot)["What was asked…"].trigger()
    dialog = writer_app.window.findChild(AskedDialog)
    assert dialog is not None
    said = dialog.made_label.text()
    assert "Painted by Offline generator" in said and f"seed {new_seed}" in said and "768×512" in said
    dialog.close()
