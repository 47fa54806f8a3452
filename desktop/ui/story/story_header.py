"""The top of a story: title, status, what was asked, and the progress line with the story's actions."""

from __future__ import annotations

from PySide6.QtCore import QMargins, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.models import Story
from desktop.ui.common import theme
from desktop.ui.common.widgets import Badge, ProgressLine, StatusLine, button, small_font, small_label

PROMPT_PREVIEW_CHARS = 320


OWN_PROVIDERS = "Regenerate and Continue use the providers this story was written with, not the ones in Settings."


def provider_words(name: str) -> str:
    if not name:
        return ""
    if name.lower().startswith("offline"):
        return "the offline generator"
    return name


def progress_text(written: int, total: int, uploaded: int, failed: int, painting: int) -> str:
    parts = [f"{written} of {total} {'scene' if total == 1 else 'scenes'}"]
    parts.append(f"{uploaded} {'image' if uploaded == 1 else 'images'} uploaded")
    if painting:
        parts.append(f"{painting} painting")
    if failed:
        parts.append(f"{failed} {'upload' if failed == 1 else 'uploads'} failed")
    return " · ".join(parts)


FULL_MARGINS = QMargins(28, 24, 28, 8)
COMPACT_MARGINS = QMargins(28, 6, 28, 6)
PROGRESS_GAP = 6  # above the progress line, on top of the header's spacing


