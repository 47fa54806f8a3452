"""Help → About: the version, and where this Storyforge keeps things (database, storage, data and log folders), so a
writer asking for help can say what they run without opening a terminal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.common.resources import app_icon
from desktop.ui.common.widgets import button, small_label


@dataclass(frozen=True)
class AboutFacts:
    version: str
    database: str
    storage: str
    data_folder: Path
    log_folder: Path


class AboutDialog(QDialog):
    def __init__(self, facts: AboutFacts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About Storyforge")
        # Wide enough for its own title in any window manager's title bar, and for a folder path on one line.
        self.setMinimumWidth(520)

        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        heading = QLabel("Storyforge")
        heading.setObjectName("aboutHeading")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        tagline = small_label("Write illustrated stories scene by scene.", "muted")

        facts_form = QFormLayout()
        facts_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        facts_form.setVerticalSpacing(6)
        self.fields: dict[str, QLabel] = {}
        for name, value in (
            ("Version", facts.version),
            ("Database", _capitalised(facts.database)),
            ("Storage", _capitalised(facts.storage)),
            ("Data folder", str(facts.data_folder)),
            ("Log folder", str(facts.log_folder)),
        ):
            field = QLabel(value)  # one line each: the dialog grows to a long path instead of wrapping it
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # to paste into a report
            field.setAccessibleName(name)
            facts_form.addRow(f"{name}:", field)
            self.fields[name] = field

        self.open_logs = button("Open log folder", "folder")
        self.open_logs.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(facts.log_folder))))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.open_logs, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(heading)
        text.addWidget(tagline)
        text.addSpacing(12)
        text.addLayout(facts_form)
        text.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addSpacing(12)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addSpacing(8)
        layout.addWidget(buttons)


def _capitalised(words: str) -> str:
    """A value at the start of its row: "embedded PostgreSQL in …" reads as "Embedded PostgreSQL in …"."""
    return words[:1].upper() + words[1:]
