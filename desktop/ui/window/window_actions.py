"""The window's commands, with their shortcuts shown in the menus."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from desktop.ui.common.widgets import set_icon


def _action(
    window: QMainWindow, text: str, shortcuts: list[str] | None = None, icon_name: str | None = None
) -> QAction:
    action = QAction(text, window)
    if shortcuts:
        action.setShortcuts([QKeySequence(shortcut) for shortcut in shortcuts])
    if icon_name:
        set_icon(action, icon_name)
    window.addAction(action)  # shortcuts work even while the menu bar is hidden
    return action


class WindowActions:
    def __init__(self, window: QMainWindow) -> None:
        self.new_story = _action(window, "&New story…", ["Ctrl+N"], "new-story")
        self.export = _action(window, "&Export…", ["Ctrl+Shift+E"], "save")
        self.settings = _action(window, "&Settings…", ["Ctrl+,"], "settings")
        self.quit = _action(window, "&Quit", ["Ctrl+Q"], "quit")
        self.generate = _action(window, "&Generate", ["Ctrl+Return", "Ctrl+Enter"], "generate")
        self.cancel = _action(window, "&Cancel generation", ["Esc"], "cancel")
        self.resume = _action(window, "&Resume story", None, "generate")
        self.rename_story = _action(window, "Re&name…", ["F2"], "edit")
        self.duplicate_story = _action(window, "&Duplicate", None, "copy")
        self.retry_story = _action(window, "Retry this story's &failed uploads", None, "retry")
        self.open_image = _action(window, "Open &image viewer", ["Ctrl+I"], "image")
        self.retry_all = _action(window, "&Retry all failed uploads", ["Ctrl+R"], "retry")
        self.show_uploads = _action(window, "&Uploads panel", ["Ctrl+Shift+U"], "uploads")
        self.show_uploads.setCheckable(True)
        # Ctrl+F finds in the story on screen; with none, it searches the library (MainWindow.find_in_story).
        self.find = _action(window, "&Find in story…", ["Ctrl+F"], "search")
        self.focus_search = _action(window, "&Search the library", ["Ctrl+Shift+F"], "search")
        self.copy_story = _action(window, "&Copy story", ["Ctrl+Shift+C"], "copy")
        self.open_logs = _action(window, "Open &log folder", None, "folder")
        self.about = _action(window, "&About Storyforge", None, "info")

        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.new_story)
        file_menu.addAction(self.export)
        file_menu.addSeparator()
        file_menu.addAction(self.settings)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        story_menu = bar.addMenu("&Story")
        story_menu.addAction(self.generate)
        story_menu.addAction(self.cancel)
        story_menu.addAction(self.resume)
        story_menu.addSeparator()
        story_menu.addAction(self.rename_story)
        story_menu.addAction(self.duplicate_story)
        story_menu.addSeparator()
        story_menu.addAction(self.find)
        story_menu.addAction(self.copy_story)
        story_menu.addAction(self.open_image)
        story_menu.addAction(self.retry_story)
        story_menu.addSeparator()
        story_menu.addAction(self.export)
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.focus_search)
        view_menu.addAction(self.show_uploads)
        uploads_menu = bar.addMenu("&Uploads")
        uploads_menu.addAction(self.retry_all)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.open_logs)
        help_menu.addAction(self.about)
        self.menus = [file_menu, story_menu, view_menu, uploads_menu, help_menu]

    def all(self) -> list[QAction]:
        return [value for value in vars(self).values() if isinstance(value, QAction)]
