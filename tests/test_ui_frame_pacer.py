"""A window under the FramePacer still shows every change: what is on screen is what a fresh drawing shows.

How often it paints (once a frame, never in the turn of the change) is measured in tests/bench/bench_frames.py.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from desktop.ui.window.frame_pacer import FramePacer


def _paced_window(qtbot: Any) -> tuple[QWidget, QLabel]:
    window = QWidget()
    qtbot.addWidget(window)
    label = QLabel("Scene 1 of 12", window)
    QVBoxLayout(window).addWidget(label)
    FramePacer(window)
    window.show()
    qtbot.waitExposed(window)
    return window, label


def _on_screen_as_drawn_afresh(window: QWidget) -> bool:
    shown = window.screen().grabWindow(window.winId()).toImage()
    afresh = window.grab().toImage()
    return shown.convertToFormat(afresh.format()) == afresh


def test_each_change_reaches_the_screen(qapp: Any, qtbot: Any) -> None:
    window, label = _paced_window(qtbot)
    qtbot.waitUntil(lambda: _on_screen_as_drawn_afresh(window), timeout=1000)
    for scene in range(2, 7):
        label.setText(f"Scene {scene} of 12")
        qtbot.waitUntil(lambda: _on_screen_as_drawn_afresh(window), timeout=1000)
    assert label.text() == "Scene 6 of 12"


def test_changes_made_while_a_paint_waits_are_all_shown(qapp: Any, qtbot: Any) -> None:
    """A burst of changes, some in one turn and some just after a paint: the screen ends on the last one."""
    window, label = _paced_window(qtbot)
    qtbot.waitUntil(lambda: _on_screen_as_drawn_afresh(window), timeout=1000)
    for words in range(0, 400, 40):
        label.setText(f"Scene 2 — {words} words")
        label.setText(f"Scene 2 — {words + 20} words")
        QApplication.processEvents()
    label.setStyleSheet("color: #b03020")  # a change elsewhere than the text, in the same frame
    qtbot.waitUntil(lambda: _on_screen_as_drawn_afresh(window), timeout=1000)
    assert label.text() == "Scene 2 — 380 words"
