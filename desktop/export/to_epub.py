"""EPUB 3, written as the zip the specification lays out (no AGPL library in our bundle): a cover, a title page,
a table of contents (nav.xhtml, and toc.ncx for EPUB 2 readers), one chapter per scene with its image.

Only the core image types go in: WebP (not core before EPUB 3.3, and epubcheck refuses it without a fallback)
becomes JPEG or PNG. Images are stored, not deflated: they are compressed already.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from desktop.export.book import Book
from desktop.export.files import replaced_on_success
from desktop.export.images import ChapterWalk, SceneImage, as_png_or_jpeg
from desktop.export.markup import escape_html, html_paragraphs

STYLE = """
body { margin: 0 5%; font-family: serif; line-height: 1.5; }
h1, h2 { font-weight: bold; line-height: 1.2; text-align: center; page-break-after: avoid; }
h1 { font-size: 1.8em; margin: 30% 0 0.8em; }
h2 { font-size: 1.4em; margin: 1.5em 0 1em; }
p { margin: 0; text-indent: 1.5em; text-align: justify; }
h2 + figure + p, .placeholder + p { text-indent: 0; }
figure { margin: 0 0 1.5em; text-align: center; page-break-inside: avoid; }
figure img { max-width: 100%; max-height: 60vh; }
.placeholder { border: 1px dashed gray; padding: 2em 1em; font-style: italic; text-align: center; }
.subtitle { font-style: italic; text-align: center; text-indent: 0; margin-top: 1em; }
.byline { text-align: center; text-indent: 0; margin-top: 2em; font-variant: small-caps; }
.cover { margin: 0; padding: 0; text-align: center; }
.cover img { max-width: 100%; max-height: 100vh; }
nav ol { list-style: none; padding: 0; }
nav li { margin: 0.4em 0; }
""".strip()

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"""


@dataclass(frozen=True)
class _Item:
    id: str
    href: str
    media_type: str
    properties: str = ""


def _page(book: Book, title: str, body: str, *, epub_type: str = "") -> str:
    language = escape_html(book.language)
    body_type = f' epub:type="{epub_type}"' if epub_type else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"
 xml:lang="{language}" lang="{language}">
<head>
<meta charset="utf-8"/>
<title>{escape_html(title)}</title>
<link rel="stylesheet" type="text/css" href="style.css"/>
</head>
<body{body_type}>
{body}
</body>
</html>
"""


def _figure(image_href: str | None, alt: str, placeholder: str) -> str:
    if image_href is None:
        return f'<div class="placeholder">{escape_html(placeholder)}</div>'
    return f'<figure><img src="{image_href}" alt="{escape_html(alt)}"/></figure>'


def _title_page(book: Book) -> str:
    lines = [f"<h1>{escape_html(book.display_title)}</h1>"]
    if book.subtitle.strip():
        lines.append(f'<p class="subtitle">{escape_html(book.subtitle)}</p>')
    if book.byline.strip():
        lines.append(f'<p class="byline">{escape_html(book.byline)}</p>')
    return _page(book, book.display_title, "\n".join(lines), epub_type="frontmatter")


def _nav(book: Book, chapters: list[tuple[str, str]], has_cover: bool) -> str:
    entries = "\n".join(f'<li><a href="{href}">{escape_html(heading)}</a></li>' for href, heading in chapters)
    landmarks = ['<li><a epub:type="cover" href="cover.xhtml">Cover</a></li>'] if has_cover else []
    landmarks += ['<li><a epub:type="titlepage" href="title.xhtml">Title page</a></li>']
    landmarks += ['<li><a epub:type="toc" href="nav.xhtml">Contents</a></li>']
    if chapters:
        landmarks.append(f'<li><a epub:type="bodymatter" href="{chapters[0][0]}">Start of the story</a></li>')
    body = (
        f'<nav epub:type="toc" id="toc">\n<h2>Contents</h2>\n<ol>\n{entries}\n</ol>\n</nav>\n'
        f'<nav epub:type="landmarks" hidden="hidden">\n<ol>\n{chr(10).join(landmarks)}\n</ol>\n</nav>'
    )
    if not chapters:  # a nav's list may not be empty
        body = body.replace(f"<ol>\n{entries}\n</ol>", '<ol><li><a href="title.xhtml">Title page</a></li></ol>', 1)
    return _page(book, "Contents", body)


def _ncx(book: Book, chapters: list[tuple[str, str]]) -> str:
    points = "\n".join(
        f'<navPoint id="point-{order}" playOrder="{order}"><navLabel><text>{escape_html(heading)}</text></navLabel>'
        f'<content src="{href}"/></navPoint>'
        for order, (href, heading) in enumerate([("title.xhtml", book.display_title), *chapters], start=1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">
<head>
<meta name="dtb:uid" content="urn:uuid:{book.identifier}"/>
<meta name="dtb:depth" content="1"/>
<meta name="dtb:totalPageCount" content="0"/>
<meta name="dtb:maxPageNumber" content="0"/>
</head>
<docTitle><text>{escape_html(book.display_title)}</text></docTitle>
<navMap>
{points}
</navMap>
</ncx>
"""


