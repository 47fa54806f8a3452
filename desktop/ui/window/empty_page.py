"""What the middle shows before a story is chosen: what to do next, in one line and one button."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.ui.common import theme
from desktop.ui.common.resources import app_icon
from desktop.ui.common.widgets import button, small_label


class EmptyPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        mark = QLabel()
        mark.setPixmap(app_icon().pixmap(QSize(72, 72)))
        mark.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heading = QLabel("Write a story, scene by scene")
        self.heading.setFont(theme.serif_font(theme.scaled_font(1.6).pointSizeF()))
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = small_label("Choose a story in the library, or press Ctrl+N to write a new one.", "muted")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.new_button = button("New story", "new-story", primary=True, tooltip="Write a new story (Ctrl+N)")
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(mark)
        layout.addSpacing(8)
        layout.addWidget(self.heading)
        layout.addWidget(self.hint)
        layout.addSpacing(14)
        layout.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)
