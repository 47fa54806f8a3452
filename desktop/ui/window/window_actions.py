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
        self.show_bible = _action(window, "Story &bible", ["Ctrl+B"], "edit")
        self.show_bible.setCheckable(True)
        # Ctrl+F finds in the story on screen; with none, it searches the library (MainWindow.find_in_story).
        self.find = _action(window, "&Find in story…", ["Ctrl+F"], "search")
        self.focus_search = _action(window, "&Search the library", ["Ctrl+Shift+F"], "search")
        self.copy_story = _action(window, "&Copy story", ["Ctrl+Shift+C"], "copy")
        # The workbench (issue 13). Undo and Redo act on the open story; a text field with the focus keeps Ctrl+Z
        # for its own typing (Qt gives an editor's own shortcuts precedence).
        self.undo = _action(window, "&Undo", ["Ctrl+Z"], "undo")
        self.redo = _action(window, "&Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], "redo")
        self.continue_story = _action(window, "Con&tinue the story…", None, "generate")
        self.delete_story = _action(window, "&Delete story", None, "delete")
        self.show_trash = _action(window, "&Trash…", None, "delete")
        # Scene commands act on the scene with the focus (or the first in view).
        self.insert_written_before = _action(window, "Insert a &written scene before", None, "generate")
        self.insert_written_after = _action(window, "Insert a written scene &after", ["Ctrl+Shift+Return"], "generate")
        self.insert_blank_before = _action(window, "Insert a &blank scene before", None, "edit")
        self.insert_blank_after = _action(window, "Insert a blank scene a&fter", None, "edit")
        self.move_scene_up = _action(window, "Move scene &up", ["Alt+Up"], "up")
        self.move_scene_down = _action(window, "Move scene &down", ["Alt+Down"], "down")
        self.delete_scene = _action(window, "De&lete scene", None, "delete")
        self.more_images = _action(window, "&More images…", ["Ctrl+Shift+M"], "image")
        self.repaint_same_seed = _action(window, "Repaint with the &same seed", None, "regenerate-image")
        self.repaint_new_seed = _action(window, "Repaint with a &new seed", None, "regenerate-image")
        self.scene_history = _action(window, "Scene &history…", ["Ctrl+H"], "history")
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
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.undo)
        edit_menu.addAction(self.redo)
        story_menu = bar.addMenu("&Story")
        story_menu.addAction(self.generate)
        story_menu.addAction(self.cancel)
        story_menu.addAction(self.resume)
        story_menu.addSeparator()
        story_menu.addAction(self.continue_story)
        story_menu.addSeparator()
        story_menu.addAction(self.rename_story)
        story_menu.addAction(self.duplicate_story)
        story_menu.addAction(self.delete_story)
        story_menu.addSeparator()
        story_menu.addAction(self.find)
        story_menu.addAction(self.copy_story)
        story_menu.addAction(self.open_image)
        story_menu.addAction(self.retry_story)
        story_menu.addSeparator()
        story_menu.addAction(self.export)
        scene_menu = bar.addMenu("S&cene")
        for action in (self.insert_written_before, self.insert_written_after):
            scene_menu.addAction(action)
        for action in (self.insert_blank_before, self.insert_blank_after):
            scene_menu.addAction(action)
        scene_menu.addSeparator()
        scene_menu.addAction(self.move_scene_up)
        scene_menu.addAction(self.move_scene_down)
        scene_menu.addSeparator()
        scene_menu.addAction(self.more_images)
        scene_menu.addAction(self.repaint_same_seed)
        scene_menu.addAction(self.repaint_new_seed)
        scene_menu.addSeparator()
        scene_menu.addAction(self.scene_history)
        scene_menu.addAction(self.delete_scene)
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.focus_search)
        view_menu.addAction(self.show_uploads)
        view_menu.addAction(self.show_bible)
        view_menu.addAction(self.show_trash)
        uploads_menu = bar.addMenu("&Uploads")
        uploads_menu.addAction(self.retry_all)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.open_logs)
        help_menu.addAction(self.about)
        self.menus = [file_menu, edit_menu, story_menu, scene_menu, view_menu, uploads_menu, help_menu]

    def all(self) -> list[QAction]:
        return [value for value in vars(self).values() if isinstance(value, QAction)]
