"""The formats a story exports to, and what an export reports back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

Progress = Callable[[int, int], None]  # (chapters done, chapters in all)


class ExportCancelled(Exception):
    """Raised from `progress` to stop an export between two scenes; the file that was there stays as it was."""


class ExportFormat(StrEnum):
    markdown = "markdown"
    html = "html"
    epub = "epub"
    pdf = "pdf"
    docx = "docx"

    @property
    def extension(self) -> str:
        return {"markdown": "md"}.get(self.value, self.value)

    @property
    def label(self) -> str:
        """As a file dialog's filter names it."""
        return {
            ExportFormat.markdown: "Markdown with an images folder",
            ExportFormat.html: "Web page (one file)",
            ExportFormat.epub: "EPUB e-book",
            ExportFormat.pdf: "PDF",
            ExportFormat.docx: "Word document",
        }[self]


@dataclass(frozen=True)
class ExportResult:
    format: ExportFormat
    path: Path  # the file to open
    files: tuple[Path, ...]  # everything written (Markdown's images too)
    warnings: tuple[str, ...]  # in plain words, one per scene shown without its current image

    @property
    def size(self) -> int:
        return sum(path.stat().st_size for path in self.files)
