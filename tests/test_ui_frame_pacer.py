"""The window paints at most once a frame, never in the same turn of the loop as the change it shows."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from desktop.ui.window.frame_pacer import FRAME_S, FramePacer


class Paints(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.times.append(time.monotonic())
        return False


def test_the_window_paints_after_the_change_and_at_most_once_a_frame(qapp: Any, qtbot: Any) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    label = QLabel("Scene 1 of 12", window)
    QVBoxLayout(window).addWidget(label)
    FramePacer(window)
    window.show()
    qtbot.waitExposed(window)
    paints = Paints()
    label.installEventFilter(paints)

    for scene in range(2, 7):
        painted = len(paints.times)
        label.setText(f"Scene {scene} of 12")
        QApplication.sendPostedEvents()  # where Qt would paint the change on its own
        assert len(paints.times) == painted
        qtbot.waitUntil(lambda painted=painted: len(paints.times) > painted, timeout=1000)

    gaps = [later - earlier for earlier, later in zip(paints.times, paints.times[1:], strict=False)]
    assert min(gaps) >= FRAME_S - 0.002  # the timer's millisecond rounding
    assert label.text() == "Scene 6 of 12"
