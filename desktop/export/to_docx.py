"""Word (.docx) through python-docx: the title page, then each scene under a Heading 1 on a new page, its image
inline at the text's width (a tall one at most half a page high), its paragraphs in the Normal style, so a writer's
own Word styles restyle the whole story."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI
from docx.opc.pkgwriter import _ContentTypesItem
from docx.section import Section
from docx.shared import Emu, Pt, RGBColor

from desktop.export.files import replaced_on_success
from desktop.export.images import ChapterWalk, Illustration, as_png_or_jpeg
from desktop.export.markup import clean, paragraphs

IMAGE_MAX_HEIGHT = 0.5  # of the text area's height
MUTED = RGBColor(0x66, 0x66, 0x66)


def _save(document: WordDocument, path: Path) -> None:
    """As python-docx's own save (OpcPackage.save and PackageWriter.write), except that images are stored rather
    than deflated: they are compressed already, and deflating them again took most of a 50-scene export's time."""
    package = document.part.package
    parts = list(package.iter_parts())
    for part in parts:
        part.before_marshal()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CONTENT_TYPES_URI.membername, _ContentTypesItem.from_parts(parts).blob)
        archive.writestr(PACKAGE_URI.rels_uri.membername, package.rels.xml)
        for part in parts:
            media = part.partname.startswith("/word/media/")
            archive.writestr(part.partname.membername, part.blob, zipfile.ZIP_STORED if media else zipfile.ZIP_DEFLATED)
            if len(part.rels):
                archive.writestr(part.partname.rels_uri.membername, part.rels.xml)


def _figure(document: WordDocument, illustration: Illustration, width: int, height: int) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if illustration.image is None:
        run = paragraph.add_run(illustration.placeholder)
        run.italic = True
        run.font.color.rgb = MUTED
        return
    # python-docx reads PNG, JPEG, GIF, BMP and TIFF; WebP becomes one of the first two.
    image = as_png_or_jpeg(illustration.image)
    scale = min(width / image.width, height / image.height)
    paragraph.add_run().add_picture(
        io.BytesIO(image.data), width=Emu(int(image.width * scale)), height=Emu(int(image.height * scale))
    )


def _text_area(section: Section) -> tuple[int, int]:
    """The width and height between the margins, in EMU (the default template sets every one of them)."""
    sizes = [section.page_width, section.left_margin, section.right_margin]
    sizes += [section.page_height, section.top_margin, section.bottom_margin]
    page_width, left, right, page_height, top, bottom = (int(size or 0) for size in sizes)
    return page_width - left - right, page_height - top - bottom


def write_docx(walk: ChapterWalk, out: Path) -> tuple[Path, ...]:
    book = walk.book
    document = Document()
    document.core_properties.title = clean(book.display_title)
    document.core_properties.author = clean(book.byline)
    document.core_properties.subject = clean(book.subtitle)[:255]
    section = document.sections[0]
    width, height = _text_area(section)
    height = int(height * IMAGE_MAX_HEIGHT)

    document.add_heading(clean(book.display_title), level=0)
    if book.subtitle.strip():
        document.add_paragraph(clean(book.subtitle), style="Subtitle")
    if book.byline.strip():
        byline = document.add_paragraph().add_run(clean(book.byline))
        byline.font.size = Pt(12)
        byline.font.color.rgb = MUTED
    for chapter, illustration in walk:
        heading = document.add_heading(clean(chapter.heading), level=1)
        heading.paragraph_format.page_break_before = True
        _figure(document, illustration, width, height)
        for lines in paragraphs(chapter.text):
            paragraph = document.add_paragraph()
            for number, line in enumerate(lines):
                run = paragraph.add_run(line)
                if number < len(lines) - 1:
                    run.add_break(WD_BREAK.LINE)
    with replaced_on_success(out) as temporary:
        _save(document, temporary)
    return (out,)
