"""`export_book`: one story to one file in the chosen format. A plain synchronous call: the app runs it on its
QThreadPool executor, the CLI in its own thread, and neither needs more than this signature."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from desktop.export.book import Book
from desktop.export.formats import ExportFormat, ExportResult, Progress
from desktop.export.images import ChapterWalk
from desktop.export.names import safe_file_name

Writer = Callable[[ChapterWalk, Path], tuple[Path, ...]]


def _writer(format: ExportFormat) -> Writer:
    # Imported when asked for: Qt's PDF code and python-docx load only for the formats that use them.
    match format:
        case ExportFormat.markdown:
            from desktop.export.to_markdown import write_markdown

            return write_markdown
        case ExportFormat.html:
            from desktop.export.to_html import write_html

            return write_html
        case ExportFormat.epub:
            from desktop.export.to_epub import write_epub

            return write_epub
        case ExportFormat.pdf:
            from desktop.export.to_pdf import write_pdf

            return write_pdf
        case ExportFormat.docx:
            from desktop.export.to_docx import write_docx

            return write_docx


def file_name(book: Book, format: ExportFormat) -> str:
    return f"{safe_file_name(book.title)}.{format.extension}"


def _no_progress(done: int, total: int) -> None:
    pass


def export_book(book: Book, format: ExportFormat, out_path: Path, progress: Progress = _no_progress) -> ExportResult:
    """Write `book` to `out_path` (a file; or a folder, in which the file is named from the title), calling
    `progress(done, total)` after each chapter, the last only once the file is complete. Raises OSError when the
    file cannot be written; scenes without a usable image are exported with a placeholder and named in `warnings`."""
    out = out_path / file_name(book, format) if out_path.is_dir() else out_path
    walk = ChapterWalk(book, progress)
    files = _writer(format)(walk, out)
    progress(len(book.chapters), len(book.chapters))
    return ExportResult(format=format, path=out, files=files, warnings=tuple(walk.warnings))
