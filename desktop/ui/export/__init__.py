"""File → Export…: the open story to a file, with its images."""
