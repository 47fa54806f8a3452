"""A character's portrait in the Story bible dock: a small thumbnail (or a calm "No portrait" frame) and the button
that paints one. What to show comes from the panel; the picture is decoded on the thumbnails' workers, so a big file
never holds the window."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.ui.common import theme
from desktop.ui.common.thumbnails import ThumbnailLoader
from desktop.ui.common.widgets import button, plain, small_font, small_label
from desktop.ui.story.card_pixmaps import placeholder_pixmap, rounded_pixmap

if TYPE_CHECKING:
    from desktop.generation.base import ImageAbilities

log = logging.getLogger(__name__)

PORTRAIT = QSize(96, 96)
NO_PORTRAIT = "No portrait"
ABILITIES_UNKNOWN = "Could not ask the image server what it can keep alike."
Start = Callable[[Coroutine[Any, Any, None], str], object]


class PortraitBox(QWidget):
    paint_clicked = Signal()

    def __init__(self, thumbnails: ThumbnailLoader, start: Start, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self._start = start
        self.path: str | None = None  # the portrait file shown (or being read); "" for none, None before any
        self.has_picture = False  # the file's pixmap is shown, not the placeholder
        self.picture = QLabel()
        self.picture.setFixedSize(PORTRAIT)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setAccessibleName("Portrait")
        self.paint_button = button("Paint portrait", "regenerate-image")
        self.hint = small_label()
        self.hint.hide()
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.paint_button, 0, Qt.AlignmentFlag.AlignLeft)
        side.addWidget(self.hint)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(side, 1)
        self.paint_button.clicked.connect(self.paint_clicked)
        self._show_placeholder()

    def show_state(self, path: str, *, painting: bool, hint: str = "") -> None:
        """The entry's portrait file ("" for none), whether one is being painted, and a line below the button."""
        label = "Painting…" if painting else ("Paint a new portrait" if path else "Paint portrait")
        if self.paint_button.text() != label:
            self.paint_button.setText(label)
            self.paint_button.setAccessibleName(plain(label))
        self.paint_button.setEnabled(not painting)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        if path != self.path:
            self.path = path
            if path:
                self._start(self._load(path), "Showing a portrait")
            else:
                self._show_placeholder()

    async def _load(self, path: str) -> None:
        ratio = self.devicePixelRatioF()
        image = await self._thumbnails.thumbnail(path, PORTRAIT * ratio)
        if path != self.path:
            return  # another entry (or a newer portrait) was shown meanwhile
        if image is None:
            self._show_placeholder("The portrait's file is missing from this computer or can't be read.")
            return
        self.picture.setPixmap(rounded_pixmap(image, PORTRAIT, ratio))
        self.picture.setToolTip(path)
        self.has_picture = True

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and not self.has_picture:
            self._show_placeholder(self.picture.toolTip())  # drawn in the new theme's colours

    def _show_placeholder(self, tooltip: str = "") -> None:
        pixmap = placeholder_pixmap(PORTRAIT, NO_PORTRAIT, "image", theme.Tone.neutral, self.devicePixelRatioF())
        self.picture.setPixmap(pixmap)
        self.picture.setToolTip(tooltip)
        self.has_picture = False


class AbilitiesLine(QLabel):
    """One line under the characters: what the painter in Settings keeps alike, in its own words."""

    def __init__(self, start: Start, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hint")
        self.setWordWrap(True)
        self.setFont(small_font())
        self.hide()
        self._start = start
        self._asked = 0  # the latest ask: an older answer arriving late is dropped

    def ask(self, abilities: Callable[[], Awaitable[ImageAbilities]]) -> None:
        """`abilities`: the story service's `image_abilities`, asked of the painter in Settings now."""
        self._asked += 1
        self._start(self._ask(abilities, self._asked), "Asking what the painter keeps alike")

    async def _ask(self, abilities_of_painter: Callable[[], Awaitable[ImageAbilities]], asked: int) -> None:
        try:
            abilities = await abilities_of_painter()
        except Exception:  # a line here, not a notice: nothing the writer asked for failed
            log.warning("could not ask the image server what it keeps alike", exc_info=True)
            line = ABILITIES_UNKNOWN
        else:
            line = abilities.note
            if abilities.reference:
                line += f" Portraits go along with each scene that names them, as a reference ({abilities.reference})."
        if asked == self._asked:
            self.setText(line)
            self.setVisible(bool(line))
