"""The new-story form: title, prompt, scenes, style and characters, checked as the writer types."""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.models import EXTRA_MAX, PROMPT_MAX, SCENES_MAX, TITLE_MAX, StoryRequest
from desktop.ui.common import theme
from desktop.ui.common.widgets import button, field_label, small_label

DEFAULT_SCENES = 6


def title_problem(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        return "Give the story a title."
    if len(stripped) > TITLE_MAX:
        return f"The title is {len(stripped) - TITLE_MAX:,} characters too long ({TITLE_MAX} at most)."
    return ""


def prompt_problem(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        return "Say what the story is about — a sentence or two is enough."
    if len(stripped) > PROMPT_MAX:
        return f"The prompt is {len(stripped) - PROMPT_MAX:,} characters too long ({PROMPT_MAX:,} at most)."
    return ""


def extra_problem(what: str, text: str) -> str:
    length = len(text.strip())
    if length > EXTRA_MAX:
        return f"{what} is {length - EXTRA_MAX:,} characters too long ({EXTRA_MAX:,} at most)."
    return ""


def scenes_problem(text: str) -> str:
    try:
        count = int(text)
    except ValueError:
        return f"Choose between 1 and {SCENES_MAX} scenes."
    return "" if 1 <= count <= SCENES_MAX else f"Choose between 1 and {SCENES_MAX} scenes."


class PlainEdit(QPlainTextEdit):
    """A multi-line field where Tab moves on, as in every other field of the form."""

    def __init__(self, lines: int, most_lines: int) -> None:
        super().__init__()
        self.setTabChangesFocus(True)
        self.setMinimumHeight(self.fontMetrics().lineSpacing() * lines + 16)
        self.setMaximumHeight(self.fontMetrics().lineSpacing() * most_lines + 16)


class Composer(QWidget):
    generate_requested = Signal(object)  # StoryRequest
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._touched: set[str] = set()

        heading = QLabel("A new story")
        heading.setFont(theme.serif_font(theme.scaled_font(1.7).pointSizeF()))
        heading_font = heading.font()
        heading_font.setWeight(heading_font.Weight.Bold)
        heading.setFont(heading_font)
        intro = small_label(
            "Give it a title and say what it is about. Storyforge writes it scene by scene and paints every scene.",
            "muted",
        )

        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("The Lighthouse at the End of the Map")
        self.prompt_edit = PlainEdit(6, 14)
        self.prompt_edit.setPlaceholderText(
            "A lighthouse keeper on a northern island finds a map that shows a harbour no ship has ever reached…"
        )
        self.scenes_spin = QSpinBox()
        self.scenes_spin.setRange(1, SCENES_MAX)
        self.scenes_spin.setValue(DEFAULT_SCENES)
        self.scenes_spin.setSuffix(" scenes")
        self.scenes_spin.setMaximumWidth(140)
        self.style_edit = QLineEdit()
        self.style_edit.setPlaceholderText("Optional — e.g. watercolour, soft morning light")
        self.characters_edit = PlainEdit(2, 4)
        self.characters_edit.setPlaceholderText("Optional — e.g. Maren, the keeper; Ole, her brother, a fisherman")

        self.title_error = small_label("", "fieldError")
        self.prompt_error = small_label("", "fieldError")
        self.scenes_error = small_label("", "fieldError")
        self.style_error = small_label("", "fieldError")
        self.characters_error = small_label("", "fieldError")
        self.title_counter = small_label("", "counter")
        self.prompt_counter = small_label("", "counter")
        for count_label in (self.title_counter, self.prompt_counter):
            count_label.setAlignment(Qt.AlignmentFlag.AlignRight)
            count_label.setWordWrap(False)

        self.generate_button = button(
            "Generate", "generate", primary=True, tooltip="Write and paint the story (Ctrl+Enter)"
        )
        self.cancel_button = button("Cancel", tooltip="Close the form (Esc)")
        self.generate_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.cancelled)
        self.running_label = small_label("", "muted")

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(4)
        rows: list[tuple[str, QWidget, QLabel, QLabel | None]] = [
            ("&Title", self.title_edit, self.title_error, self.title_counter),
            ("&Prompt", self.prompt_edit, self.prompt_error, self.prompt_counter),
            ("&Scenes", self.scenes_spin, self.scenes_error, None),
            ("St&yle", self.style_edit, self.style_error, None),
            ("C&haracters", self.characters_edit, self.characters_error, None),
        ]
        row = 0
        for label_text, field, error, counter in rows:
            label = field_label(label_text, field)
            label.setContentsMargins(0, 4, 0, 0)  # level with the text inside the field
            grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
            grid.addWidget(field, row, 1)
            below = QHBoxLayout()
            below.addWidget(error, 1)
            if counter is not None:
                below.addWidget(counter)
            grid.addLayout(below, row + 1, 1)
            grid.setRowMinimumHeight(row + 1, 18)
            row += 2
        grid.setColumnStretch(1, 1)

        buttons = QHBoxLayout()
        buttons.addWidget(self.running_label, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.generate_button)

        card = QFrame()
        card.setObjectName("composerCard")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(28, 24, 28, 20)
        card_layout.setSpacing(10)
        card_layout.addWidget(heading)
        card_layout.addWidget(intro)
        card_layout.addSpacing(8)
        card_layout.addLayout(grid)
        card_layout.addSpacing(4)
        card_layout.addLayout(buttons)
        card.setMaximumWidth(760)

        inner = QWidget()
        inner.setObjectName("composerPage")
        inner_layout = QHBoxLayout(inner)
        inner_layout.setContentsMargins(28, 28, 28, 28)
        inner_layout.addStretch(1)
        inner_layout.addWidget(card, 8)
        inner_layout.addStretch(1)
        column = QVBoxLayout()
        scroll = QScrollArea()
        scroll.setObjectName("composerScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(scroll)
        self.setLayout(column)
        inner_layout.setAlignment(card, Qt.AlignmentFlag.AlignTop)

        self.title_edit.textChanged.connect(lambda: self._touch("title"))
        self.prompt_edit.textChanged.connect(lambda: self._touch("prompt"))
        self.style_edit.textChanged.connect(lambda: self._touch("style"))
        self.characters_edit.textChanged.connect(lambda: self._touch("characters"))
        self.scenes_spin.textChanged.connect(lambda: self._touch("scenes"))
        self.validate()

    # --- validation ---

    def _touch(self, field: str) -> None:
        self._touched.add(field)
        self.validate()

    def problems(self) -> dict[str, str]:
        return {
            "title": title_problem(self.title_edit.text()),
            "prompt": prompt_problem(self.prompt_edit.toPlainText()),
            "scenes": scenes_problem(self.scenes_spin.cleanText()),
            "style": extra_problem("The style", self.style_edit.text()),
            "characters": extra_problem("The characters", self.characters_edit.toPlainText()),
        }

    def validate(self, *, show_all: bool = False) -> bool:
        problems = self.problems()
        labels = {
            "title": self.title_error,
            "prompt": self.prompt_error,
            "scenes": self.scenes_error,
            "style": self.style_error,
            "characters": self.characters_error,
        }
        for field, label in labels.items():
            # An untouched empty field is not an error yet; too long always is.
            shown = problems[field] if (show_all or field in self._touched) else ""
            label.setText(shown)
        self.title_counter.setText(self._count(self.title_edit.text(), TITLE_MAX))
        self.prompt_counter.setText(self._count(self.prompt_edit.toPlainText(), PROMPT_MAX))
        valid = not any(problems.values())
        self.generate_button.setEnabled(valid)
        return valid

    @staticmethod
    def _count(text: str, limit: int) -> str:
        length = len(text.strip())
        return f"{length:,} / {limit:,}" if length > limit * 0.8 else ""

    def request(self) -> StoryRequest | None:
        if not self.validate(show_all=True):
            return None
        try:
            return StoryRequest(
                title=self.title_edit.text(),
                prompt=self.prompt_edit.toPlainText(),
                scene_count=self.scenes_spin.value(),
                style=self.style_edit.text(),
                characters=self.characters_edit.toPlainText(),
            )
        except ValidationError as exc:  # the checks above mirror the model; this is the last word
            field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "prompt"
            target = {"title": self.title_error, "scene_count": self.scenes_error}.get(field, self.prompt_error)
            target.setText(exc.errors()[0]["msg"] if exc.errors() else str(exc))
            return None

    def submit(self) -> None:
        request = self.request()
        if request is not None:
            self.generate_requested.emit(request)

    # --- life of the form ---

    def reset(self) -> None:
        for edit in (self.title_edit, self.style_edit):
            edit.clear()
        for plain in (self.prompt_edit, self.characters_edit):
            plain.clear()
        self.scenes_spin.setValue(DEFAULT_SCENES)
        self._touched.clear()
        self.validate()

    def start(self) -> None:
        self.title_edit.setFocus()
        self.title_edit.selectAll()

    def set_running(self, titles: list[str]) -> None:
        """While stories are being written the form says so; another can still be started."""
        if not titles:
            self.running_label.setText("")
        elif len(titles) == 1:
            self.running_label.setText(f"“{titles[0]}” is being written — you can start another meanwhile.")
        else:
            self.running_label.setText(f"{len(titles)} stories are being written — you can start another meanwhile.")
