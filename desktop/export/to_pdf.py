"""PDF through Qt's own QPdfWriter and QTextDocument (no extra dependency): a title page, then each scene from the
top of a new page with its image, text flowing on as far as it needs, and page numbers below.

Runs on a worker thread: QPdfWriter, QPainter, QImage and QTextDocument need a QGuiApplication in the process
(for fonts), not the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from desktop.export.book import Book, Chapter
from desktop.export.files import replaced_on_success
from desktop.export.images import ChapterWalk, Illustration
from desktop.export.markup import escape_html, html_paragraphs

RESOLUTION = 300  # dots per inch of the layout; images keep their own pixels in the file
PAGE = QPageSize.PageSizeId.A5  # a book's page: about 60 characters a line at 11 pt
MARGINS_MM = (18.0, 18.0, 18.0, 22.0)  # left, top, right, bottom (the page number sits in the bottom one)
FONT_FAMILIES = ["Charter", "Georgia", "Cambria", "DejaVu Serif", "Noto Serif", "serif"]
FONT_POINTS = 11
IMAGE_MAX_HEIGHT = 0.55  # of the text area: a scene's text starts on its image's page
# Qt's rich text takes margins in px only (CSS pixels, which the layout scales to the writer's dots); it does not
# scale a text-indent, so paragraphs are set apart by space rather than indented.
CSS = """
h1 { font-size: 24pt; font-weight: 600; }
h2 { font-size: 16pt; font-weight: 600; margin-bottom: 14px; }
p { margin-top: 0; margin-bottom: 9px; line-height: 135%; }
p.first { margin-top: 16px; }
.subtitle { font-style: italic; color: #555; margin-top: 12px; }
.byline { color: #555; margin-top: 24px; }
.placeholder { color: #666; font-style: italic; }
"""


def _mm_to_dots(mm: float) -> float:
    return mm / 25.4 * RESOLUTION


class _Pages:
    """Lays documents out on the writer's pages, one after another, each starting on a new page."""

    def __init__(self, writer: QPdfWriter, painter: QPainter) -> None:
        self.writer = writer
        self.painter = painter
        left, top, right, bottom = (_mm_to_dots(mm) for mm in MARGINS_MM)
        self.body = QRectF(left, top, writer.width() - left - right, writer.height() - top - bottom)
        self.number = 0
        self.footer_font = QFont(FONT_FAMILIES, 9)

    def document(self, html: str) -> QTextDocument:
        document = QTextDocument()
        document.documentLayout().setPaintDevice(self.writer)
        document.setDefaultFont(QFont(FONT_FAMILIES, FONT_POINTS))
        document.setDefaultStyleSheet(CSS)
        document.setDocumentMargin(0)
        document.setHtml(html)
        return document

    def _new_page(self) -> None:
        if self.number:
            self.writer.newPage()
        self.number += 1

    def draw_centred(self, document: QTextDocument) -> None:
        document.setTextWidth(self.body.width())
        self._new_page()
        drop = max(0.0, (self.body.height() - document.size().height()) * 0.4)
        self.painter.save()
        self.painter.translate(self.body.left(), self.body.top() + drop)
        document.drawContents(self.painter, QRectF(0, 0, self.body.width(), self.body.height()))
        self.painter.restore()

    def draw_flowing(self, document: QTextDocument) -> None:
        document.setPageSize(QSizeF(self.body.width(), self.body.height()))
        for page in range(document.pageCount()):
            self._new_page()
            top = page * self.body.height()
            self.painter.save()
            self.painter.translate(self.body.left(), self.body.top() - top)
            document.drawContents(self.painter, QRectF(0, top, self.body.width(), self.body.height()))
            self.painter.restore()
            self._page_number()

    def _page_number(self) -> None:
        self.painter.save()
        self.painter.setFont(self.footer_font)
        self.painter.setPen(QColor("#555555"))
        footer = QRectF(
            self.body.left(), self.body.bottom(), self.body.width(), self.writer.height() - self.body.bottom()
        )
        self.painter.drawText(footer, Qt.AlignmentFlag.AlignCenter, str(self.number))
        self.painter.restore()

    def image_size(self, image: QImage) -> tuple[float, float]:
        """The image's size in the document's units (CSS pixels, which the layout scales to the writer's dots)."""
        to_pixels = 96 / RESOLUTION
        width, height = self.body.width(), self.body.height() * IMAGE_MAX_HEIGHT
        scale = min(width / image.width(), height / image.height())
        return image.width() * scale * to_pixels, image.height() * scale * to_pixels


def _title_html(book: Book) -> str:
    lines = [f'<h1 align="center">{escape_html(book.display_title)}</h1>']
    if book.subtitle.strip():
        lines.append(f'<p class="subtitle" align="center">{escape_html(book.subtitle)}</p>')
    if book.byline.strip():
        lines.append(f'<p class="byline" align="center">{escape_html(book.byline)}</p>')
    return "\n".join(lines)


def _chapter_document(pages: _Pages, chapter: Chapter, image: QImage, placeholder: str) -> QTextDocument:
    if image.isNull():
        figure = (
            '<div class="figure"><table width="100%" cellpadding="24" border="1" bordercolor="#bbbbbb" '
            f'style="border-style: dashed"><tr><td align="center" class="placeholder">{escape_html(placeholder)}'
            "</td></tr></table></div>"
        )
    else:
        width, height = pages.image_size(image)
        # In a div, not a p: the text's line height would stretch the image's line too.
        size = f'width="{width:.0f}" height="{height:.0f}"'
        figure = f'<div class="figure" align="center"><img src="image:scene" {size}/></div>'
    text = html_paragraphs(chapter.text).replace("<p>", '<p class="first">', 1)
    document = pages.document(f'<h2 align="center">{escape_html(chapter.heading)}</h2>\n{figure}\n{text}')
    if not image.isNull():
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl("image:scene"), image)
        document.markContentsDirty(0, document.characterCount())
    return document


def _decoded(walk: ChapterWalk, chapter: Chapter, illustration: Illustration) -> tuple[QImage, str]:
    """The image to draw, or none and the placeholder's text; an image that only fails here is reported too."""
    if illustration.image is None:
        return QImage(), illustration.placeholder
    image = QImage.fromData(illustration.image.data)
    if image.isNull():
        walk.warnings.append(f"Scene {chapter.number}: its image could not be decoded; a placeholder is in its place.")
        return image, "No image for this scene: its file could not be read."
    return image, ""


def write_pdf(walk: ChapterWalk, out: Path) -> tuple[Path, ...]:
    if QGuiApplication.instance() is None:  # Qt would abort the process at the first font
        raise RuntimeError("PDF export needs a QGuiApplication in the process (for its fonts)")
    book = walk.book
    with replaced_on_success(out) as temporary:
        writer = QPdfWriter(str(temporary))
        writer.setResolution(RESOLUTION)
        writer.setPageLayout(QPageLayout(QPageSize(PAGE), QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
        writer.setTitle(book.display_title)
        writer.setCreator("Storyforge")
        painter = QPainter()
        if not painter.begin(writer):
            raise OSError(f"Could not write the PDF file {out}")
        try:
            pages = _Pages(writer, painter)
            pages.draw_centred(pages.document(_title_html(book)))
            for chapter, illustration in walk:
                image, placeholder = _decoded(walk, chapter, illustration)
                pages.draw_flowing(_chapter_document(pages, chapter, image, placeholder))
        finally:
            painter.end()
    return (out,)
