"""Start the real app (`desktop.app.main`) with the window and report what the writer sees of a settings problem.

Run as a process by tests/test_settings_validation.py: when the entry point tells the window of the settings that
failed to load, this prints the notice's headline and details, then closes the window (the app's own quit path) so the
process exits by itself. A message box that refuses the start is printed instead of waiting for a click.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

import desktop.app as entry_point
from desktop.ui.window.main_window import MainWindow

_tell = entry_point._tell_the_window


def _tell_and_report(problems: list[str]) -> None:
    _tell(problems)
    windows = [widget for widget in QApplication.topLevelWidgets() if isinstance(widget, MainWindow)]
    for window in windows:
        print(f"notice: {window.notices.text.text()}", flush=True)
        print(f"details: {window.notices.current.details if window.notices.current else ''}", flush=True)
        QTimer.singleShot(0, window.close)
    print(f"windows: {len(windows)}", flush=True)


def _print_box(box: QMessageBox) -> int:
    print(f"box: {box.windowTitle()} | {box.text()} | {box.informativeText()}", flush=True)
    return 0


entry_point._tell_the_window = _tell_and_report
QMessageBox.exec = _print_box  # type: ignore[method-assign, assignment]
sys.exit(entry_point.main(sys.argv[1:]))