def _package(book: Book, items: list[_Item], spine: list[str]) -> str:
    modified = _utc(book)
    metadata = [
        f'<dc:identifier id="book-id">urn:uuid:{book.identifier}</dc:identifier>',
        f"<dc:title>{escape_html(book.display_title)}</dc:title>",
        f"<dc:language>{escape_html(book.language)}</dc:language>",
        f'<meta property="dcterms:modified">{modified}</meta>',
    ]
    if book.byline.strip():
        metadata.append(f"<dc:creator>{escape_html(book.byline)}</dc:creator>")
    if book.subtitle.strip():
        metadata.append(f"<dc:description>{escape_html(book.subtitle)}</dc:description>")
    cover = next((item for item in items if "cover-image" in item.properties), None)
    if cover is not None:  # EPUB 2 readers find the cover by this
        metadata.append(f'<meta name="cover" content="{cover.id}"/>')
    manifest = "\n".join(
        f'<item id="{item.id}" href="{item.href}" media-type="{item.media_type}"'
        + (f' properties="{item.properties}"' if item.properties else "")
        + "/>"
        for item in items
    )
    itemrefs = "\n".join(f'<itemref idref="{idref}"/>' for idref in spine)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id"
 xml:lang="{escape_html(book.language)}">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
{chr(10).join(metadata)}
</metadata>
<manifest>
{manifest}
</manifest>
<spine toc="ncx">
{itemrefs}
</spine>
</package>
"""


def _utc(book: Book) -> str:
    moment = book.modified if book.modified.tzinfo else book.modified.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_epub(walk: ChapterWalk, out: Path) -> tuple[Path, ...]:
    book = walk.book
    items = [
        _Item("nav", "nav.xhtml", "application/xhtml+xml", "nav"),
        _Item("ncx", "toc.ncx", "application/x-dtbncx+xml"),
        _Item("style", "style.css", "text/css"),
        _Item("title", "title.xhtml", "application/xhtml+xml"),
    ]
    spine = ["title", "nav"]
    chapters: list[tuple[str, str]] = []
    cover: SceneImage | None = None
    cover_href = ""
    with replaced_on_success(out) as temporary, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        # The first entry, stored, with no extra field: how a reader recognises the file.
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", CONTAINER)
        archive.writestr("EPUB/style.css", STYLE)
        archive.writestr("EPUB/title.xhtml", _title_page(book))
        for chapter, illustration in walk:
            image_href: str | None = None
            if illustration.image is not None:
                image = as_png_or_jpeg(illustration.image)
                image_href = f"images/scene-{chapter.number:03d}.{image.kind.extension}"
                properties = ""
                if cover is None:
                    cover, cover_href, properties = image, image_href, "cover-image"
                items.append(_Item(f"image-{chapter.number}", image_href, image.kind.content_type, properties))
                archive.writestr(f"EPUB/{image_href}", image.data, compress_type=zipfile.ZIP_STORED)
            href = f"scene-{chapter.number:03d}.xhtml"
            body = (
                f'<section epub:type="chapter">\n<h2>{escape_html(chapter.heading)}</h2>\n'
                f"{_figure(image_href, chapter.heading, illustration.placeholder)}\n"
                f"{html_paragraphs(chapter.text)}\n</section>"
            )
            archive.writestr(f"EPUB/{href}", _page(book, chapter.heading, body, epub_type="bodymatter"))
            items.append(_Item(f"scene-{chapter.number}", href, "application/xhtml+xml"))
            spine.append(f"scene-{chapter.number}")
            chapters.append((href, chapter.heading))
        if cover is not None:
            cover_page = f'<div class="cover"><img src="{cover_href}" alt="Cover"/></div>'
            archive.writestr("EPUB/cover.xhtml", _page(book, "Cover", cover_page, epub_type="cover"))
            items.insert(3, _Item("cover", "cover.xhtml", "application/xhtml+xml"))
            spine.insert(0, "cover")
        archive.writestr("EPUB/nav.xhtml", _nav(book, chapters, cover is not None))
        archive.writestr("EPUB/toc.ncx", _ncx(book, chapters))
        archive.writestr("EPUB/package.opf", _package(book, items, spine))
    return (out,)
