"""Writing an export's files so that a failed or interrupted export never leaves half a file in the writer's place."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replaced_on_success(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write; it becomes `path` only once the block ends without an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created as any file the writer makes (the umask's permissions, unlike tempfile's private 0600).
    temporary = path.with_name(f".{uuid.uuid4().hex[:12]}.storyforge-export{path.suffix}")
    temporary.open("xb").close()
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
