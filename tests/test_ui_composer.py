"""The new-story form as a writer types into it: it says what is missing or too long, and only then lets them go."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from desktop.models import PROMPT_MAX, SCENES_MAX, TITLE_MAX, StoryRequest
from desktop.ui.compose.composer import Composer


def make_form(qtbot: Any) -> Composer:
    form = Composer()
    qtbot.addWidget(form)
    form.show()
    return form


def test_a_fresh_form_waits_quietly_and_generate_is_off(qtbot: Any) -> None:
    form = make_form(qtbot)
    assert not form.generate_button.isEnabled()
    assert form.title_error.text() == ""  # nothing shouted before the writer has typed
    assert form.scenes_spin.minimum() == 1 and form.scenes_spin.maximum() == SCENES_MAX


def test_messages_appear_as_the_writer_types(qtbot: Any) -> None:
    form = make_form(qtbot)
    qtbot.keyClicks(form.title_edit, "x")
    form.title_edit.clear()
    assert form.title_error.text() == "Give the story a title."
    form.title_edit.setText("t" * (TITLE_MAX + 5))
    assert form.title_error.text() == f"The title is 5 characters too long ({TITLE_MAX} at most)."
    assert form.title_counter.text() == f"{TITLE_MAX + 5} / {TITLE_MAX}"
    form.title_edit.setText("The Salt Road")
    assert form.title_error.text() == ""
    form.prompt_edit.setPlainText("p" * (PROMPT_MAX + 1))
    assert "1 characters too long" in form.prompt_error.text()
    assert not form.generate_button.isEnabled()
    form.prompt_edit.setPlainText("Two sisters cross a desert with a sealed letter.")
    assert form.prompt_error.text() == ""
    assert form.generate_button.isEnabled()


def test_generate_hands_over_the_request_and_ctrl_enter_does_the_same(qtbot: Any) -> None:
    form = make_form(qtbot)
    qtbot.keyClicks(form.title_edit, "  The Salt Road ")
    qtbot.keyClicks(form.prompt_edit, "Two sisters cross a desert.")
    form.scenes_spin.setValue(4)
    qtbot.keyClicks(form.style_edit, "ink and wash")
    with qtbot.waitSignal(form.generate_requested) as blocker:
        qtbot.mouseClick(form.generate_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [
        StoryRequest(title="The Salt Road", prompt="Two sisters cross a desert.", scene_count=4, style="ink and wash")
    ]


def test_every_field_is_named_by_its_label_and_reachable_with_tab(qtbot: Any) -> None:
    form = make_form(qtbot)
    names = [
        form.title_edit.accessibleName(),
        form.prompt_edit.accessibleName(),
        form.scenes_spin.accessibleName(),
        form.style_edit.accessibleName(),
        form.characters_edit.accessibleName(),
    ]
    assert names == ["Title", "Prompt", "Scenes", "Style", "Characters"]
    assert form.prompt_edit.tabChangesFocus()  # Tab leaves the prompt instead of typing a tab
    assert form.generate_button.accessibleName() == "Generate"
