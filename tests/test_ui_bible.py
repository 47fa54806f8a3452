"""The story bible at the window: Ctrl+B shows the open story's drafted characters, a new one is saved, a new look
offers to repaint the scenes that show it (and their prompts then carry it), a name left empty is refused in one
line with nothing typed lost, another story waits for the unsaved bible, and a card tells what its picture asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.ui.common.widgets import plain
from desktop.ui.story.asked_dialog import NOTHING_ASKED, AskedDialog
from desktop.ui.story.bible_panel import BiblePanel
from desktop.ui.story.story_view import StoryView
from tests.support.ui_fixtures import WriterApp, card_menu, written_story

Run = Callable[..., Any]
PROMPT = "Maren, the last keeper of the Skerry light, finds a map in the oil store with her brother Ole."
LOOK = "a red wool coat, silver braid, salt-grey eyes"


def written(app: WriterApp, qtbot: Any, title: str, scenes: int = 2) -> StoryView:
    return written_story(app, qtbot, title, PROMPT, scenes)


def open_bible(app: WriterApp, qtbot: Any) -> BiblePanel:
    window = app.window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    panel = window.bible_panel
    qtbot.waitUntil(panel.isVisible)
    assert window.dockWidgetArea(panel) is Qt.DockWidgetArea.RightDockWidgetArea
    assert window.actions_.show_bible.isChecked()
    return panel


def listed(panel: BiblePanel) -> list[str]:
    return [panel.characters.list.item(row).text() for row in range(panel.characters.list.count())]


def open_questions(window: QWidget) -> list[QMessageBox]:
    return [box for box in window.findChildren(QMessageBox) if shiboken6.isValid(box) and box.isVisible()]


def answer(qtbot: Any, window: QWidget, label: str) -> str:
    qtbot.waitUntil(lambda: len(open_questions(window)) == 1, timeout=10_000)
    box = open_questions(window)[0]
    said = box.text()
    button = next(button for button in box.buttons() if plain(button.text()) == label)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not open_questions(window), timeout=5_000)
    return said


def test_ctrl_b_shows_the_drafted_characters_and_saves_a_new_one(writer_app: WriterApp, qtbot: Any, run: Run) -> None:
    view = written(writer_app, qtbot, "The Skerry Light")
    assert view.story is not None
    drafted = view.story.bible
    assert drafted.characters
    panel = open_bible(writer_app, qtbot)
    assert listed(panel) == [character.name for character in drafted.characters]
    assert panel.style_edit.placeholderText().startswith("medium, palette, mood")
    assert not panel.unsaved_label.isVisible()

    qtbot.mouseClick(panel.characters.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(panel.characters.fields["name"], "Ansgar")
    qtbot.keyClicks(panel.characters.fields["role"], "the harbour master")
    qtbot.keyClicks(panel.characters.fields["look"], "a tall man in an oilskin")
    assert listed(panel)[-1] == "Ansgar"
    assert panel.unsaved_label.isVisible()
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.dirty, timeout=10_000)
    assert not panel.unsaved_label.isVisible()

    stored = run(writer_app.session.stories.story(view.story.id)).bible
    ansgar = stored.characters[-1]
    assert (ansgar.name, ansgar.role, ansgar.look) == ("Ansgar", "the harbour master", "a tall man in an oilskin")
    assert [c.name for c in stored.characters[:-1]] == [c.name for c in drafted.characters]  # the others kept


def test_a_new_look_offers_to_repaint_the_scenes_showing_them(writer_app: WriterApp, qtbot: Any, run: Run) -> None:
    view = written(writer_app, qtbot, "The Oil Store")
    story = view.story
    assert story is not None
    scenes = [card.scene for _, card in sorted(view.cards.items()) if card.scene is not None]
    row, named = next(
        (row, character)
        for row, character in enumerate(story.bible.characters)
        if any(character.named_in(f"{scene.title} {scene.image_prompt} {scene.text}") for scene in scenes)
    )
    showing = run(writer_app.session.stories.scenes_showing(story.id, [named.name]))
    assert showing
    before = {scene.id: scene.asked_image for scene in showing}
    assert all(LOOK not in asked for asked in before.values())
    panel = open_bible(writer_app, qtbot)
    panel.characters.select(row)
    look = panel.characters.fields["look"]
    look.setFocus()
    qtbot.keyClicks(look, LOOK)
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)

    count = len(showing)
    said = answer(qtbot, writer_app.window, "Repaint")
    assert said == f"Repaint {count} {'scene' if count == 1 else 'scenes'} showing {named.name}?"

    def repainted() -> bool:
        cards = [view.card_of(scene_id) for scene_id in before]
        return all(card is not None and card.scene is not None and LOOK in card.scene.asked_image for card in cards)

    qtbot.waitUntil(repainted, timeout=20_000)
    qtbot.waitUntil(lambda: panel.note_label.text().startswith("Repainted"), timeout=10_000)
    for scene_id in before:
        scene = run(writer_app.session.scene_rows.get(scene_id))
        assert scene is not None and LOOK in scene.asked_image


def test_what_was_asked_shows_the_cards_image_prompt(writer_app: WriterApp, qtbot: Any) -> None:
    view = written(writer_app, qtbot, "The Asked Picture")
    card = view.cards[0]
    assert card.scene is not None and card.scene.asked_image
    menu, offered = card_menu(card, qtbot)
    offered["What was asked…"].trigger()
    menu.close()
    dialog = writer_app.window.findChild(AskedDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.isModal()
    assert dialog.text_view.toPlainText() == card.scene.asked_image
    assert dialog.text_view.isReadOnly()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == card.scene.asked_image
    dialog.close()

    unpainted = AskedDialog(card.scene.model_copy(update={"asked_image": ""}))
    assert unpainted.text_view.toPlainText() == NOTHING_ASKED and not unpainted.copy_button.isEnabled()
    unpainted.deleteLater()


def test_an_empty_name_is_refused_in_one_line_and_keeps_what_was_typed(
    writer_app: WriterApp, qtbot: Any, run: Run
) -> None:
    view = written(writer_app, qtbot, "The Nameless")
    assert view.story is not None
    before = view.story.bible
    panel = open_bible(writer_app, qtbot)
    qtbot.keyClicks(panel.style_edit, "ink and wash")
    qtbot.mouseClick(panel.characters.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(panel.characters.fields["look"], "a grey shawl")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)

    number = len(before.characters) + 1
    assert panel.problem_label.isVisible()
    assert panel.problem_label.text() == f"Character {number} needs a name: type one, or remove it."
    assert panel.style_edit.text() == "ink and wash"
    assert panel.characters.fields["look"].toPlainText() == "a grey shawl"
    assert panel.dirty and panel.unsaved_label.isVisible()
    assert run(writer_app.session.stories.story(view.story.id)).bible == before  # nothing stored

    qtbot.keyClicks(panel.characters.fields["name"], "N" * 121)  # too long: pydantic's refusal, in one line
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert panel.problem_label.text().startswith(f"Character {number}'s name should have at most 120 characters")
    assert "\n" not in panel.problem_label.text()
    assert panel.characters.fields["look"].toPlainText() == "a grey shawl"


def test_another_story_waits_for_the_unsaved_bible(writer_app: WriterApp, qtbot: Any, run: Run) -> None:
    view = written(writer_app, qtbot, "First Light")
    first = view.story
    assert first is not None
    view = written(writer_app, qtbot, "Second Light")
    second = view.story
    assert second is not None
    panel = open_bible(writer_app, qtbot)
    assert panel.story is not None and panel.story.id == second.id
    qtbot.keyClicks(panel.style_edit, "charcoal")

    writer_app.window.open_story(first.id)
    answer(qtbot, writer_app.window, "Keep editing")
    qtbot.waitUntil(lambda: view.story is not None and view.story.id == first.id, timeout=10_000)
    assert panel.story.id == second.id and panel.style_edit.text() == "charcoal"  # the typing stays
    assert "not the story open" in panel.title_label.text()

    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)  # saved: on to the story open
    qtbot.waitUntil(lambda: panel.story is not None and panel.story.id == first.id, timeout=10_000)
    assert run(writer_app.session.stories.story(second.id)).bible.style == "charcoal"
    assert panel.style_edit.text() == first.bible.style and not panel.dirty


def test_another_windows_edit_shows_unless_the_writer_is_typing(writer_app: WriterApp, qtbot: Any, run: Run) -> None:
    view = written(writer_app, qtbot, "Two Windows")
    story = view.story
    assert story is not None
    panel = open_bible(writer_app, qtbot)
    stories = writer_app.session.stories
    run(stories.edit_bible(story.id, story.bible.model_copy(update={"style": "linocut, two colours"})))
    qtbot.waitUntil(lambda: panel.style_edit.text() == "linocut, two colours", timeout=5_000)
    assert not panel.dirty

    qtbot.keyClicks(panel.notes_edit, "Winter all the way through.")
    elsewhere = run(stories.story(story.id)).bible.model_copy(update={"style": "oil on board"})
    run(stories.edit_bible(story.id, elsewhere))
    qtbot.waitUntil(lambda: "changed elsewhere" in panel.note_label.text(), timeout=5_000)
    assert panel.style_edit.text() == "linocut, two colours"  # the writer's page is not replaced under them
    assert "Winter all the way through." in panel.notes_edit.toPlainText() and panel.dirty
