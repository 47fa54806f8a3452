"""`storyforge export` as a script uses it: a generated story, named by id or by title, to each format."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.support.cli import storyforge


@pytest.fixture
def story_id(app_data_dir: Path, database_url: str) -> str:
    made = storyforge(
        app_data_dir, database_url, "generate", "--title", "The Glass Orchard", "--prompt", "A glassblower.", "--json"
    )
    assert made.returncode == 0, made.stderr
    return str(json.loads(made.stdout)["story_id"])


def test_each_format_is_written_into_a_folder_named_by_its_spelling(
    app_data_dir: Path, database_url: str, story_id: str, tmp_path: Path
) -> None:
    out = tmp_path / "exports"  # not there yet: the trailing slash says it is a folder
    written = {}
    for format in ("md", "html", "epub", "pdf", "docx"):
        result = storyforge(app_data_dir, database_url, "export", story_id, "--format", format, "--out", f"{out}/")
        assert result.returncode == 0, result.stderr
        assert "Exported." in result.stderr
        written[format] = Path(result.stdout.strip())
    assert {path.name for path in written.values()} == {
        "The Glass Orchard.md",
        "The Glass Orchard.html",
        "The Glass Orchard.epub",
        "The Glass Orchard.pdf",
        "The Glass Orchard.docx",
    }
    assert all(path.parent == out and path.stat().st_size > 0 for path in written.values())
    markdown = written["md"].read_text(encoding="utf-8")
    assert "# The Glass Orchard" in markdown and "](The%20Glass%20Orchard%20images/scene-001" in markdown
    with zipfile.ZipFile(written["epub"]) as epub:
        assert epub.read("mimetype") == b"application/epub+zip"
    assert written["pdf"].read_bytes().startswith(b"%PDF")


def test_a_story_is_found_by_its_title_in_any_case(
    app_data_dir: Path, database_url: str, story_id: str, tmp_path: Path
) -> None:
    target = tmp_path / "orchard.html"
    result = storyforge(
        app_data_dir, database_url, "export", "--title", "the glass orchard", "--format", "html", "--out", str(target)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(target) and "<h1" in target.read_text(encoding="utf-8")


def test_what_cannot_be_exported_is_one_clear_line(
    app_data_dir: Path, database_url: str, story_id: str, tmp_path: Path
) -> None:
    unknown = storyforge(app_data_dir, database_url, "export", "--title", "Nope", "--format", "md", "--out", "x.md")
    assert (unknown.returncode, unknown.stderr) == (1, "storyforge: no story is titled 'Nope'.\n")
    bad_id = storyforge(app_data_dir, database_url, "export", "1234", "--format", "md", "--out", "x.md")
    assert bad_id.returncode == 2 and bad_id.stderr.count("\n") == 1 and "must be a story's id" in bad_id.stderr
    (tmp_path / "a-file").write_text("not a folder")
    blocked = tmp_path / "a-file" / "story.pdf"
    unwritable = storyforge(app_data_dir, database_url, "export", story_id, "--format", "pdf", "--out", str(blocked))
    assert unwritable.returncode == 1
    assert unwritable.stderr.strip().splitlines()[-1] == (
        f"storyforge: cannot write {blocked}. A file stands where Storyforge needs a folder, or a folder where it "
        "needs a file — move it away."
    )
