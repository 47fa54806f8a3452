"""Markdown: the story as a .md file and its images in a folder beside it, linked by relative paths, so the pair
can be moved or zipped together and opened in any Markdown viewer."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from desktop.export.files import replaced_on_success
from desktop.export.images import ChapterWalk
from desktop.export.markup import escape_markdown, markdown_paragraphs


def images_folder(out: Path) -> Path:
    return out.with_name(f"{out.stem} images")


def write_markdown(walk: ChapterWalk, out: Path) -> tuple[Path, ...]:
    book = walk.book
    folder = images_folder(out)
    written: list[Path] = []
    parts = [f"# {escape_markdown(book.display_title)}"]
    if book.subtitle.strip():
        parts.append(f"*{escape_markdown(book.subtitle)}*")
    if book.byline.strip():
        parts.append(escape_markdown(book.byline))
    for chapter, illustration in walk:
        parts.append(f"## {escape_markdown(chapter.heading)}")
        image = illustration.image
        if image is not None:
            folder.mkdir(parents=True, exist_ok=True)
            name = f"scene-{chapter.number:03d}.{image.kind.extension}"
            (folder / name).write_bytes(image.data)
            written.append(folder / name)
            link = quote(f"{folder.name}/{name}")
            parts.append(f"![{escape_markdown(chapter.heading)}]({link})")
        else:
            parts.append(f"> *{escape_markdown(illustration.placeholder)}*")
        if text := markdown_paragraphs(chapter.text):
            parts.append(text)
    with replaced_on_success(out) as temporary:
        temporary.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return (out, *written)
