"""`storyforge generate --bible FILE` and `storyforge bible STORY_ID` as a script uses them: the bible given is the
one every image is asked with and the one printed back; a bible file that cannot be used is one line, before
anything is written."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import asyncpg

from desktop.bible import Bible
from tests.conftest import Run
from tests.support.cli import storyforge

BIBLE_TOML = """\
style = "woodcut, muted blues"
notes = "Winter on a northern coast."
era = "1890s"  # a key Storyforge does not know: kept

[[characters]]
name = "Maren Holt"
role = "the keeper"
description = "Keeps the lighthouse alone."
look = "grey wool coat, red scarf, silver braid"
voice = "low"

[[characters]]
name = "Ole"
role = "her brother"
look = "oilskin hat, black beard"

[[places]]
name = "Skarv Light"
description = "A lighthouse on a rock."
look = "white tower, red lantern room"
"""

EXPECTED = {
    "style": "woodcut, muted blues",
    "notes": "Winter on a northern coast.",
    "era": "1890s",
    "characters": [
        {
            "name": "Maren Holt",
            "role": "the keeper",
            "description": "Keeps the lighthouse alone.",
            "look": "grey wool coat, red scarf, silver braid",
            "voice": "low",
        },
        {"name": "Ole", "role": "her brother", "description": "", "look": "oilskin hat, black beard"},
    ],
    "places": [
        {"name": "Skarv Light", "description": "A lighthouse on a rock.", "look": "white tower, red lantern room"}
    ],
}

ABOUT = ("--title", "The Lamp", "--prompt", "Maren keeps the Skarv Light through a storm.")
STORY = (*ABOUT, "--scenes", "2")


def written(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def listed(data_dir: Path, database_url: str) -> list[object]:
    result = storyforge(data_dir, database_url, "list", "--json")
    assert result.returncode == 0, result.stderr
    stories: list[object] = json.loads(result.stdout)
    return stories


def test_the_bible_given_is_kept_asked_with_and_printed_back(
    tmp_path: Path, app_data_dir: Path, database_url: str, pool: asyncpg.Pool, run: Run
) -> None:
    bible_file = written(tmp_path, "lamp.toml", BIBLE_TOML)
    result = storyforge(app_data_dir, database_url, "generate", *STORY, "--bible", str(bible_file), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["bible"] == EXPECTED

    # Each picture was asked with the style and the look of everyone its scene names.
    bible = Bible.model_validate(EXPECTED)
    story_id = uuid.UUID(summary["story_id"])
    rows = run(pool.fetch("SELECT title, text, image_prompt, asked_image FROM scenes WHERE story_id = $1", story_id))
    assert len(rows) == 2
    checked = 0
    for row in rows:
        assert "Style: woodcut, muted blues" in row["asked_image"]
        for entry in [*bible.characters, *bible.places]:
            # Named where the painter looks: the scene's title, its picture's prompt and its text.
            if entry.named_in(" ".join([row["title"], row["image_prompt"], row["text"]])):
                assert entry.look in row["asked_image"], (entry.name, row["asked_image"])
                checked += 1
            else:  # Ole is in no scene: his look would only mislead the painter
                assert entry.look not in row["asked_image"], (entry.name, row["asked_image"])
    assert checked, [dict(row) for row in rows]

    as_json = storyforge(app_data_dir, database_url, "bible", summary["story_id"], "--json")
    assert (as_json.returncode, as_json.stderr) == (0, "")
    assert json.loads(as_json.stdout) == EXPECTED

    # What `bible --json` prints is a bible file the next story can be given.
    again = written(tmp_path, "again.json", as_json.stdout)
    second = storyforge(
        app_data_dir, database_url, "generate", *ABOUT, "--scenes", "1", "--bible", str(again), "--json"
    )
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["bible"] == EXPECTED

    plain = storyforge(app_data_dir, database_url, "bible", summary["story_id"])
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert lines[0] == "The bible of “The Lamp”"
    for line in [
        "Style:",
        "  woodcut, muted blues",
        "Notes:",
        "Characters:",
        "  Maren Holt (the keeper)",
        "    Keeps the lighthouse alone.",
        "    Looks: grey wool coat, red scarf, silver braid",
        "  Ole (her brother)",
        "Places:",
        "  Skarv Light",
        "    Looks: white tower, red lantern room",
    ]:
        assert line in lines, plain.stdout


def test_malformed_toml_is_one_line_naming_where_and_nothing_is_written(
    tmp_path: Path, app_data_dir: Path, database_url: str
) -> None:
    bible_file = written(tmp_path, "broken.toml", 'style = "ink"\n[[characters]\nname = "Maren"\n')
    result = storyforge(app_data_dir, database_url, "generate", *STORY, "--bible", str(bible_file), "--json")
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"storyforge: {bible_file}: not valid TOML: ")
    assert "line 2" in result.stderr
    assert listed(app_data_dir, database_url) == []


def test_a_character_without_a_name_is_named_in_one_line(tmp_path: Path, app_data_dir: Path, database_url: str) -> None:
    bible_file = written(tmp_path, "nameless.json", json.dumps({"characters": [{"role": "the keeper"}]}))
    result = storyforge(app_data_dir, database_url, "generate", *STORY, "--bible", str(bible_file))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"storyforge: {bible_file}: characters.0.name: Field required.\n"
    assert listed(app_data_dir, database_url) == []


def test_wrong_types_and_an_unreadable_file_are_each_one_line(
    tmp_path: Path, app_data_dir: Path, database_url: str
) -> None:
    wrong = written(tmp_path, "wrong.toml", 'style = "ink"\ncharacters = "Maren, Ole"\n')
    missing = tmp_path / "missing.toml"
    for path, words in [(wrong, ": characters: "), (missing, ": cannot be read: ")]:
        result = storyforge(app_data_dir, database_url, "generate", *STORY, "--bible", str(path))
        assert (result.returncode, result.stdout) == (2, "")
        assert len(result.stderr.splitlines()) == 1 and f"{path}{words}" in result.stderr, result.stderr
    assert listed(app_data_dir, database_url) == []


def test_bible_refuses_an_unknown_id_and_a_malformed_one(app_data_dir: Path, database_url: str) -> None:
    unknown = str(uuid.uuid4())
    gone = storyforge(app_data_dir, database_url, "bible", unknown)
    assert (gone.returncode, gone.stdout, gone.stderr) == (1, "", f"storyforge: no story has the id {unknown}.\n")
    malformed = storyforge(app_data_dir, database_url, "bible", "not-an-id")
    assert (malformed.returncode, malformed.stdout) == (2, "")
    assert len(malformed.stderr.splitlines()) == 1 and "not-an-id" in malformed.stderr


def test_bible_refuses_a_story_in_the_trash(app_data_dir: Path, database_url: str) -> None:
    made = storyforge(app_data_dir, database_url, "generate", *ABOUT, "--scenes", "1", "--json")
    assert made.returncode == 0, made.stderr
    story_id = json.loads(made.stdout)["story_id"]
    assert storyforge(app_data_dir, database_url, "delete", story_id).returncode == 0
    trashed = storyforge(app_data_dir, database_url, "bible", story_id)
    assert (trashed.returncode, trashed.stdout) == (1, "")
    assert trashed.stderr == "storyforge: That story is in the trash — restore it first.\n"
