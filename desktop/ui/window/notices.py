"""Errors from any coroutine, shown as a banner that never blocks: the gist in one line, details and copy on demand."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from desktop.explain import UNEXPECTED, looks_raw, plain_words
from desktop.logs import SECRET_MASK
from desktop.ui.common import theme
from desktop.ui.common.widgets import icon_pixmap, tool_button

SUMMARY_CHARS = 220


@dataclass(frozen=True)
class Notice:
    title: str
    message: str
    details: str
    at: datetime


def describe(title: str, error: BaseException) -> Notice:
    """What the writer reads: plain words (the message our code wrote for them, or a sentence chosen by the error's
    kind), masked; the exception's own text and its trail stay in the details."""
    message = plain_words(error)
    trail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    details = SECRET_MASK.mask(f"{title} failed.\n\n{message}\n\n{trail}")
    return Notice(title, message, details, datetime.now().astimezone())


def summary(notice: Notice) -> str:
    line = notice.message.splitlines()[0] if notice.message else ""
    text = f"{notice.title} failed: {line}"
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


class NoticeBar(QFrame):
    """Keeps every notice of the session; shows the newest, with a count of the others."""

    visibility = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.notices: list[Notice] = []
        self._icon = QLabel()
        self._icon.setPixmap(icon_pixmap("error", 18, theme.tone_colors(theme.Tone.danger).text))
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = tool_button("Details", "details", tooltip="Show what happened in full")
        self.copy_button = tool_button("Copy", "copy", tooltip="Copy the details, e.g. for a bug report")
        self.dismiss_button = tool_button("Dismiss", "close", tooltip="Hide this notice")
        for widget in (self.details_button, self.copy_button, self.dismiss_button):
            widget.setObjectName("")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._toggle_details)
        self.copy_button.clicked.connect(self.copy)
        self.dismiss_button.clicked.connect(self.dismiss)
        self.details = QPlainTextEdit()
        self.details.setObjectName("noticeDetails")
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Details")
        self.details.setMaximumHeight(180)
        self.details.hide()

        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.text, 1)
        row.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.addLayout(row)
        layout.addWidget(self.details)
        self.hide()

    def show_error(self, title: str, error: BaseException) -> None:
        self.add(describe(title, error))

    def add_message(self, title: str, message: str) -> None:
        """A failure that arrives as words rather than an exception (the database did not start)."""
        masked = SECRET_MASK.mask(message)
        # Words that are an exception's own text ("[Errno 2] …") go to the details, behind a plain headline.
        headline = UNEXPECTED if looks_raw(masked) else masked
        self.add(Notice(title, headline, f"{title} failed.\n\n{masked}", datetime.now().astimezone()))

    def add(self, notice: Notice) -> None:
        self.notices.append(notice)
        self._refresh()
        self.show()
        self.visibility.emit(True)

    @property
    def current(self) -> Notice | None:
        return self.notices[-1] if self.notices else None

    def _refresh(self) -> None:
        notice = self.current
        if notice is None:
            return
        more = len(self.notices) - 1
        self.text.setText(summary(notice) + (f"   (+{more} earlier)" if more else ""))
        self.text.setToolTip(notice.message)
        self.details.setPlainText(self.all_details())

    def all_details(self) -> str:
        blocks = [f"[{notice.at:%H:%M:%S}] {notice.details}" for notice in reversed(self.notices)]
        return "\n\n".join(blocks)

    def _toggle_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setText("Hide details" if shown else "Details")
        self.details_button.setAccessibleName(self.details_button.text())

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.all_details())

    def withdraw(self, title: str) -> None:
        """Notices under `title` no longer hold (the writer changed what caused them): the one shown is hidden.
        They stay in `notices`; a problem that is still there is reported again."""
        if self.isVisible() and self.current is not None and self.current.title == title:
            self.dismiss()

    def dismiss(self) -> None:
        # Dismissed notices stay in `notices` (and the log): hidden, not lost.
        self.details_button.setChecked(False)
        self.hide()
        self.visibility.emit(False)
