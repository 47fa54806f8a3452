"""The reading page of one story: its header, the scene cards, the editor and the edit-conflict view."""