class StoryHeader(QWidget):
    """In full at the top of the story; once the writer scrolls into it, one line (`set_compact`): the title, the
    story's state, its progress and actions, so a small window keeps its height for reading."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.compact = False
        self.title = QLabel()
        self.title.setFont(theme.serif_font(theme.scaled_font(1.75).pointSizeF()))
        font = self.title.font()
        font.setWeight(font.Weight.Bold)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badge = Badge()
        self.short_title = StatusLine("Story title")  # the title on the one line of the compact header
        short_font = theme.serif_font(theme.scaled_font(1.15).pointSizeF())
        short_font.setWeight(short_font.Weight.Bold)
        self.short_title.setFont(short_font)
        self.short_title.setMaximumWidth(260)  # the progress beside it keeps room for its words
        self.short_title.hide()
        self.prompt = QLabel()
        self.prompt.setObjectName("muted")
        self.prompt.setWordWrap(True)
        self.prompt.setTextFormat(Qt.TextFormat.PlainText)
        self.prompt.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = small_label("", "muted")
        self.details.setTextFormat(Qt.TextFormat.PlainText)

        self.progress_bar = ProgressLine()
        self.progress_bar.setFixedHeight(6)
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setAccessibleName("Story progress")
        self.progress_label = StatusLine("Story progress")
        self.retry_button = button("Retry failed uploads", "retry", tooltip="Upload this story's failed images again")
        self.resume_button = button("Resume", "generate", tooltip="Write the scenes that are still missing")
        self.cancel_button = button("Cancel", "cancel", tooltip="Stop writing; finished scenes are kept (Esc)")
        # As tall as the buttons beside it, shown or not: the header keeps its height when writing stops.
        self.progress_label.setMinimumHeight(self.cancel_button.sizeHint().height())
        self.activity = StatusLine("What the story is doing", muted=True)
        self.activity.setFont(small_font())
        # Its line stays when it has nothing to say: the page below does not jump (and every card in sight is
        # not repainted) when a story starts or stops being written.
        keep_room = self.activity.sizePolicy()
        keep_room.setRetainSizeWhenHidden(True)
        self.activity.setSizePolicy(keep_room)
        self.activity.hide()
        self.error = small_label("", "storyError")
        self.error.hide()
        # A story keeps the providers it was written with; when Settings name others, the writer may move it.
        self.own_providers = small_label(OWN_PROVIDERS, "muted")
        self.own_providers.setWordWrap(True)
        self.use_settings_button = button(
            "Use the ones in Settings", tooltip="Regenerate and continue this story with the providers in Settings"
        )
        self._own_providers_row = QWidget()
        own = QHBoxLayout(self._own_providers_row)
        own.setContentsMargins(0, 0, 0, 0)
        own.addWidget(self.own_providers, 1)
        own.addWidget(self.use_settings_button)
        self._own_providers_row.hide()
        self._own_differ = False

        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(self.title, 1)
        top.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        self._top = top
        progress = self._progress_row = QHBoxLayout()
        progress.setContentsMargins(0, PROGRESS_GAP, 0, 0)
        progress.setSpacing(10)
        progress.addWidget(self.short_title)
        progress.addWidget(self.progress_bar)
        progress.addWidget(self.progress_label, 1)
        progress.addWidget(self.retry_button)
        progress.addWidget(self.resume_button)
        progress.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(FULL_MARGINS)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.prompt)
        layout.addWidget(self.details)
        layout.addLayout(progress)
        layout.addWidget(self.activity)
        layout.addWidget(self.error)
        layout.addWidget(self._own_providers_row)

    def set_compact(self, compact: bool) -> None:
        if compact == self.compact:
            return
        self.compact = compact
        self.setUpdatesEnabled(False)
        layout = self.layout()
        assert layout is not None
        layout.setContentsMargins(COMPACT_MARGINS if compact else FULL_MARGINS)
        self._progress_row.setContentsMargins(0, 0 if compact else PROGRESS_GAP, 0, 0)
        # The badge goes along to the one line, and back beside the title.
        for row in (self._top, self._progress_row):
            row.removeWidget(self.badge)
        if compact:
            self._progress_row.insertWidget(1, self.badge, 0, Qt.AlignmentFlag.AlignVCenter)
        else:
            self._top.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        self.title.setVisible(not compact)
        self.short_title.setVisible(compact)
        self.progress_bar.setVisible(not compact)
        self.prompt.setVisible(not compact and bool(self.prompt.text()))
        self.details.setVisible(not compact and bool(self.details.text()))
        keep_room = self.activity.sizePolicy()
        keep_room.setRetainSizeWhenHidden(not compact)
        self.activity.setSizePolicy(keep_room)
        self.activity.setVisible(not compact and bool(self.activity.text()))
        self.error.setVisible(not compact and bool(self.error.text()))
        self._own_providers_row.setVisible(not compact and self._own_differ)
        self.setUpdatesEnabled(True)

    def show_story(self, story: Story) -> None:
        self.title.setText(story.title)
        self.short_title.setText(story.title)
        self.badge.set_state(theme.STORY_LABELS[story.status], theme.STORY_TONES[story.status])
        prompt = (
            story.prompt if len(story.prompt) <= PROMPT_PREVIEW_CHARS else story.prompt[:PROMPT_PREVIEW_CHARS] + "…"
        )
        self.prompt.setText(prompt)
        self.prompt.setToolTip(story.prompt if len(story.prompt) > PROMPT_PREVIEW_CHARS else "")
        details = []
        if story.style:
            details.append(f"Style: {story.style}")
        if story.characters:
            details.append(f"Characters: {story.characters}")
        writer = provider_words(story.text_provider)
        painter = provider_words(story.image_provider)
        if writer:
            details.append(
                f"Written by {writer}" + (f", painted by {painter}" if painter and painter != writer else "")
            )
        self.details.setText("  ·  ".join(details))
        self.details.setVisible(bool(details) and not self.compact)
        running = story.status.is_running
        if not running:
            self.show_activity("")
        self.cancel_button.setVisible(running)
        self.resume_button.setVisible(story.status.can_resume)
        self.error.setText(story.error if not running else "")
        self.error.setVisible(bool(self.error.text()) and not self.compact)

    def show_own_providers(self, differ: bool) -> None:
        """Whether the story is written with other providers than those in Settings now (Story.made_with)."""
        self._own_differ = differ
        self._own_providers_row.setVisible(differ and not self.compact)

    def show_activity(self, line: str) -> None:
        """What the story service is doing right now, in its words ("Writing scene 3 of 6…")."""
        self.activity.setText(line)
        self.activity.setVisible(bool(line) and not self.compact)

    def show_progress(self, written: int, total: int, uploaded: int, failed: int, painting: int) -> None:
        self.progress_bar.set_progress(written, total)
        self.progress_label.setText(progress_text(written, total, uploaded, failed, painting))
        self.retry_button.setVisible(failed > 0)
