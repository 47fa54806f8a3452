"""Plain scene text into each format's markup. Everything is escaped: a title or a sentence is never markup."""

from __future__ import annotations

import html
import re

# XML 1.0 has no place for most control characters (an XHTML file or a Word part with one is broken), and the
# other formats have no use for them.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def clean(text: str) -> str:
    return _NOT_TEXT.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def paragraphs(text: str) -> list[list[str]]:
    """The text's paragraphs (separated by blank lines), each as its lines, with surrounding blanks dropped."""
    found = []
    for block in _BLANK_LINE.split(clean(text)):
        lines = [line.strip() for line in block.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            found.append(lines)
    return found


def escape_html(text: str) -> str:
    return html.escape(clean(text), quote=True)


def html_paragraphs(text: str, indent: str = "") -> str:
    """`<p>` elements, a single line break inside a paragraph kept as `<br/>` (valid in HTML and XHTML alike)."""
    return "\n".join(
        f"{indent}<p>{'<br/>'.join(escape_html(line) for line in lines)}</p>" for lines in paragraphs(text)
    )


# Backslash escapes for what would otherwise become emphasis, links, code, raw HTML or entities in CommonMark.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]{}<>&|~!])")
# What a line may start with to become a heading, a quote, a list item or a thematic break.
_MARKDOWN_LINE_START = re.compile(r"^(#|>|[-+=]|\d+[.)])")


def escape_markdown(line: str) -> str:
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", " ".join(clean(line).split()))
    return _MARKDOWN_LINE_START.sub(lambda match: match.group(1)[:-1] + "\\" + match.group(1)[-1], escaped)


def markdown_paragraphs(text: str) -> str:
    """Paragraphs separated by blank lines; a line break inside one is a hard break (a trailing backslash)."""
    return "\n\n".join("\\\n".join(escape_markdown(line) for line in lines) for lines in paragraphs(text))
