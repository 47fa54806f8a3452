"""The default storage: the local storage folder on this computer, objects as files, `file://` URLs."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from desktop.storage.backend import Link, ProgressCallback
from desktop.storage.progress import ProgressReader

_CHUNK = 256 * 1024


class LocalFolderStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def label(self) -> str:
        return f"the local storage folder {self.root}"

    def ensure_bucket(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def _target(self, object_path: str) -> Path:
        parts = object_path.split("/")
        if not object_path or any(part in ("", ".", "..") or part.startswith(".") for part in parts):
            raise ValueError(f"Object keys must not contain dot segments or empty parts: {object_path!r}")
        return self.root.joinpath(*parts)

    def upload(
        self, object_path: str, source: Path | bytes, content_type: str, progress: ProgressCallback | None = None
    ) -> str:
        target = self._target(object_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed over it: a reader sees the old file or the new one, never half.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out, ProgressReader(source, progress) as reader:
                while chunk := reader.read(_CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return object_path

    def url_for(self, object_path: str) -> str:
        return self._target(object_path).as_uri()

    def urls_for(self, object_paths: Sequence[str]) -> dict[str, str]:
        return {path: self.url_for(path) for path in object_paths}

    def links_for(self, object_paths: Sequence[str]) -> dict[str, Link]:
        # A file URL never expires; a file that is not there gets none, as a signing server would answer.
        return {path: Link(self.url_for(path)) for path in object_paths if self.exists(path)}

    def exists(self, object_path: str) -> bool:
        return self._target(object_path).is_file()

    def list(self, prefix: str) -> list[str]:
        base = prefix.strip("/")
        folder = self._target(base) if base else self.root
        if not folder.is_dir():
            return []
        return sorted(
            f"{base}/{entry.name}" if base else entry.name
            for entry in folder.iterdir()
            if entry.is_file() and not entry.name.startswith(".")
        )

    def remove(self, object_paths: Sequence[str]) -> None:
        for path in object_paths:
            self._target(path).unlink(missing_ok=True)

    def close(self) -> None:
        pass
