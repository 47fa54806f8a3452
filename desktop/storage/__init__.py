"""Where images go: a small synchronous StorageBackend (Supabase Storage or a local folder), called on the executor.

Importing this package stays cheap: supabase-py is imported only when a Supabase backend is built.
"""

from desktop.storage.backend import Link, StorageBackend, UploadCancelled
from desktop.storage.factory import build_backend
from desktop.storage.failures import BucketUnavailable, Failure, StorageConfigError, classify
from desktop.storage.local import LocalFolderStorage
from desktop.storage.objects import NotAnImage, inspect_image, object_path

__all__ = [
    "BucketUnavailable",
    "Failure",
    "Link",
    "LocalFolderStorage",
    "NotAnImage",
    "StorageBackend",
    "StorageConfigError",
    "UploadCancelled",
    "build_backend",
    "classify",
    "inspect_image",
    "object_path",
]
