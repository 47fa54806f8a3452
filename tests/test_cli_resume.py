"""`storyforge resume` as a script uses it: a story stopped part-way is finished, the rest refused in one line."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import asyncpg

from tests.conftest import Run
from tests.support.cli import storyforge


def generate(data_dir: Path, database_url: str) -> dict[str, object]:
    made = storyforge(
        data_dir,
        database_url,
        "generate",
        "--title",
        "The Salt Road",
        "--prompt",
        "A courier.",
        "--scenes",
        "3",
        "--json",
    )
    assert made.returncode == 0, made.stderr
    summary: dict[str, object] = json.loads(made.stdout)
    return summary


def test_a_story_cancelled_mid_way_is_finished(
    app_data_dir: Path, database_url: str, pool: asyncpg.Pool, run: Run
) -> None:
    story_id = str(generate(app_data_dir, database_url)["story_id"])
    # As Cancel leaves it after two scenes: the third never written.
    run(pool.execute("DELETE FROM scenes WHERE story_id = $1 AND index = 2", uuid.UUID(story_id)))
    run(pool.execute("UPDATE stories SET status = 'cancelled' WHERE id = $1", uuid.UUID(story_id)))

    resumed = storyforge(app_data_dir, database_url, "resume", story_id, "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert "Writing scene 3 of 3…" in resumed.stderr and "Writing scene 1 of 3…" not in resumed.stderr
    summary = json.loads(resumed.stdout)
    assert (summary["story_id"], summary["status"]) == (story_id, "complete")
    assert [scene["index"] for scene in summary["scenes"]] == [0, 1, 2]
    assert all(scene["text"] and scene["upload_status"] == "uploaded" for scene in summary["scenes"])

    listed = storyforge(app_data_dir, database_url, "list")
    assert listed.stdout.split()[1:3] == ["complete", "3/3"]


def test_a_complete_story_an_unknown_id_and_a_bad_id_are_refused(app_data_dir: Path, database_url: str) -> None:
    story_id = str(generate(app_data_dir, database_url)["story_id"])
    complete = storyforge(app_data_dir, database_url, "resume", story_id)
    assert (complete.returncode, complete.stdout) == (1, "")
    assert complete.stderr == "storyforge: 'The Salt Road' is complete; there is nothing to resume.\n"

    unknown_id = str(uuid.uuid4())
    unknown = storyforge(app_data_dir, database_url, "resume", unknown_id)
    assert (unknown.returncode, unknown.stderr) == (1, f"storyforge: no story has the id {unknown_id}.\n")

    bad = storyforge(app_data_dir, database_url, "resume", "1234")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "must be a story's id" in bad.stderr
