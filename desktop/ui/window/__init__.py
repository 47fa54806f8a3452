"""The window's frame: menus and actions, the pages it stacks, notices in the status line, its saved geometry."""
