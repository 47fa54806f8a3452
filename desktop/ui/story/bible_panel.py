"""The Story bible dock (View → Story bible, Ctrl+B): the open story's style, notes, characters and places, edited
and saved as a new version of its bible (issue 18).

What the writer typed is never lost to the window moving on: another story opening asks first (Save, Discard, or
keep editing this one), a change from another window replaces the fields only while nothing is typed here, and a
refused save keeps every field as it was. A saved new look offers to repaint the scenes that show it.

A character's portrait is painted from their saved look; one arriving while the writer types changes that portrait
only. A line under the characters says what the painter in Settings keeps alike (asked when a story opens and after
Settings are saved).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.bible import Bible, BibleError
from desktop.ui.common import confirm
from desktop.ui.common.widgets import button, small_label
from desktop.ui.story.bible_entries import CHARACTER_FIELDS, PLACE_FIELDS, EntryList
from desktop.ui.story.portrait_box import AbilitiesLine, PortraitBox

if TYPE_CHECKING:
    from desktop.models import Story
    from desktop.services.runtime import Runtime
    from desktop.services.session import Session
    from desktop.ui.common.thumbnails import ThumbnailLoader

STYLE_HINT = "medium, palette, mood — e.g. watercolour, soft northern light"
KINDS = {"characters": "Character", "places": "Place"}
PORTRAIT_KEYS = ("portrait", "portrait_seed")  # painted, never typed: taken from the stored bible even mid-typing
SAVE_FIRST = "Save first: a portrait is painted from the character's saved name and look."


class BiblePanel(QDockWidget):
    def __init__(self, runtime: Runtime, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__("Story bible", parent)
        self.setObjectName("biblePanel")  # the window's saved layout knows the dock by it
        self._runtime = runtime
        self._session: Session | None = None
        self.story: Story | None = None  # whose bible is shown, as last stored
        self.waiting: Story | None = None  # the story opened meanwhile: shown once the changes here are settled
        self.dirty = False
        self._filling = False  # fields set from a stored bible, not typed
        self.question: QMessageBox | None = None
        self.painting: set[tuple[uuid.UUID, str]] = set()  # (story, character) whose portrait is being painted

        self.title_label = QLabel("Open a story to see its bible.")
        self.title_label.setWordWrap(True)
        self.unsaved_label = small_label("● Unsaved changes", "fieldError")
        self.unsaved_label.hide()
        self.style_edit = QLineEdit()
        self.style_edit.setPlaceholderText(STYLE_HINT)
        self.style_edit.setAccessibleName("Style")
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setAccessibleName("Notes")
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(self.notes_edit.fontMetrics().lineSpacing() * 4 + 14)
        self.portrait = PortraitBox(thumbnails, runtime.tasks.start)
        self.characters = EntryList("character", CHARACTER_FIELDS, ("Portrait", self.portrait))
        self.abilities_label = AbilitiesLine(runtime.tasks.start)
        cast = QWidget()
        cast_layout = QVBoxLayout(cast)
        cast_layout.setContentsMargins(0, 0, 0, 0)
        cast_layout.addWidget(self.characters)
        cast_layout.addWidget(self.abilities_label)
        self.places = EntryList("place", PLACE_FIELDS)
        self.tabs = QTabWidget()
        self.tabs.addTab(cast, "Characters")
        self.tabs.addTab(self.places, "Places")
        self.problem_label = small_label("", "fieldError")
        self.problem_label.hide()
        self.note_label = small_label()
        self.note_label.hide()
        self.save_button = button("Save", "save", primary=True)
        self.discard_button = button("Discard changes", "undo")

        form = QFormLayout()
        form.addRow("Style", self.style_edit)
        form.addRow("Notes", self.notes_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.discard_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.title_label)
        layout.addWidget(self.unsaved_label)
        layout.addLayout(form)
        layout.addWidget(self.tabs)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.note_label)
        layout.addLayout(buttons)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setWidget(scroll)
        self.setMinimumWidth(300)

        self.style_edit.textEdited.connect(self._edited)
        self.notes_edit.textChanged.connect(self._edited)
        self.characters.edited.connect(self._edited)
        self.places.edited.connect(self._edited)
        self.characters.shown.connect(self._show_portrait)
        self.portrait.paint_clicked.connect(self.paint_portrait)
        self.save_button.clicked.connect(self.save)
        self.discard_button.clicked.connect(self.discard)
        self._show_state()
        if runtime.session is not None:
            self.set_session(runtime.session)
        else:
            runtime.database_ready.connect(self._database_ready)

    def _database_ready(self, _label: str) -> None:
        if self._runtime.session is not None:
            self.set_session(self._runtime.session)

    def set_session(self, session: Session) -> None:
        """The services, once the database is up: the panel follows the stories' changes from then on."""
        self._session = session
        session.stories.story_changed.connect(self.on_story_changed)
        self.ask_abilities()

    # --- which story ---

    def show_story(self, story: Story) -> None:
        """The story page opened `story`: its bible, once the changes typed here for another are settled."""
        if self.story is not None and story.id == self.story.id:
            self.waiting = None  # back to the story shown: nothing to move on to
            self.on_story_changed(story)
            self._show_state()
            return
        if self.dirty and self.story is not None:
            self.waiting = story
            self._show_state()
            if self.question is None:
                self._ask_before_leaving(self.story)
            return
        self._load(story)

    def on_story_changed(self, story: Story) -> None:
        """A story was stored (here, in another window, or its writing moved on)."""
        if self.waiting is not None and story.id == self.waiting.id:
            self.waiting = story
        if self.story is None or story.id != self.story.id:
            return
        before, self.story = self.story.bible, story
        if self.dirty:
            # A portrait painted meanwhile joins its entry as typed; nothing the writer typed is replaced.
            self.characters.keep_stored(PORTRAIT_KEYS, [entry.model_dump() for entry in story.bible.characters])
        if self.dirty and self._typed_or_none() == story.bible:
            self._mark_clean()  # our own save (or the same edit elsewhere)
        elif not self.dirty:
            if self._typed_or_none() != story.bible:
                self._fill(story.bible)
        elif not only_portraits_changed(before, story.bible):
            self._show_note("This bible was changed elsewhere too: Save keeps your version, Discard shows theirs.")
        self._show_portrait()
        self._show_state()

    def _ask_before_leaving(self, shown: Story) -> None:
        self.question = confirm.ask(
            self,
            f"Save your changes to the bible of “{shown.title}”?",
            [
                confirm.Option("Save", QMessageBox.ButtonRole.AcceptRole, confirm.Answer.save),
                confirm.Option("Discard", QMessageBox.ButtonRole.DestructiveRole, confirm.Answer.discard),
                confirm.Option("Keep editing", QMessageBox.ButtonRole.RejectRole, confirm.Answer.stay),
            ],
            self._leaving_answered,
            informative="If you keep editing, the panel stays on that story's bible until you save or discard.",
            default=confirm.Answer.save,
            title="Unsaved bible",
        )

    def _leaving_answered(self, answer: confirm.Answer) -> None:
        self.question = None
        if answer is confirm.Answer.save:
            self.save()
        elif answer is confirm.Answer.discard:
            self.discard()

    def _load(self, story: Story) -> None:
        self.story, self.waiting = story, None
        self._fill(story.bible)
        self._mark_clean()
        self._show_note("")
        self._show_portrait()
        self._show_state()

    # --- the fields ---

    def _fill(self, bible: Bible) -> None:
        self._filling = True
        try:
            if self.style_edit.text() != bible.style:
                self.style_edit.setText(bible.style)
            if self.notes_edit.toPlainText() != bible.notes:
                self.notes_edit.setPlainText(bible.notes)
            self.characters.set_entries([entry.model_dump() for entry in bible.characters])
            self.places.set_entries([entry.model_dump() for entry in bible.places])
        finally:
            self._filling = False

    def _edited(self) -> None:
        if self._filling or self.story is None:
            return
        self.dirty = True
        self._show_state()

    def typed_bible(self) -> Bible:
        """The bible as typed; BibleError with one line naming the first problem."""
        data: dict[str, Any] = self.story.bible.model_dump() if self.story is not None else {}
        data.update(
            style=self.style_edit.text(),
            notes=self.notes_edit.toPlainText(),
            characters=self.characters.entries(),
            places=self.places.entries(),
        )
        for key, kind in KINDS.items():
            for number, entry in enumerate(data[key], 1):
                if not str(entry.get("name") or "").strip():
                    raise BibleError(f"{kind} {number} needs a name: type one, or remove it.")
        try:
            return Bible.model_validate(data)
        except ValidationError as refused:
            raise BibleError(problem_line(refused)) from None

    def _typed_or_none(self) -> Bible | None:
        try:
            return self.typed_bible()
        except BibleError:
            return None

    # --- saving ---

    def save(self) -> None:
        story, session = self.story, self._session
        if story is None or session is None:
            return
        try:
            bible = self.typed_bible()
        except BibleError as problem:
            self._show_problem(str(problem))
            return
        self._show_problem("")
        self.save_button.setEnabled(False)
        self._runtime.tasks.start(self._save(session, story, bible), "Saving the story bible")

    async def _save(self, session: Session, story: Story, bible: Bible) -> None:
        try:
            saved = await session.stories.edit_bible(story.id, bible)
        finally:
            self.save_button.setEnabled(True)
        if self.story is not None and self.story.id == saved.id:
            self.story = saved
            if self._typed_or_none() == saved.bible:
                self._mark_clean()
            self._show_note("Saved: the scenes written or painted from now on follow it.")
        changed = looks_changed(story.bible, saved.bible)
        if changed:
            scenes = await session.stories.scenes_showing(saved.id, changed)
            if scenes:
                self._offer_repaint(session, [scene.id for scene in scenes], changed)
        self._move_on()

    def discard(self) -> None:
        """Back to what is stored; or, with another story opened meanwhile, on to that one."""
        if self.waiting is not None:
            self._load(self.waiting)
        elif self.story is not None:
            self._load(self.story)

    def _move_on(self) -> None:
        if self.waiting is not None and not self.dirty:
            self._load(self.waiting)

    # --- repainting the scenes a new look shows ---

    def _offer_repaint(self, session: Session, scene_ids: list[uuid.UUID], names: list[str]) -> None:
        count = len(scene_ids)

        def answered(answer: confirm.Answer) -> None:
            self.question = None
            if answer is confirm.Answer.go_ahead:
                self._runtime.tasks.start(self._repaint(session, scene_ids), "Painting the scenes again")

        self.question = confirm.ask(
            self,
            f"Repaint {count} {'scene' if count == 1 else 'scenes'} showing {joined(names)}?",
            [
                confirm.Option("Repaint", QMessageBox.ButtonRole.AcceptRole, confirm.Answer.go_ahead),
                confirm.Option("Not now", QMessageBox.ButtonRole.RejectRole, confirm.Answer.stay),
            ],
            answered,
            informative="Their pictures were painted with the old look; each is painted again with its own seed, so "
            "only the look should change. The pictures they have now stay in each scene's History.",
            default=confirm.Answer.go_ahead,
            title="Repaint scenes",
        )

    async def _repaint(self, session: Session, scene_ids: list[uuid.UUID]) -> None:
        # One after another: the image server is asked for one picture at a time, and the writer sees the count move.
        count = len(scene_ids)
        try:
            for number, scene_id in enumerate(scene_ids, 1):
                self._show_note(f"Repainting {number} of {count}…")
                # The seed each picture had: the same composition, so what changes is the look.
                await session.stories.regenerate_image(scene_id, same_seed=True)
        except BaseException:
            self._show_note("")
            raise
        self._show_note(f"Repainted {count} {'scene' if count == 1 else 'scenes'}.")

    # --- portraits ---

    def _show_portrait(self) -> None:
        entry, story = self.characters.current(), self.story
        if entry is None or story is None:
            self.portrait.show_state("", painting=False)
            self.portrait.setEnabled(False)
            return
        name = str(entry.get("name") or "").strip()
        self.portrait.setEnabled(True)
        self.portrait.show_state(
            str(entry.get("portrait") or ""),
            painting=(story.id, name) in self.painting,
            hint="" if self._saved_character(entry) else "Save to paint from this look.",
        )

    def _saved_character(self, entry: dict[str, Any]) -> bool:
        """Whether the entry's name and look are stored as typed: the portrait is painted from what is stored."""
        if self.story is None:
            return False
        name, look = (str(entry.get(key) or "").strip() for key in ("name", "look"))
        return any(c.name == name and c.look == look for c in self.story.bible.characters)

    def paint_portrait(self) -> None:
        """Paint the shown character's portrait; a character not saved as typed asks to be saved first."""
        entry, story, session = self.characters.current(), self.story, self._session
        if entry is None or story is None or session is None:
            return
        if not self._saved_character(entry):
            self._show_problem(SAVE_FIRST)
            return
        self._show_problem("")
        key = (story.id, str(entry.get("name") or "").strip())
        self.painting.add(key)
        self._show_portrait()
        self._runtime.tasks.start(self._paint(session, key), "Painting a portrait")

    async def _paint(self, session: Session, key: tuple[uuid.UUID, str]) -> None:
        try:
            await session.stories.paint_portrait(*key)  # the new bible arrives through story_changed
        finally:
            self.painting.discard(key)
            self._show_portrait()

    def ask_abilities(self) -> None:
        """Ask the painter in Settings what it keeps alike: when a story opens, and after Settings are saved."""
        if self._session is not None:
            self.abilities_label.ask(self._session.stories.image_abilities)

    # --- what the panel says ---

    def _mark_clean(self) -> None:
        self.dirty = False
        self._show_problem("")
        self._show_state()

    def _show_state(self) -> None:
        story = self.story
        if story is None:
            self.title_label.setText("Open a story to see its bible.")
        elif self.waiting is not None:
            self.title_label.setText(f"The bible of “{story.title}” (not the story open: save or discard to move on)")
        else:
            self.title_label.setText(f"The bible of “{story.title}”")
        self.unsaved_label.setVisible(self.dirty)
        for widget in (self.style_edit, self.notes_edit, self.tabs, self.save_button, self.discard_button):
            widget.setEnabled(story is not None)
        self.discard_button.setEnabled(self.dirty or self.waiting is not None)

    def _show_problem(self, line: str) -> None:
        self.problem_label.setText(line)
        self.problem_label.setVisible(bool(line))

    def _show_note(self, line: str) -> None:
        self.note_label.setText(line)
        self.note_label.setVisible(bool(line))


