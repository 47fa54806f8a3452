"""A story to Markdown, HTML, EPUB 3, PDF or Word, with its images: `export_book(book, format, path, progress)`."""

from desktop.export.book import Book, Chapter, book_from_story
from desktop.export.exporter import export_book, file_name
from desktop.export.formats import ExportCancelled, ExportFormat, ExportResult, Progress
from desktop.export.names import safe_file_name
from desktop.export.plain_text import book_text

__all__ = [
    "Book",
    "Chapter",
    "ExportCancelled",
    "ExportFormat",
    "ExportResult",
    "Progress",
    "book_from_story",
    "book_text",
    "export_book",
    "file_name",
    "safe_file_name",
]
