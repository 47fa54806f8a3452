"""One repository per table; every query parametrised, every row returned as a model."""

from desktop.db.repositories.scenes import SceneRepository
from desktop.db.repositories.stories import StoryRepository
from desktop.db.repositories.uploads import UploadRepository

__all__ = ["SceneRepository", "StoryRepository", "UploadRepository"]
