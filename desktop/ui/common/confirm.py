"""The questions asked before the writer's work is left or replaced, all asked one way.

A question is a window-modal QMessageBox opened with `open()` whose answer comes back through a callback: a nested
`exec()` loop would run inside whatever coroutine is on the stack, which qasync refuses (see FACTS.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from desktop.models import Scene


class Answer(StrEnum):
    save = "save"
    discard = "discard"
    go_ahead = "go_ahead"  # replace the text, quit
    stay = "stay"  # keep editing, keep my text, keep writing: nothing changes


Answered = Callable[[Answer], None]


@dataclass(frozen=True)
class Option:
    label: str
    role: QMessageBox.ButtonRole
    answer: Answer


def ask(
    parent: QWidget,
    text: str,
    options: Sequence[Option],
    answered: Answered,
    *,
    informative: str = "",
    default: Answer = Answer.stay,
    title: str = "Storyforge",
) -> QMessageBox:
    """Open the question and return at once; `answered` gets the writer's choice, `stay` if the box is closed."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # titles are the writer's: "<b>" in one is text, not markup
    box.setInformativeText(informative)
    buttons: list[tuple[QAbstractButton, Answer]] = []
    for option in options:
        made = box.addButton(option.label, option.role)
        buttons.append((made, option.answer))
        if option.answer is default:
            box.setDefaultButton(made)
        if option.answer is Answer.stay:
            box.setEscapeButton(made)  # Esc or closing the box changes nothing

    def finished(_: int) -> None:
        clicked = box.clickedButton()
        answered(next((answer for made, answer in buttons if made is clicked), Answer.stay))

    box.finished.connect(finished)
    box.finished.connect(box.deleteLater)
    box.open()
    return box


def scene_name(scene: Scene) -> str:
    return f"Scene {scene.number} “{scene.title}”"


def ask_unsaved_edit(parent: QWidget, scene: Scene, answered: Answered) -> QMessageBox:
    return ask(
        parent,
        f"Save your changes to {scene_name(scene)}?",
        [
            Option("Save", QMessageBox.ButtonRole.AcceptRole, Answer.save),
            Option("Discard", QMessageBox.ButtonRole.DestructiveRole, Answer.discard),
            Option("Keep editing", QMessageBox.ButtonRole.RejectRole, Answer.stay),
        ],
        answered,
        informative="If you discard them, the scene keeps the text it had before you started editing.",
        default=Answer.save,
        title="Unsaved changes",
    )


def ask_replace_edit(parent: QWidget, scene: Scene, answered: Answered) -> QMessageBox:
    return ask(
        parent,
        f"{scene_name(scene)} was edited by hand. Regenerate its text and replace your edits?",
        [
            Option("Replace", QMessageBox.ButtonRole.DestructiveRole, Answer.go_ahead),
            Option("Keep my text", QMessageBox.ButtonRole.RejectRole, Answer.stay),
        ],
        answered,
        informative=(
            "The scene is written again from the story and the scenes around it. Your version stays in the "
            "scene's History, and Ctrl+Z brings it back."
        ),
        title="Regenerate text",
    )


def ask_quit_while_writing(parent: QWidget, titles: Sequence[str], answered: Answered) -> QMessageBox:
    if len(titles) == 1:
        text, them = f"A story is being written (“{titles[0]}”). Quit anyway?", "it"
    else:
        text, them = f"{len(titles)} stories are being written. Quit anyway?", "them"
    return ask(
        parent,
        text,
        [
            Option("Quit", QMessageBox.ButtonRole.DestructiveRole, Answer.go_ahead),
            Option("Keep writing", QMessageBox.ButtonRole.RejectRole, Answer.stay),
        ],
        answered,
        informative=f"You can resume {them} later from the library: the scenes written so far are kept.",
        title="Quit Storyforge",
    )
