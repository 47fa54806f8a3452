"""Widgets and windows: they listen to services' signals and call services' coroutines."""
