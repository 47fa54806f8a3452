"""`storyforge list` as a script uses it: the library newest first, as lines or JSON, searched like the window's."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import asyncpg

from tests.conftest import Run
from tests.support.cli import storyforge


def generate(data_dir: Path, database_url: str, title: str) -> str:
    made = storyforge(
        data_dir, database_url, "generate", "--title", title, "--prompt", "A short tale.", "--scenes", "2", "--json"
    )
    assert made.returncode == 0, made.stderr
    return str(json.loads(made.stdout)["story_id"])


def test_the_library_is_listed_newest_first_as_lines_and_as_json(
    app_data_dir: Path, database_url: str, pool: asyncpg.Pool, run: Run
) -> None:
    older = generate(app_data_dir, database_url, "The Salt Road")
    newer = generate(app_data_dir, database_url, "Night Train")
    # The window refuses such a title now; a story from an older version may still carry one.
    run(pool.execute("UPDATE stories SET title = $1 WHERE id = $2", "Night \x1b[31mTrain", uuid.UUID(newer)))

    listed = storyforge(app_data_dir, database_url, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [newer, older]
    assert lines[0].split()[1:3] == ["complete", "2/2"]
    assert "Night \\x1b[31mTrain" in lines[0] and "\x1b" not in listed.stdout  # as the terminal can show it
    assert "The Salt Road" in lines[1]

    as_json = storyforge(app_data_dir, database_url, "list", "--json")
    assert as_json.returncode == 0, as_json.stderr
    stories = json.loads(as_json.stdout)
    assert [story["id"] for story in stories] == [newer, older]
    assert stories[0]["title"] == "Night \x1b[31mTrain"
    assert set(stories[1]) == {
        "id",
        "title",
        "status",
        "scene_count",
        "scenes_written",
        "created_at",
        "updated_at",
        "uploads_failed",
        "images_not_stored",
        "matched_scene",  # with --search: the index of the first scene whose words matched
    }
    assert stories[1]["matched_scene"] is None  # no search
    assert (stories[1]["status"], stories[1]["scene_count"], stories[1]["scenes_written"]) == ("complete", 2, 2)


def test_search_finds_a_story_by_its_title(app_data_dir: Path, database_url: str) -> None:
    generate(app_data_dir, database_url, "The Salt Road")
    wanted = generate(app_data_dir, database_url, "The Glass Orchard")

    found = storyforge(app_data_dir, database_url, "list", "--search", "orchard", "--json")
    assert found.returncode == 0, found.stderr
    assert [story["id"] for story in json.loads(found.stdout)] == [wanted]
    nothing = storyforge(app_data_dir, database_url, "list", "--search", "submarine")
    assert (nothing.returncode, nothing.stdout) == (0, "No stories match.\n")


def test_an_empty_library_says_so(app_data_dir: Path, database_url: str) -> None:
    listed = storyforge(app_data_dir, database_url, "list")
    assert (listed.returncode, listed.stdout) == (0, "No stories yet.\n")
    as_json = storyforge(app_data_dir, database_url, "list", "--json")
    assert (as_json.returncode, json.loads(as_json.stdout)) == (0, [])
