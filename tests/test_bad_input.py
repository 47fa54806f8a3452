"""Every bad input a writer can give the command line ends in one plain line on stderr and a non-zero exit: no
traceback, the settings file as it was, and — since each is caught before anything starts — no database started.

`CASES` is also the table of bad inputs tried: `python -m tests.test_bad_input` prints it with the line each gives.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TITLE = ["--title", "The Salt Road", "--prompt", "A courier crosses the desert."]
USER_ID = 'user_id = "6f1c1b7e-6a65-4d55-9a3b-1bd0e1e0c001"\n'


def _file_as_data_dir(data: Path) -> None:
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("not a folder")


def _file_as_parent(data: Path) -> None:
    data.parent.mkdir(parents=True, exist_ok=True)
    (data.parent / "blocker").write_text("not a folder")


def _is_a_file(folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")


def _config_dir_is_a_file(config: Path) -> None:
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("not a folder")


@dataclass(frozen=True)
class Case:
    name: str
    args: list[str]
    expected: str  # a part of the one line the writer reads
    env: dict[str, str] = field(default_factory=dict)
    settings: bytes | None = None  # settings.toml's content, when the case has one
    data_dir: Callable[[Path], None] | None = None
    config_dir: Callable[[Path], None] | None = None
    log_dir: Callable[[Path], None] | None = None
    data_dir_from_env: bool = True  # False: the settings file's data_dir counts (the environment beats the file)


CASES = [
    # Arguments: told before settings are read or any database starts.
    Case("empty title", ["generate", "--title", "", "--prompt", "p"], "--title is empty"),
    Case("blank title", ["generate", "--title", "   ", "--prompt", "p"], "--title is empty"),
    Case("empty prompt", ["generate", "--title", "T", "--prompt", " "], "--prompt is empty"),
    Case("title with ESC", ["generate", "--title", "Red\x1b[31m", "--prompt", "p"], "control character (\\x1b)"),
    Case("title with BEL", ["generate", "--title", "Ring\x07", "--prompt", "p"], "control character (\\x07)"),
    Case("title with DEL", ["generate", "--title", "Del\x7f", "--prompt", "p"], "control character (\\x7f)"),
    Case("title with C1 CSI", ["generate", "--title", "C1\x9b2J", "--prompt", "p"], "control character (\\x9b)"),
    Case("prompt with ESC", ["generate", "--title", "T", "--prompt", "a\x1b]0;x\x07"], "--prompt has a control"),
    Case("style with ESC", ["generate", *TITLE, "--style", "ink\x1b[0m"], "--style has a control character"),
    Case("title too long", ["generate", "--title", "T" * 201, "--prompt", "p"], "longer than 200 characters"),
    Case("prompt too long", ["generate", "--title", "T", "--prompt", "p" * 8001], "longer than 8000"),
    Case("characters too long", ["generate", *TITLE, "--characters", "c" * 2001], "longer than 2000"),
    Case("scenes 0", ["generate", *TITLE, "--scenes", "0"], "--scenes: must be a whole number from 1 to 50"),
    Case("scenes 51", ["generate", *TITLE, "--scenes", "51"], "--scenes: must be a whole number from 1 to 50"),
    Case("scenes -3", ["generate", *TITLE, "--scenes", "-3"], "not '-3'"),
    Case("scenes abc", ["generate", *TITLE, "--scenes", "abc"], "not 'abc'"),
    Case("scenes 2.5", ["generate", *TITLE, "--scenes", "2.5"], "not '2.5'"),
    Case("missing --title", ["generate", "--prompt", "p"], "the following arguments are required: --title"),
    Case("unknown option", ["generate", *TITLE, "--colour", "red"], "unrecognized arguments: --colour red"),
    Case("unknown command", ["genrate"], "invalid choice: 'genrate'"),
    Case("uploads stray argument", ["uploads", "now"], "unrecognized arguments: now"),
    Case("empty --data-dir", ["--data-dir", "", "uploads"], "--data-dir: needs a folder"),
    # The environment: the line names the variable and what it takes.
    Case(
        "unknown text provider",
        ["uploads"],
        'STORYFORGE_TEXT_PROVIDER is "gpt5"; it must be one of offline, openai',
        env={"STORYFORGE_TEXT_PROVIDER": "gpt5"},
    ),
    Case(
        "unknown image provider",
        ["uploads"],
        "must be one of offline, openai, a1111",
        env={"STORYFORGE_IMAGE_PROVIDER": "midjourney"},
    ),
    Case(
        "unknown storage",
        ["uploads"],
        'STORYFORGE_STORAGE_BACKEND is "s3"; it must be one of local, supabase',
        env={"STORYFORGE_STORAGE_BACKEND": "s3"},
    ),
    Case(
        "concurrency not a number",
        ["uploads"],
        "must be a whole number from 1 to 32",
        env={"STORYFORGE_UPLOAD_CONCURRENCY": "four"},
    ),
    Case(
        "concurrency out of range",
        ["uploads"],
        'STORYFORGE_UPLOAD_CONCURRENCY is "0"',
        env={"STORYFORGE_UPLOAD_CONCURRENCY": "0"},
    ),
    Case(
        "image concurrency too high",
        ["uploads"],
        "must be a whole number from 1 to 16",
        env={"STORYFORGE_IMAGE_CONCURRENCY": "99"},
    ),
    Case(
        "offline delay negative",
        ["uploads"],
        'STORYFORGE_OFFLINE_DELAY is "-1"; it must be a number from 0 to 10',
        env={"STORYFORGE_OFFLINE_DELAY": "-1"},
    ),
    Case(
        "request timeout zero",
        ["uploads"],
        'STORYFORGE_REQUEST_TIMEOUT is "0"; it must be a number above 0',
        env={"STORYFORGE_REQUEST_TIMEOUT": "0"},
    ),
    Case("request timeout text", ["uploads"], "must be a number above 0", env={"STORYFORGE_REQUEST_TIMEOUT": "1m"}),
    Case(
        "signed URL expiry too short",
        ["uploads"],
        "must be a whole number of at least 60",
        env={"STORYFORGE_SIGNED_URL_EXPIRY": "5"},
    ),
    Case(
        "boolean that isn't",
        ["uploads"],
        'STORYFORGE_SUPABASE_PUBLIC is "maybe"; it must be true or false',
        env={"STORYFORGE_SUPABASE_PUBLIC": "maybe"},
    ),
    Case(
        "user id not a UUID",
        ["uploads"],
        'STORYFORGE_USER_ID is "me"; it must be an id such as',
        env={"STORYFORGE_USER_ID": "me"},
    ),
    Case(
        "escape sequence in a variable",
        ["uploads"],
        "holds a control character",
        env={"STORYFORGE_SUPABASE_BUCKET": "bucket\x1b[2J"},
    ),
    Case(
        "A1111 URL not http",
        ["uploads"],
        'STORYFORGE_A1111_URL is "ftp://sd.local"; it must be an address',
        env={"STORYFORGE_IMAGE_PROVIDER": "a1111", "STORYFORGE_A1111_URL": "ftp://sd.local"},
    ),
    Case(
        "OpenAI URL without scheme",
        ["uploads"],
        'STORYFORGE_OPENAI_BASE_URL is "api.openai.com/v1"',
        env={"STORYFORGE_TEXT_PROVIDER": "openai", "STORYFORGE_OPENAI_BASE_URL": "api.openai.com/v1"},
    ),
    Case(
        "Supabase URL not http",
        ["uploads"],
        'STORYFORGE_SUPABASE_URL is "supabase.co"',
        env={"STORYFORGE_STORAGE_BACKEND": "supabase", "STORYFORGE_SUPABASE_URL": "supabase.co"},
    ),
    # Database URLs: checked before connecting; asyncpg's "invalid DSN" never reaches the writer.
    Case(
        "database URL mysql",
        ["uploads"],
        "must start with postgresql://",
        env={"STORYFORGE_DATABASE_URL": "mysql://writer@db/stories"},
    ),
    Case(
        "database URL host:port only",
        ["uploads"],
        "must start with postgresql://",
        env={"STORYFORGE_DATABASE_URL": "localhost:5432"},
    ),
    Case(
        "database URL port text",
        ["uploads"],
        "must have a port from 1 to 65535, not 'abc'",
        env={"STORYFORGE_DATABASE_URL": "postgresql://writer@db:abc/stories"},
    ),
    Case(
        "database URL port too big",
        ["uploads"],
        "not '99999'",
        env={"STORYFORGE_DATABASE_URL": "postgresql://writer@db:99999/stories"},
    ),
    Case("database URL port 0", ["uploads"], "not '0'", env={"STORYFORGE_DATABASE_URL": "postgres://w@db:0/s"}),
    Case(
        "database URL bad IPv6",
        ["uploads"],
        "must close the [ around an IPv6 host",
        env={"STORYFORGE_DATABASE_URL": "postgresql://w@[::1:5432/s"},
    ),
    # The settings file: never overwritten; the line says which line is wrong.
    Case(
        "settings not TOML",
        ["uploads"],
        "settings.toml is not valid TOML at line 2, column 22: invalid value",
        settings=USER_ID.encode() + b"upload_concurrency = \n",
    ),
    Case(
        "settings unclosed string",
        ["uploads"],
        "is not valid TOML at line 1",
        settings=b'supabase_bucket = "story-images\n',
    ),
    Case(
        "settings duplicate key",
        ["uploads"],
        "is not valid TOML at line 2, column 25: cannot overwrite a value",
        settings=b'text_provider = "offline"\ntext_provider = "openai"\n',
    ),
    Case(
        "settings not UTF-8",
        ["uploads"],
        "settings.toml, line 2, is not UTF-8 text",
        settings=USER_ID.encode() + b'supabase_bucket = "caf\xe9"\n',
    ),
    Case(
        "settings wrong type",
        ["uploads"],
        'line 2: upload_concurrency is "four"; it must be a whole number from 1',
        settings=(USER_ID + 'upload_concurrency = "four"\n').encode(),
    ),
    Case(
        "settings list for a string",
        ["uploads"],
        "line 2: supabase_bucket is \"['a', 'b']\"; it must be text (in",
        settings=(USER_ID + 'supabase_bucket = ["a", "b"]\n').encode(),
    ),
    Case(
        "settings unknown provider",
        ["uploads"],
        'line 3: image_provider is "dalle"; it must be one of',
        settings=(USER_ID + 'text_provider = "offline"\nimage_provider = "dalle"\n').encode(),
    ),
    Case(
        "settings NUL byte",
        ["uploads"],
        'line 2: supabase_bucket is "a\\x00b"; it holds a control character',
        settings=(USER_ID + 'supabase_bucket = "a\\u0000b"\n').encode(),
    ),
    Case(
        "settings boolean as text",
        ["uploads"],
        'supabase_public is "yes please"; it must be true or false',
        settings=(USER_ID + 'supabase_public = "yes please"\n').encode(),
    ),
    Case(
        "settings bad database URL",
        ["uploads"],
        'line 2: database_url is "sqlite:///stories.db"',
        settings=(USER_ID + 'database_url = "sqlite:///stories.db"\n').encode(),
    ),
    Case(
        "settings bad user id",
        ["uploads"],
        'line 1: user_id is "writer-1"; it must be an id such as',
        settings=b'user_id = "writer-1"\n',
    ),
    Case("config folder is a file", ["uploads"], "The settings folder", config_dir=_config_dir_is_a_file),
    Case(
        "settings key misspelt",
        ["uploads"],
        "line 2: upload_concurency is not a setting — did you mean upload_concurrency?",
        settings=(USER_ID + "upload_concurency = 8\n").encode(),
    ),
    Case(
        "settings data_dir a number",
        ["uploads"],
        'line 2: data_dir is "5"; it must be a folder path',
        settings=(USER_ID + "data_dir = 5\n").encode(),
        data_dir_from_env=False,
    ),
    Case(
        "settings data_dir with NUL",
        ["uploads"],
        'line 2: data_dir is "/tmp/a\\x00b"; it holds a control',
        settings=(USER_ID + 'data_dir = "/tmp/a\\u0000b"\n').encode(),
        data_dir_from_env=False,
    ),
    Case(
        "variable misspelt",
        ["uploads", "--json"],
        "STORYFORGE_UPLOAD_CONCURENCY is not a Storyforge variable — did you mean STORYFORGE_UPLOAD_CONCURRENCY?",
        env={"STORYFORGE_UPLOAD_CONCURENCY": "8"},
    ),
    Case(
        "log folder is a file", ["uploads"], "logs is a file, not a folder — set STORYFORGE_LOG_DIR", log_dir=_is_a_file
    ),
    # The data folder: checked before anything starts.
    Case("data folder is a file", ["uploads"], "is a file, not a folder", data_dir=_file_as_data_dir),
    Case(
        "--data-dir is a file",
        ["--data-dir", "blocker", "uploads"],
        "blocker is a file, not a folder",
        data_dir=_file_as_parent,
    ),
    Case(
        "data folder inside a file",
        ["--data-dir", "blocker/data", "uploads"],
        "is inside a file, not a folder",
        data_dir=_file_as_parent,
    ),
]


def storyforge(case: Case, tmp: Path) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    config, data = tmp / "config", tmp / "data"
    if case.config_dir:
        case.config_dir(config)
    elif case.settings is not None:
        config.mkdir(parents=True)
        (config / "settings.toml").write_bytes(case.settings)
    if case.data_dir:
        case.data_dir(data)
    if case.log_dir:
        case.log_dir(tmp / "logs")
    env = {key: value for key, value in os.environ.items() if not key.startswith("STORYFORGE_")}
    env.update(
        STORYFORGE_CONFIG_DIR=str(config),
        STORYFORGE_DATA_DIR=str(data),
        STORYFORGE_LOG_DIR=str(tmp / "logs"),
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        **case.env,
    )
    if not case.data_dir_from_env:
        del env["STORYFORGE_DATA_DIR"]
    args = [str(tmp / arg) if arg.startswith("blocker") else arg for arg in case.args]
    result = subprocess.run(
        [sys.executable, "-m", "desktop", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    return result, config, data


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_bad_input_is_one_plain_line_and_starts_nothing(case: Case, tmp_path: Path) -> None:
    tmp = tmp_path / "run"
    result, config, data = storyforge(case, tmp)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("storyforge: ") and case.expected in lines[0]
    assert lines[0].isprintable()  # what the writer typed comes back escaped
    assert result.stdout == ""
    if case.settings is not None:
        assert (config / "settings.toml").read_bytes() == case.settings  # never overwritten
        assert sorted(path.name for path in config.iterdir()) == ["settings.toml"]
    # Nothing started: no embedded database was made in the data folder.
    assert not (data / "postgres").exists()
    assert not (tmp / "blocker" / "data" / "postgres").exists()


def table() -> str:
    """The bad inputs tried and the line each prints, as a Markdown table."""
    import tempfile

    rows = ["| # | bad input | command | exit | the one line on stderr |", "|---|---|---|---|---|"]
    for number, case in enumerate(CASES, 1):
        with tempfile.TemporaryDirectory() as folder:
            result, _, _ = storyforge(case, Path(folder))
        line = result.stderr.strip().replace("|", "\\|").replace(folder, "…")
        command = " ".join(repr(arg) if not arg.isprintable() or not arg else arg for arg in case.args)
        command = (command[:60] + "…") if len(command) > 60 else command
        rows.append(f"| {number} | {case.name} | `{command.replace('|', '/')}` | {result.returncode} | {line} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