def looks_changed(before: Bible, after: Bible) -> list[str]:
    """The names of the characters and places whose look the new bible changed (or gave them)."""
    old = {entry.name: entry.look for entry in [*before.characters, *before.places]}
    return [entry.name for entry in [*after.characters, *after.places] if old.get(entry.name, "") != entry.look]


def only_portraits_changed(before: Bible, after: Bible) -> bool:
    """Whether `after` is `before` with new portraits (painted here or in another window), and nothing else."""
    painted = {entry.name: entry for entry in after.characters}
    characters = [
        entry.model_copy(update={"portrait": new.portrait, "portrait_seed": new.portrait_seed})
        if (new := painted.get(entry.name)) is not None
        else entry
        for entry in before.characters
    ]
    return before.model_copy(update={"characters": characters}) == after


def joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def problem_line(refused: ValidationError) -> str:
    """Pydantic's first complaint as the writer reads it: "Character 2's look should have at most 2000 characters"."""
    first = refused.errors()[0]
    where = [str(part) for part in first["loc"]]
    if len(where) >= 3 and where[0] in KINDS and where[1].isdigit():
        subject = f"{KINDS[where[0]]} {int(where[1]) + 1}'s {where[2]}"
    elif where:
        subject = f"The {where[0]}"
    else:
        subject = "The bible"
    message = str(first["msg"])
    for prefix in ("String ", "List ", "Value "):
        message = message.removeprefix(prefix)
    return f"{subject} {message[:1].lower()}{message[1:]}: shorten it, then Save."
