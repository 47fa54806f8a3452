"""Export a story the way a writer would, to every format, and open what was written as a reader's app would:
Markdown whose image links resolve, an HTML page that parses with its images inside, an EPUB that epubcheck passes,
a PDF with a page per scene, a Word file python-docx reads back. A scene whose image is missing, failed or damaged
still exports, with a placeholder, and the export says so."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import threading
import uuid
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import docx
import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication

from desktop.export import Book, Chapter, ExportFormat, ExportResult, book_from_story, export_book
from desktop.models import ImageStatus, Scene, Story, StoryRequest
from desktop.qt.executor import QThreadPoolExecutor

TITLE = "The Key in the Fish"


def painted(path: Path, format: str, size: tuple[int, int] = (320, 200), mode: str = "RGB") -> Path:
    colour = (40, 90, 160) if mode == "RGB" else (40, 90, 160, 128)
    Image.new(mode, size, colour).save(path, format)
    return path


def story_with_every_kind_of_image(folder: Path, title: str = TITLE) -> Book:
    """Scenes 1–3 with a PNG, a WebP and a JPEG; 4 missing its file; 5 whose painting failed; 6 a cut-off PNG;
    7 whose repaint failed but whose earlier image is on disk."""
    whole = painted(folder / "whole.png", "PNG").read_bytes()
    (folder / "damaged.png").write_bytes(whole[: len(whole) // 2])  # a download cut off half way
    chapters = (
        Chapter(
            1,
            "The harbour",
            "Mira walks to the harbour.\nThe gulls argue.\n\nA fish waits.",
            painted(folder / "1.png", "PNG"),
        ),
        Chapter(2, "The fish", "Inside it, a key.", painted(folder / "2.webp", "WEBP", (200, 320))),
        Chapter(3, "The door", "It opens.", painted(folder / "3.jpg", "JPEG")),
        Chapter(4, "The cellar", "Dark.", folder / "gone.png"),
        Chapter(5, "The stair", "Up.", None, "The image server answered 500"),
        Chapter(6, "The roof", "Wind.", folder / "damaged.png"),
        Chapter(7, "The light", "Morning.", painted(folder / "7.png", "PNG"), "Timed out after 60 s"),
    )
    return Book(title, "A lighthouse keeper finds a brass key in a fish.", "Written by Mira", chapters)


def image_bytes(book: Book, number: int) -> bytes:
    image = book.chapters[number - 1].image
    assert image is not None
    return image.read_bytes()


def export(book: Book, format: ExportFormat, folder: Path) -> ExportResult:
    out = folder / "out"
    out.mkdir(parents=True, exist_ok=True)
    return export_book(book, format, out)


def test_every_format_says_which_scenes_lack_their_image(tmp_path: Path, qapp: QApplication) -> None:
    book = story_with_every_kind_of_image(tmp_path)
    for format in ExportFormat:
        result = export(book, format, tmp_path)
        assert result.path.is_file() and result.path.name == f"{TITLE}.{format.extension}"
        assert [warning.split(":")[0] for warning in result.warnings] == ["Scene 4", "Scene 5", "Scene 6", "Scene 7"]
        assert "missing" in result.warnings[0] and "gone.png" in result.warnings[0]
        assert "The image server answered 500" in result.warnings[1]
        assert "a damaged PNG image" in result.warnings[2]
        assert "earlier image is used" in result.warnings[3]


def test_markdown_links_resolve_to_the_images_beside_it(tmp_path: Path) -> None:
    book = story_with_every_kind_of_image(tmp_path)
    result = export(book, ExportFormat.markdown, tmp_path)
    text = result.path.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == 4  # scenes 1, 2, 3 and 7
    for number, link in zip((1, 2, 3, 7), links, strict=True):
        assert not Path(unquote(link)).is_absolute()
        target = result.path.parent / unquote(link)
        assert target.read_bytes() == image_bytes(book, number)
        assert target in result.files
    assert text.count("No image for this scene") == 3
    assert next(line for line in text.splitlines() if line.startswith("## ")) == "## The harbour"
    assert "Mira walks to the harbour.\\\nThe gulls argue.\n\nA fish waits." in text


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_html_is_one_file_with_its_images_inside_and_reads_on_a_phone(tmp_path: Path) -> None:
    book = story_with_every_kind_of_image(tmp_path)
    result = export(book, ExportFormat.html, tmp_path)
    assert result.files == (result.path,)
    page = parsed(result.path.read_text(encoding="utf-8"))
    meta = [attrs for tag, attrs in page.tags if tag == "meta"]
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in meta
    assert [attrs["id"] for tag, attrs in page.tags if tag == "section"] == [f"scene-{n}" for n in range(1, 8)]
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(images) == 4
    for number, attrs in zip((1, 2, 3, 7), images, strict=True):
        kind, _, data = (attrs["src"] or "").partition(";base64,")
        assert kind == {1: "data:image/png", 2: "data:image/webp", 3: "data:image/jpeg", 7: "data:image/png"}[number]
        assert base64.b64decode(data) == image_bytes(book, number)
    assert "".join(page.text).count("No image for this scene") == 3
    style = "".join(page.text)
    assert "max-width: 36em" in style and "prefers-color-scheme: dark" in style


def test_titles_and_text_are_never_markup(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script> & <b>'
    chapters = (Chapter(1, hostile, f"{hostile}\n\n<img src=x onerror=alert(1)>", painted(tmp_path / "1.png", "PNG")),)
    book = Book(hostile, hostile, hostile, chapters)
    html = export(book, ExportFormat.html, tmp_path).path.read_text(encoding="utf-8")
    assert (
        "<script" not in html
        and "<b>" not in html
        and "onerror=alert" not in html.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    )
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in html
    page = parsed(html)
    assert [tag for tag, _ in page.tags if tag in ("script", "b")] == []
    markdown = export(book, ExportFormat.markdown, tmp_path).path.read_text(encoding="utf-8")
    assert re.search(r"(?<!\\)<", markdown) is None and "\\<script\\>" in markdown  # every < escaped
    with zipfile.ZipFile(export(book, ExportFormat.epub, tmp_path).path) as archive:
        chapter = archive.read("EPUB/scene-001.xhtml").decode()
    assert "<script" not in chapter and "&lt;script&gt;" in chapter


def _epubcheck() -> list[str] | None:
    # Debian's /usr/bin/epubcheck is a jar run through binfmt_misc, which containers often lack: run it with java.
    jar = Path("/usr/share/java/epubcheck.jar")
    if jar.is_file() and shutil.which("java"):
        return ["java", "-jar", str(jar)]
    return ["epubcheck"] if shutil.which("epubcheck") else None


def assert_valid_epub(path: Path) -> None:
    command = _epubcheck()
    if command is None:
        pytest.skip("epubcheck is not installed (Debian package 'epubcheck'; .ci/run installs it)")
    checked = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=120, check=False)
    report = checked.stdout + checked.stderr
    assert checked.returncode == 0, report
    assert "0 fatals / 0 errors / 0 warnings" in report, report


def test_epub_has_a_cover_a_title_page_a_table_of_contents_and_passes_epubcheck(tmp_path: Path) -> None:
    book = story_with_every_kind_of_image(tmp_path)
    result = export(book, ExportFormat.epub, tmp_path)
    with zipfile.ZipFile(result.path) as archive:
        first = archive.infolist()[0]
        assert (first.filename, first.compress_type, first.extra) == ("mimetype", zipfile.ZIP_STORED, b"")
        assert archive.read("mimetype") == b"application/epub+zip"
        package = archive.read("EPUB/package.opf").decode()
        nav = archive.read("EPUB/nav.xhtml").decode()
        names = archive.namelist()
    assert re.search(
        r'<item id="image-1" href="images/scene-001.png" media-type="image/png" properties="cover-image"/>', package
    )
    assert re.search(r'<dc:identifier id="book-id">urn:uuid:[0-9a-f-]{36}</dc:identifier>', package)
    assert re.search(r'<meta property="dcterms:modified">\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</meta>', package)
    assert "image/webp" not in package and "EPUB/images/scene-002.jpg" in names  # converted for every reader
    assert re.findall(r'<li><a href="(scene-\d+\.xhtml)">', nav) == [f"scene-{n:03d}.xhtml" for n in range(1, 8)]
    assert {"EPUB/cover.xhtml", "EPUB/title.xhtml", "EPUB/toc.ncx", "EPUB/style.css"} <= set(names)
    assert_valid_epub(result.path)


def test_an_epub_without_any_image_or_title_is_still_valid(tmp_path: Path) -> None:
    book = Book("", "", "", (Chapter(1, "", "Only words.", None), Chapter(2, "Two", "", None)))
    result = export(book, ExportFormat.epub, tmp_path)
    assert result.path.name == "Untitled story.epub"
    with zipfile.ZipFile(result.path) as archive:
        assert "cover-image" not in archive.read("EPUB/package.opf").decode()
    assert_valid_epub(result.path)


def pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", path.read_bytes()))


def test_pdf_has_a_title_page_and_a_page_per_short_scene(tmp_path: Path, qapp: QApplication) -> None:
    book = story_with_every_kind_of_image(tmp_path)
    result = export(book, ExportFormat.pdf, tmp_path)
    assert result.path.read_bytes().startswith(b"%PDF-")
    assert pdf_pages(result.path) == 1 + len(book.chapters)
    long_scene = "\n\n".join(["The tide went out and came back, and Mira kept counting the boats. " * 12] * 20)
    longer = Book(TITLE, chapters=(Chapter(1, "Long", long_scene, None),))
    assert pdf_pages(export(longer, ExportFormat.pdf, tmp_path / "long").path) > 3  # the text flows on


def test_pdf_exports_from_a_worker_thread(tmp_path: Path, qapp: QApplication) -> None:
    book = story_with_every_kind_of_image(tmp_path)
    executor = QThreadPoolExecutor(max_workers=1, name="export-test")
    threads: list[threading.Thread] = []

    def on_worker() -> ExportResult:
        threads.append(threading.current_thread())
        return export(book, ExportFormat.pdf, tmp_path)

    try:
        result = executor.submit(on_worker).result(timeout=60)
    finally:
        executor.shutdown(wait=True, timeout=10)
    assert threads and threads[0] is not threading.main_thread()
    assert pdf_pages(result.path) == 8


def test_docx_reopens_with_a_heading_and_an_image_per_scene(tmp_path: Path) -> None:
    book = story_with_every_kind_of_image(tmp_path)
    result = export(book, ExportFormat.docx, tmp_path)
    document = docx.Document(str(result.path))
    styles = [(paragraph.style.name, paragraph.text) for paragraph in document.paragraphs if paragraph.style]
    assert styles[0] == ("Title", TITLE)
    assert [text for style, text in styles if style == "Heading 1"] == [chapter.title for chapter in book.chapters]
    assert ("Normal", "Mira walks to the harbour.\nThe gulls argue.") in styles
    section = document.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    shapes = document.inline_shapes
    assert len(shapes) == 4
    assert all(0 < shape.width <= text_width for shape in shapes)
    assert shapes[0].width == text_width  # a landscape image spans the text's width
    assert sum("No image for this scene" in text for _, text in styles) == 3


def test_progress_counts_every_scene_once_the_file_is_whole(tmp_path: Path, qapp: QApplication) -> None:
    book = story_with_every_kind_of_image(tmp_path)
    for format in ExportFormat:
        seen: list[tuple[int, int, bool]] = []
        out = tmp_path / f"book.{format.extension}"

        def record(done: int, total: int, seen: list[tuple[int, int, bool]] = seen, out: Path = out) -> None:
            seen.append((done, total, out.exists()))

        export_book(book, format, out, record)
        assert [(done, total) for done, total, _ in seen] == [(n, 7) for n in range(1, 8)], format
        assert seen[-1][2], f"{format}: the last step is reported before the file is there"


def test_a_failed_export_leaves_no_half_file(tmp_path: Path) -> None:
    book = story_with_every_kind_of_image(tmp_path)
    out = tmp_path / "story.epub"
    out.write_bytes(b"the previous export")

    def interrupted(done: int, total: int) -> None:
        if done == 3:
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        export_book(book, ExportFormat.epub, out, interrupted)
    assert out.read_bytes() == b"the previous export"
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []


def test_webp_with_transparency_stays_png_for_word_and_epub(tmp_path: Path) -> None:
    image = painted(tmp_path / "clear.webp", "WEBP", mode="RGBA")
    book = Book(TITLE, chapters=(Chapter(1, "Glass", "Clear.", image),))
    with zipfile.ZipFile(export(book, ExportFormat.epub, tmp_path).path) as archive:
        converted = Image.open(io.BytesIO(archive.read("EPUB/images/scene-001.png")))
    assert converted.mode == "RGBA"
    assert len(docx.Document(str(export(book, ExportFormat.docx, tmp_path).path)).inline_shapes) == 1


def test_a_story_from_the_library_becomes_a_book_in_scene_order(tmp_path: Path) -> None:
    request = StoryRequest(title=TITLE, prompt="A lighthouse keeper finds a brass key in a fish.", scene_count=3)
    story = Story.create(request, uuid.uuid4())
    image = painted(tmp_path / "1.png", "PNG")
    first = Scene.create(story.id, 0, "The harbour", "Gulls.").model_copy(
        update={"image_path": str(image), "image_status": ImageStatus.painted}
    )
    failed = Scene.create(story.id, 2, "The stair", "Up.").model_copy(
        update={"image_status": ImageStatus.failed, "image_error": "The image server answered 500"}
    )
    pending = Scene.create(story.id, 1, "The fish", "A key.")
    book = book_from_story(story, [failed, first, pending], byline="Written by Mira")
    assert (book.title, book.subtitle, book.byline, book.identifier) == (
        TITLE,
        story.prompt,
        "Written by Mira",
        story.id,
    )
    assert [(chapter.number, chapter.title) for chapter in book.chapters] == [
        (1, "The harbour"),
        (2, "The fish"),
        (3, "The stair"),
    ]
    assert [chapter.image for chapter in book.chapters] == [image, None, None]
    assert [chapter.image_note for chapter in book.chapters] == ["", "", "The image server answered 500"]
    warnings = export(book, ExportFormat.html, tmp_path).warnings
    assert warnings == (
        "Scene 2: it has no image; a placeholder is in its place.",
        "Scene 3: its image failed (The image server answered 500); a placeholder is in its place.",
    )
