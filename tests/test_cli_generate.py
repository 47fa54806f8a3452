"""`storyforge generate` as a script uses it: no window, progress on stderr, a summary on stdout, a clear exit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from PIL import Image

from tests.support.cli import storyforge as run_storyforge
from tests.support.openai_server import FakeOpenAIServer
from tests.support.storage_server import Fault, StorageServer


def storyforge(data_dir: Path, database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`storyforge generate ARGS…`."""
    return run_storyforge(data_dir, database_url, "generate", *args, **env)


def test_a_story_is_generated_uploaded_and_summarised_as_json(app_data_dir: Path, database_url: str) -> None:
    args = ["--title", "The Salt Road", "--prompt", "A courier crosses the desert with a letter.", "--scenes", "3"]
    result = storyforge(app_data_dir, database_url, *args, "--style", "ink and wash", "--json")
    assert result.returncode == 0, result.stderr
    assert "Writing scene 1 of 3…" in result.stderr and "Scene 3 painted." in result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "complete" and summary["text_provider"] == "Offline generator"
    assert len(summary["story_id"]) == 36
    assert [scene["index"] for scene in summary["scenes"]] == [0, 1, 2]
    for scene in summary["scenes"]:
        assert scene["title"] and scene["upload_status"] == "uploaded" and scene["url"].startswith("file://")
        assert len(scene["text"]) > len(scene["title"])  # the scene itself, for a script that keeps it
        with Image.open(scene["image_path"]) as image:
            assert image.size == (768, 512)
        assert Path(scene["image_path"]).parent.name == summary["story_id"]


def test_a_failure_exits_non_zero_with_one_clear_line(
    app_data_dir: Path, database_url: str, openai_server: FakeOpenAIServer
) -> None:
    secret = "sk-this-key-is-wrong-4242"
    result = storyforge(
        app_data_dir,
        database_url,
        "--title",
        "Night Train",
        "--prompt",
        "A detective boards the last train.",
        STORYFORGE_TEXT_PROVIDER="openai",
        STORYFORGE_OPENAI_BASE_URL=openai_server.base_url,
        STORYFORGE_OPENAI_MODEL="story-model",
        STORYFORGE_OPENAI_API_KEY=secret,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "storyforge: the story ended failed: No scene could be written: "
        "The AI service rejected the API key — check it in Settings."
    )
    assert secret not in result.stdout + result.stderr
    assert result.stdout.startswith("Night Train — failed (")  # the summary still says what happened


def test_uploads_that_keep_failing_are_reported_and_the_wait_is_bounded(app_data_dir: Path, database_url: str) -> None:
    with StorageServer() as server:
        server.inject(Fault.server_error(503), times=1000, on="upload")  # Supabase answers every upload with 503
        result = storyforge(
            app_data_dir,
            database_url,
            *("--title", "Low Tide", "--prompt", "Two sisters wait for the tide.", "--scenes", "1"),
            *("--wait-uploads", "3"),
            STORYFORGE_STORAGE_BACKEND="supabase",
            STORYFORGE_SUPABASE_URL=server.url,
            STORYFORGE_SUPABASE_KEY=server.key,
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith("Waiting for the images to upload to Supabase") for line in lines), result.stderr
    retry = next(line for line in lines if line.startswith("Scene 1's image did not upload: "))
    assert "Trying again at" in retry and retry.endswith("(try 2).")
    assert lines[-1] == (
        "storyforge: 1 image not uploaded after 3 s; it is kept on this computer and will upload with "
        "`storyforge uploads --retry-failed` (or when Storyforge next opens)"
    )
    assert server.key not in result.stdout + result.stderr


def test_an_empty_title_and_an_empty_prompt_each_say_what_to_write(app_data_dir: Path, database_url: str) -> None:
    no_title = storyforge(app_data_dir, database_url, "--title", " ", "--prompt", "A lighthouse keeper.")
    no_prompt = storyforge(app_data_dir, database_url, "--title", "The Lamp", "--prompt", "")
    assert (no_title.returncode, no_prompt.returncode) == (2, 2)
    assert no_title.stderr.strip() == "storyforge: --title is empty — give the story a title."
    assert no_prompt.stderr.strip() == "storyforge: --prompt is empty — say what the story is about."
