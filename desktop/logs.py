"""A rotating log file in the platform's log folder, with secrets masked before anything is written."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from logging.handlers import RotatingFileHandler
from pathlib import Path

_PATTERNS = (
    re.compile(r"(?<=://)([^:/@\s]+):([^@/\s]+)@"),  # user:password@ in URLs
    re.compile(r"(?i)(bearer\s+)[\w\-.~+/]+=*"),
    re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]+"),  # JWTs: Supabase keys look like this
    re.compile(r"\bsk-[\w-]{8,}"),  # OpenAI-style keys
)
_MASK = "***"


class SecretMask(logging.Filter):
    """Replaces known secret values and secret-shaped text in every record."""

    def __init__(self) -> None:
        super().__init__()
        self._values: set[str] = set()

    def add(self, values: Iterable[str]) -> None:
        self._values.update(value for value in values if len(value) >= 4)

    def mask(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, _MASK)
        text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}:{_MASK}@", text)
        text = _PATTERNS[1].sub(lambda m: f"{m.group(1)}{_MASK}", text)
        for pattern in _PATTERNS[2:]:
            text = pattern.sub(_MASK, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.mask(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


SECRET_MASK = SecretMask()


def setup_logging(folder: Path, level: int = logging.INFO) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "storyforge.log"
    handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SECRET_MASK)
    root = logging.getLogger()
    root.setLevel(level)
    for old in [h for h in root.handlers if isinstance(h, RotatingFileHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    return path
