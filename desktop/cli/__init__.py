"""Headless commands: the same services as the window, driven from the command line."""
