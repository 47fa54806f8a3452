"""The new-story form: title, prompt and the choices a story starts with."""
