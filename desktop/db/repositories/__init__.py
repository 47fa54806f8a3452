"""One repository per table (or per job on a table); every query parametrised, every row returned as a model."""

from desktop.db.repositories.scene_order import SceneLimit, SceneOrderRepository
from desktop.db.repositories.scenes import SceneRepository
from desktop.db.repositories.stories import StoryRepository
from desktop.db.repositories.trash import TrashRepository
from desktop.db.repositories.undo_log import UndoLogRepository
from desktop.db.repositories.uploads import UploadRepository

__all__ = [
    "SceneLimit",
    "SceneOrderRepository",
    "SceneRepository",
    "StoryRepository",
    "TrashRepository",
    "UndoLogRepository",
    "UploadRepository",
]
