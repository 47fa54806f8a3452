"""Shared by every page: small widgets, the theme, icons and resources, questions, thumbnails."""
