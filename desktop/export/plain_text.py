"""A book as plain text, the way a writer pastes a story into a mail or another editor: the title, what it is about,
then each scene's heading and its paragraphs, separated by blank lines."""

from __future__ import annotations

from desktop.export.book import Book
from desktop.export.markup import clean, paragraphs


def book_text(book: Book) -> str:
    parts = [clean(book.display_title)]
    if book.subtitle.strip():
        parts.append(clean(book.subtitle.strip()))
    for chapter in book.chapters:
        parts.append(f"{chapter.number}. {clean(chapter.heading)}")
        parts.extend("\n".join(lines) for lines in paragraphs(chapter.text))
    return "\n\n".join(parts) + "\n"
