"""Text and image providers (offline, OpenAI-compatible, Automatic1111-compatible), scene parsing, image checks."""

from desktop.generation.base import (
    OFFLINE_LABEL,
    ImageProvider,
    ImageRequest,
    Notify,
    ProviderFactory,
    Providers,
    SceneDraft,
    SceneStreaming,
    SceneWritten,
    TextEvent,
    TextProvider,
    TextRequest,
)
from desktop.generation.errors import ImageCacheError, ImageRejected, ProviderError

__all__ = [
    "OFFLINE_LABEL",
    "ImageCacheError",
    "ImageProvider",
    "ImageRejected",
    "ImageRequest",
    "Notify",
    "ProviderError",
    "ProviderFactory",
    "Providers",
    "SceneDraft",
    "SceneStreaming",
    "SceneWritten",
    "TextEvent",
    "TextProvider",
    "TextRequest",
]
