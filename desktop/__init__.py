"""Storyforge: write illustrated stories scene by scene."""

__version__ = "0.1.0"
