"""Text and image providers (offline, OpenAI-compatible, Automatic1111-compatible), scene parsing, image checks."""
