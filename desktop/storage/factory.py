"""The backend the settings ask for. Blocking (the Supabase client's import is slow): call it on the executor."""

from __future__ import annotations

from desktop.config import Settings
from desktop.storage.backend import StorageBackend
from desktop.storage.local import LocalFolderStorage


def build_backend(settings: Settings) -> StorageBackend:
    if settings.storage_backend == "supabase":
        from desktop.storage.supabase_storage import SupabaseStorage

        return SupabaseStorage.from_settings(settings)
    return LocalFolderStorage(settings.storage_folder)
