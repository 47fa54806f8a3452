"""HTML: one self-contained page (images embedded), set for reading — a serif text column, images that fit a
phone's width, and colours that follow the reader's light or dark setting."""

from __future__ import annotations

import base64
from pathlib import Path

from desktop.export.files import replaced_on_success
from desktop.export.images import ChapterWalk
from desktop.export.markup import escape_html, html_paragraphs

STYLE = """
:root { color-scheme: light dark; --ink: #1f1d1a; --paper: #fbf9f4; --muted: #6d675e; --rule: #ddd6c9; }
@media (prefers-color-scheme: dark) {
  :root { --ink: #e6e1d8; --paper: #181715; --muted: #a19a8f; --rule: #3a3732; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--paper); color: var(--ink);
  font: 1.125rem/1.65 Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, "Noto Serif", serif;
  -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
main { max-width: 36em; margin: 0 auto; padding: 3rem 1.25rem 5rem; }
header { text-align: center; margin-bottom: 3rem; }
h1 { font-size: 2.2em; line-height: 1.15; margin: 0 0 .6em; font-weight: 600; }
h2 { font-size: 1.45em; line-height: 1.25; margin: 3.5rem 0 1rem; font-weight: 600; }
.subtitle { font-style: italic; color: var(--muted); margin: 0 auto 1em; }
.byline { color: var(--muted); font-variant: small-caps; letter-spacing: .04em; }
nav { border-top: 1px solid var(--rule); border-bottom: 1px solid var(--rule); padding: 1rem 0; margin-bottom: 2rem; }
nav ol { margin: 0; padding-left: 1.5em; }
nav a { color: inherit; text-decoration: none; }
nav a:hover { text-decoration: underline; }
figure { margin: 1.5rem 0; }
figure img { display: block; width: 100%; height: auto; border-radius: 3px; }
.placeholder { border: 1px dashed var(--rule); color: var(--muted); font-style: italic; text-align: center;
  padding: 3rem 1rem; border-radius: 3px; }
p { margin: 0; hyphens: auto; overflow-wrap: break-word; }
p + p { text-indent: 1.5em; }
""".strip()


def write_html(walk: ChapterWalk, out: Path) -> tuple[Path, ...]:
    book = walk.book
    title = escape_html(book.display_title)
    sections: list[str] = []
    contents: list[str] = []
    for chapter, illustration in walk:
        heading = escape_html(chapter.heading)
        anchor = f"scene-{chapter.number}"
        contents.append(f'<li><a href="#{anchor}">{heading}</a></li>')
        image = illustration.image
        if image is not None:
            source = f"data:{image.kind.content_type};base64,{base64.b64encode(image.data).decode('ascii')}"
            figure = (
                f'<figure><img src="{source}" alt="{heading}" width="{image.width}" height="{image.height}" '
                'loading="lazy" decoding="async"></figure>'
            )
        else:
            figure = f'<figure class="placeholder">{escape_html(illustration.placeholder)}</figure>'
        body = html_paragraphs(chapter.text)
        sections.append(f'<section id="{anchor}">\n<h2>{heading}</h2>\n{figure}\n{body}\n</section>')
    header = [f"<h1>{title}</h1>"]
    if book.subtitle.strip():
        header.append(f'<p class="subtitle">{escape_html(book.subtitle)}</p>')
    if book.byline.strip():
        header.append(f'<p class="byline">{escape_html(book.byline)}</p>')
    page = "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{escape_html(book.language)}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="Storyforge">',
            f"<title>{title}</title>",
            f"<style>\n{STYLE}\n</style>",
            "</head>",
            "<body>",
            "<main>",
            "<header>",
            *header,
            "</header>",
            '<nav aria-label="Scenes"><ol>',
            *contents,
            "</ol></nav>",
            *sections,
            "</main>",
            "</body>",
            "</html>",
        ]
    )
    with replaced_on_success(out) as temporary:
        temporary.write_text(page + "\n", encoding="utf-8")
    return (out,)
