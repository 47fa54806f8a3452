"""Which providers run, from the settings."""

from __future__ import annotations

from concurrent.futures import Executor

from desktop.config import Settings
from desktop.generation.a1111 import Automatic1111Provider
from desktop.generation.base import ImageProvider, Notify, Providers, TextProvider
from desktop.generation.comfyui import ComfyUIProvider
from desktop.generation.offline_image import OfflineImageProvider
from desktop.generation.offline_text import OfflineTextProvider
from desktop.generation.openai_image import OpenAIImageProvider
from desktop.generation.openai_text import OpenAITextProvider
from desktop.retry import RetryPolicy


def build_text_provider(
    settings: Settings, notify: Notify | None = None, policy: RetryPolicy | None = None
) -> TextProvider:
    if settings.text_provider == "openai":
        return OpenAITextProvider(
            base_url=settings.openai_base_url,
            model=settings.openai_model,
            api_key=settings.openai_api_key.get_secret_value(),
            timeout=settings.request_timeout,
            notify=notify,
            policy=policy,
        )
    return OfflineTextProvider(delay=settings.offline_delay)


def build_image_provider(
    settings: Settings, executor: Executor, notify: Notify | None = None, policy: RetryPolicy | None = None
) -> ImageProvider:
    if settings.image_provider == "openai":
        return OpenAIImageProvider(
            base_url=settings.openai_base_url,
            model=settings.openai_image_model,
            api_key=settings.openai_api_key.get_secret_value(),
            timeout=settings.request_timeout,
            notify=notify,
            policy=policy,
        )
    if settings.image_provider == "a1111":
        return Automatic1111Provider(
            base_url=settings.a1111_url, timeout=settings.request_timeout, notify=notify, policy=policy
        )
    if settings.image_provider == "comfyui":
        return ComfyUIProvider(
            base_url=settings.comfyui_url,
            executor=executor,
            timeout=settings.request_timeout,
            workflow=settings.comfyui_workflow,
            checkpoint=settings.comfyui_checkpoint,
            notify=notify,
            policy=policy,
        )
    return OfflineImageProvider(executor, delay=settings.offline_delay)


def build_providers(
    settings: Settings, executor: Executor, notify: Notify | None = None, policy: RetryPolicy | None = None
) -> Providers:
    """The providers the settings name; the offline ones when nothing else is configured."""
    return Providers(
        text=build_text_provider(settings, notify, policy),
        image=build_image_provider(settings, executor, notify, policy),
    )
