"""The image viewer: one scene's picture, zoomed and stepped through."""
