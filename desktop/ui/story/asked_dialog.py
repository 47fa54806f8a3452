"""What was asked: the exact prompt a scene's picture was painted from (Scene.asked_image), to read, select and copy —
the scene's words, the bible's style and the looks of those it names, as the image server got them — and how the
picture was made: the painter and its model, the seed, the size and the portraits sent with it (Scene.image_made)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from desktop.models import ImageRecord, Scene
from desktop.ui.common.confirm import scene_name
from desktop.ui.common.widgets import button, small_label

NOTHING_ASKED = "No picture painted yet"


def how_it_was_made(made: ImageRecord) -> str:
    """ "Painted by Automatic1111 at 127.0.0.1:7860 (model sdxl-base) · seed 1234 · 768×512 · portraits sent: Maren"."""
    if made.empty:
        return "Painted before Storyforge kept how pictures were made."
    parts = [f"Painted by {made.provider}" + (f" (model {made.model})" if made.model else "")]
    parts.append(f"seed {made.seed}" if made.seed is not None else "no seed (this painter takes none)")
    if made.width and made.height:
        parts.append(f"{made.width}×{made.height}")
    if made.references:
        parts.append("portraits sent: " + ", ".join(made.references))
    return " · ".join(parts)


class AskedDialog(QDialog):
    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"What was asked — {scene_name(scene)}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.asked = scene.asked_image
        self.text_view = QPlainTextEdit(scene.asked_image or NOTHING_ASKED)
        self.text_view.setReadOnly(True)  # selectable, not editable: it is what was sent
        self.text_view.setAccessibleName("The image prompt sent")
        self.text_view.setEnabled(bool(scene.asked_image))
        self.copy_button = button("Copy", "copy")
        self.copy_button.setEnabled(bool(scene.asked_image))
        self.close_button = button("Close")
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("The prompt sent to the image server for this scene's picture:"))
        layout.addWidget(self.text_view, 1)
        self.made_label = QLabel(how_it_was_made(scene.image_made) if scene.asked_image else "")
        self.made_label.setWordWrap(True)
        self.made_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.made_label)
        self.copied_label = small_label()
        layout.addWidget(self.copied_label)
        layout.addLayout(buttons)
        self.resize(560, 300)
        self.copy_button.clicked.connect(self.copy)
        self.close_button.clicked.connect(self.close)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.asked)
        self.copied_label.setText("Copied.")


def show_what_was_asked(scene: Scene, parent: QWidget) -> AskedDialog:
    """Non-modal: the writer can keep the prompt beside the story while reading or editing the bible."""
    dialog = AskedDialog(scene, parent)
    dialog.show()
    return dialog
