"""Portraits in the Story bible dock: Paint portrait paints one (the offline painter, for real) and the entry shows
it; a portrait arriving while the writer types changes that portrait only; a character not saved as typed is asked
to be saved first; a line says what the painter keeps alike, or that it could not be asked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage

from desktop.generation.a1111 import a1111_label
from desktop.generation.base import ImageAbilities
from desktop.generation.errors import ProviderError
from desktop.generation.offline_image import OfflineImageProvider
from desktop.ui.common.widgets import plain
from desktop.ui.story.bible_entries import field_text
from desktop.ui.story.bible_panel import SAVE_FIRST, BiblePanel
from desktop.ui.story.portrait_box import ABILITIES_UNKNOWN, PORTRAIT, AbilitiesLine
from tests.support.a1111_server import FakeA1111Server
from tests.support.ui_fixtures import WriterApp, unnamed_controls, written_story
from tests.test_ui_bible import PROMPT, open_bible

Run = Callable[..., Any]
OFFLINE_NOTE = "The offline painter keeps each story's seed; it draws from the words and takes no portraits."


def paint(panel: BiblePanel, qtbot: Any, row: int) -> str:
    """Paint the portrait of the character in `row` from the panel; their name."""
    panel.characters.select(row)
    name = field_text(panel.characters.fields["name"])
    box = panel.portrait
    assert plain(box.paint_button.text()) == "Paint portrait" and not box.has_picture
    qtbot.mouseClick(box.paint_button, Qt.MouseButton.LeftButton)
    assert box.paint_button.text() == "Painting…" and not box.paint_button.isEnabled()
    assert box.paint_button.accessibleName() == "Painting…"
    return name


def portrait_shown(panel: BiblePanel, path: str) -> bool:
    box = panel.portrait
    return box.path == path and box.has_picture and box.paint_button.isEnabled()


def centre(image: QImage) -> QColor:
    return image.pixelColor(image.width() // 2, image.height() // 2)


def test_paint_portrait_shows_the_painted_file(writer_app: WriterApp, qtbot: Any, run: Run) -> None:
    view = written_story(writer_app, qtbot, "The Keeper's Face", PROMPT, 1)
    assert view.story is not None
    panel = open_bible(writer_app, qtbot)
    name = paint(panel, qtbot, 0)

    stories = writer_app.session.stories
    qtbot.waitUntil(lambda: bool(run(stories.story(view.story.id)).bible.characters[0].portrait), timeout=15_000)
    painted = run(stories.story(view.story.id)).bible.characters[0]
    assert painted.name == name and painted.portrait_seed is not None and Path(painted.portrait).is_file()
    qtbot.waitUntil(lambda: portrait_shown(panel, painted.portrait), timeout=10_000)
    assert panel.portrait.paint_button.text() == "Paint a new portrait"
    assert not panel.dirty

    shown = panel.portrait.picture.pixmap()
    assert shown.deviceIndependentSize().toSize() == PORTRAIT
    # The thumbnail is the file, scaled down: the middle of both is the same colour.
    ratio = shown.devicePixelRatio()
    file = QImage(painted.portrait).scaled(PORTRAIT * ratio, Qt.AspectRatioMode.KeepAspectRatio)
    here, there = centre(shown.toImage()), centre(file)
    assert max(abs(here.red() - there.red()), abs(here.green() - there.green()), abs(here.blue() - there.blue())) < 24
    assert not unnamed_controls(panel)

    panel.characters.select(1)  # another character: no portrait yet
    assert panel.portrait.path == "" and not panel.portrait.has_picture
    assert panel.portrait.paint_button.text() == "Paint portrait"


def test_a_portrait_arriving_while_the_writer_types_keeps_the_typing(
    writer_app: WriterApp, qtbot: Any, run: Run
) -> None:
    view = written_story(writer_app, qtbot, "Typing Through", PROMPT, 1)
    story = view.story
    assert story is not None
    panel = open_bible(writer_app, qtbot)
    panel.characters.select(0)
    description = panel.characters.fields["description"]
    description.setFocus()
    qtbot.keyClicks(description, " Hums while she works.")  # unsaved: the name and look are still as stored
    assert panel.dirty
    name = paint(panel, qtbot, 0)
    qtbot.keyClicks(panel.notes_edit, "The lamp is never let out.")

    stories = writer_app.session.stories
    qtbot.waitUntil(lambda: bool(run(stories.story(story.id)).bible.characters[0].portrait), timeout=15_000)
    portrait = run(stories.story(story.id)).bible.characters[0].portrait
    qtbot.waitUntil(lambda: portrait_shown(panel, portrait), timeout=10_000)
    assert "Hums while she works." in field_text(panel.characters.fields["description"])
    assert field_text(panel.characters.fields["name"]) == name
    assert "The lamp is never let out." in panel.notes_edit.toPlainText()
    assert panel.dirty and panel.unsaved_label.isVisible()
    assert "changed elsewhere" not in panel.note_label.text()  # a portrait is not someone else's edit

    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.dirty, timeout=10_000)
    stored = run(stories.story(story.id)).bible
    assert "Hums while she works." in stored.characters[0].description
    assert stored.characters[0].portrait == portrait  # saving the typing keeps the portrait painted meanwhile
    assert "The lamp is never let out." in stored.notes


def test_a_character_not_saved_as_typed_is_saved_first(writer_app: WriterApp, qtbot: Any, run: Run) -> None:
    view = written_story(writer_app, qtbot, "Not Yet", PROMPT, 1)
    assert view.story is not None
    panel = open_bible(writer_app, qtbot)
    qtbot.mouseClick(panel.characters.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(panel.characters.fields["name"], "Ansgar")
    qtbot.keyClicks(panel.characters.fields["look"], "a tall man in an oilskin")
    box = panel.portrait
    assert box.hint.isVisible() and box.hint.text() == "Save to paint from this look."
    qtbot.mouseClick(box.paint_button, Qt.MouseButton.LeftButton)
    assert panel.problem_label.text() == SAVE_FIRST and not panel.painting
    assert box.paint_button.text() == "Paint portrait"

    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.dirty, timeout=10_000)
    assert not box.hint.isVisible() and not panel.problem_label.isVisible()
    qtbot.mouseClick(box.paint_button, Qt.MouseButton.LeftButton)
    stories = writer_app.session.stories
    qtbot.waitUntil(lambda: bool(run(stories.story(view.story.id)).bible.characters[-1].portrait), timeout=15_000)
    ansgar = run(stories.story(view.story.id)).bible.characters[-1]
    assert ansgar.name == "Ansgar"
    qtbot.waitUntil(lambda: portrait_shown(panel, ansgar.portrait), timeout=10_000)


def test_the_panel_says_what_the_painter_keeps_alike(
    writer_app: WriterApp, qtbot: Any, a1111_server: FakeA1111Server
) -> None:
    assert OfflineImageProvider._ABILITIES.note == OFFLINE_NOTE  # the line the writer reads below
    written_story(writer_app, qtbot, "Alike", PROMPT, 1)
    panel = open_bible(writer_app, qtbot)
    qtbot.waitUntil(lambda: panel.abilities_label.text() == OFFLINE_NOTE, timeout=10_000)
    assert panel.abilities_label.isVisible()

    window = writer_app.window  # another painter in Settings: asked again once they are saved
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    dialog.image_provider.setCurrentIndex(dialog.image_provider.findData("a1111"))
    dialog.a1111_url.setText(a1111_server.url)  # a WebUI without the ControlNet extension
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    said = (
        f"{a1111_label(a1111_server.url)} keeps each story's seed; characters' portraits are kept but not sent: "
        "install the ControlNet extension with an IP-Adapter model to send them."
    )
    qtbot.waitUntil(lambda: panel.abilities_label.text() == said, timeout=10_000)


def test_the_abilities_line_names_the_reference_and_survives_a_server_down(qtbot: Any, run: Run) -> None:
    started: list[Any] = []
    line = AbilitiesLine(lambda coro, _title: started.append(coro))
    qtbot.addWidget(line)
    line.show()

    async def with_reference() -> ImageAbilities:
        return ImageAbilities(seed=True, reference="IP-Adapter (ControlNet)", note="ComfyUI keeps each story's seed.")

    async def server_down() -> ImageAbilities:
        raise ProviderError("The image server at http://127.0.0.1:1 did not answer.")

    line.ask(with_reference)
    run(started.pop())
    assert line.text() == (
        "ComfyUI keeps each story's seed. Portraits go along with each scene that names them, as a reference "
        "(IP-Adapter (ControlNet))."
    )
    line.ask(server_down)
    run(started.pop())
    assert line.text() == ABILITIES_UNKNOWN and line.isVisible()

    line.ask(with_reference)
    late = started.pop()
    line.ask(server_down)
    run(started.pop())
    run(late)  # an older answer arriving last is not shown
    assert line.text() == ABILITIES_UNKNOWN


def test_a_missing_portrait_file_shows_the_placeholder(
    writer_app: WriterApp, qtbot: Any, run: Run, tmp_path: Path
) -> None:
    view = written_story(writer_app, qtbot, "Gone", PROMPT, 1)
    story = view.story
    assert story is not None
    panel = open_bible(writer_app, qtbot)
    characters = list(story.bible.characters)
    characters[0] = characters[0].model_copy(update={"portrait": str(tmp_path / "gone.png")})
    run(writer_app.session.stories.edit_bible(story.id, story.bible.model_copy(update={"characters": characters})))
    panel.characters.select(0)
    qtbot.waitUntil(lambda: panel.portrait.path == characters[0].portrait, timeout=5_000)
    qtbot.waitUntil(lambda: "missing" in panel.portrait.picture.toolTip(), timeout=5_000)
    assert not panel.portrait.has_picture
    assert panel.portrait.paint_button.text() == "Paint a new portrait"
    assert QSize(panel.portrait.picture.pixmap().deviceIndependentSize().toSize()) == PORTRAIT
