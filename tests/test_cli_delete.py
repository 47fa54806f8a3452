"""`storyforge delete` as a script uses it: a story goes to the trash and leaves the list; the rest is refused in
one line."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import asyncpg

from desktop.db.repositories import StoryRepository, TrashRepository
from desktop.models import Story, StoryRequest, StoryStatus
from tests.conftest import Run
from tests.support.cli import storyforge

WRITER = uuid.uuid4()


def stored(stories: StoryRepository, run: Run, title: str) -> str:
    story = Story.create(StoryRequest(title=title, prompt="A short tale.", scene_count=2), user_id=WRITER)
    run(stories.create(story))
    run(stories.set_status(story.id, StoryStatus.complete))
    return str(story.id)


def listed_ids(data_dir: Path, database_url: str) -> list[str]:
    listed = storyforge(data_dir, database_url, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return [story["id"] for story in json.loads(listed.stdout)]


def test_a_deleted_story_leaves_the_list_and_waits_in_the_trash(
    app_data_dir: Path, database_url: str, stories: StoryRepository, pool: asyncpg.Pool, run: Run
) -> None:
    salt_road = stored(stories, run, "The Salt Road")
    night_train = stored(stories, run, "Night Train")

    deleted = storyforge(app_data_dir, database_url, "delete", salt_road)
    assert (deleted.returncode, deleted.stderr) == (0, "")
    assert deleted.stdout == "Moved “The Salt Road” to the trash — restore it from View → Trash in Storyforge.\n"
    assert listed_ids(app_data_dir, database_url) == [night_train]
    assert [story.title for story in run(TrashRepository(pool).stories())] == ["The Salt Road"]

    again = storyforge(app_data_dir, database_url, "delete", salt_road)
    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr == (
        "storyforge: “The Salt Road” is already in the trash — restore it from View → Trash in Storyforge.\n"
    )


def test_json_names_the_story_and_when_it_went(
    app_data_dir: Path, database_url: str, stories: StoryRepository, run: Run
) -> None:
    story_id = stored(stories, run, "Night Train")
    deleted = storyforge(app_data_dir, database_url, "delete", story_id, "--json")
    assert deleted.returncode == 0, deleted.stderr
    said = json.loads(deleted.stdout)
    assert (said["story_id"], said["title"]) == (story_id, "Night Train") and said["deleted_at"]
    assert listed_ids(app_data_dir, database_url) == []


def test_an_unknown_id_and_a_bad_id_are_refused_in_one_line(app_data_dir: Path, database_url: str) -> None:
    unknown_id = str(uuid.uuid4())
    unknown = storyforge(app_data_dir, database_url, "delete", unknown_id)
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == f"storyforge: no story has the id {unknown_id}.\n"

    bad = storyforge(app_data_dir, database_url, "delete", "1234")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "must be a story's id" in bad.stderr


def test_a_story_another_process_is_writing_is_not_deleted(
    app_data_dir: Path, database_url: str, stories: StoryRepository, run: Run
) -> None:
    story_id = stored(stories, run, "The Salt Road")

    # The writer's connection stays open, so the command's start does not take the story back as interrupted.
    writer = run(asyncpg.connect(database_url, server_settings={"application_name": "storyforge-7-0badf00d"}))
    try:
        run(writer.execute("UPDATE stories SET status = 'generating' WHERE id = $1", uuid.UUID(story_id)))
        refused = storyforge(app_data_dir, database_url, "delete", story_id)
    finally:
        run(writer.close())
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == "storyforge: “The Salt Road” is still being written — cancel it first, then delete it.\n"
    assert listed_ids(app_data_dir, database_url) == [story_id]
