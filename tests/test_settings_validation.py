"""Settings that cannot work are refused where the writer typed them, and every other bad input reads as plain words:
the dialog marks the field and writes nothing, a settings file that fails to load opens the window on defaults with a
notice naming the line (and is kept, never overwritten), an unusable data folder is told before anything starts."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from PySide6.QtCore import Qt

from desktop import app as entry_point
from desktop.config import SETTINGS_FILE, Settings, SettingsError, config_dir, load_settings, read_settings
from desktop.data_folder import check_data_dir
from desktop.models import StoryRequest, printable
from desktop.qt.aio import TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.secrets import SecretStore
from desktop.ui.settings.settings_dialog import SettingsDialog
from tests.support.ui_fixtures import WriterApp

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def executor(qapp: object) -> Iterator[QThreadPoolExecutor]:
    pool = QThreadPoolExecutor(max_workers=2)
    yield pool
    pool.shutdown(wait=True, cancel_futures=True, timeout=5)


@pytest.fixture
def tasks_failed() -> list[str]:
    return []


@pytest.fixture
def dialog(qtbot: Any, executor: QThreadPoolExecutor, run: Any, tasks_failed: list[str]) -> Iterator[SettingsDialog]:
    tasks = TaskRunner()
    tasks.failed.connect(lambda title, error: tasks_failed.append(title))
    settings = Settings(data_dir=Path(os.environ["STORYFORGE_DATA_DIR"]), user_id=uuid.uuid4())
    settings_dialog = SettingsDialog(settings, SecretStore(), executor, tasks.start)
    qtbot.addWidget(settings_dialog)
    settings_dialog.open()
    yield settings_dialog
    run(tasks.cancel_all())


def choose(combo: Any, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))


def press_save(dialog: SettingsDialog, qtbot: Any) -> None:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


def settings_file() -> Path:
    return config_dir() / SETTINGS_FILE


def test_supabase_without_url_or_key_is_refused_beside_the_fields(dialog: SettingsDialog, qtbot: Any) -> None:
    saved: list[object] = []
    dialog.saved.connect(saved.append)
    dialog.tabs.setCurrentIndex(0)
    choose(dialog.storage_backend, "supabase")
    press_save(dialog, qtbot)
    assert dialog.reasons["supabase_url"].isVisible()
    assert dialog.reasons["supabase_url"].text() == "Must be an address starting with http:// or https://."
    assert dialog.reasons["supabase_key"].text() == "Must be set for the chosen provider or storage."
    assert dialog.tabs.currentIndex() == 1  # the Storage tab came forward
    assert dialog.error.text().startswith("2 settings cannot work as typed")
    assert "Nothing was saved" in dialog.error.text()
    assert not settings_file().exists() and saved == [] and dialog.isVisible()

    qtbot.keyClicks(dialog.supabase_url, "https://example.supabase.co")
    assert not dialog.reasons["supabase_url"].isVisible()  # typing takes the reason away
    dialog.supabase_key.edit.setText("service-key-42")
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        press_save(dialog, qtbot)
    assert 'storage_backend = "supabase"' in settings_file().read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://writer@db/stories", "Must start with postgresql:// (for example postgresql://user@host:5432/"),
        ("postgresql://writer@db:99999/stories", "Must have a port from 1 to 65535, not '99999'."),
        ("postgresql://writer@db:five/stories", "Must have a port from 1 to 65535, not 'five'."),
        ("db.example.com:5432", "Must start with postgresql://"),
    ],
)
def test_a_database_url_that_is_not_postgresql_is_refused(
    dialog: SettingsDialog, qtbot: Any, url: str, reason: str
) -> None:
    choose(dialog.database_kind, "url")
    dialog.database_url.setText(url)
    press_save(dialog, qtbot)
    assert dialog.tabs.currentIndex() == 2
    assert dialog.reasons["database_url"].isVisible() and dialog.reasons["database_url"].text().startswith(reason)
    assert dialog.database_url.hasFocus()
    assert not settings_file().exists()


def test_provider_urls_must_be_http(dialog: SettingsDialog, qtbot: Any) -> None:
    choose(dialog.text_provider, "openai")
    dialog.openai_url.setText("localhost:11434/v1")
    choose(dialog.image_provider, "a1111")
    dialog.a1111_url.setText("file:///etc/passwd")
    dialog.openai_model.setText("model\x00name")
    press_save(dialog, qtbot)
    reasons = {name: label.text() for name, label in dialog.reasons.items() if label.isVisible()}
    assert reasons == {
        "openai_base_url": "Must be an address starting with http:// or https://.",
        "a1111_url": "Must be an address starting with http:// or https://.",
        "openai_model": "Holds a control character (such as a NUL byte); only plain text is accepted.",
    }
    assert dialog.tabs.currentIndex() == 0 and not settings_file().exists()
    # An unused provider's address is not checked: the offline generator needs none.
    choose(dialog.text_provider, "offline")
    choose(dialog.image_provider, "offline")
    dialog.openai_model.setText("gpt-4o-mini")
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        press_save(dialog, qtbot)


def test_a_broken_settings_file_opens_the_window_on_defaults_with_a_notice(writer_app: WriterApp, qtbot: Any) -> None:
    broken = b'user_id = "6f1c1b7e-6a65-4d55-9a3b-1bd0e1e0c001"\nupload_concurrency = "lots"\n'
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_bytes(broken)
    loaded = read_settings(SecretStore())
    assert loaded.settings.upload_concurrency == 4  # the default stands in for the bad value
    assert str(loaded.settings.user_id) == "6f1c1b7e-6a65-4d55-9a3b-1bd0e1e0c001"  # the rest is kept
    with pytest.raises(SettingsError):
        load_settings(SecretStore())
    entry_point._tell_the_window(loaded.problems)
    notices = writer_app.window.notices
    qtbot.waitUntil(notices.isVisible)
    headline = notices.text.text()
    assert headline.startswith("Reading the settings failed: The settings file ")
    assert 'line 2: upload_concurrency is "lots"; it must be a whole number from 1 to 32' in headline
    qtbot.mouseClick(notices.details_button, Qt.MouseButton.LeftButton)
    assert "leaves the file as it is" in notices.details.toPlainText()
    assert settings_file().read_bytes() == broken


def test_saving_over_a_broken_file_keeps_it_beside(dialog: SettingsDialog, qtbot: Any) -> None:
    broken = b"text_provider = [\n"
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_bytes(broken)
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        press_save(dialog, qtbot)
    assert settings_file().with_name("settings.toml.broken").read_bytes() == broken
    assert load_settings(SecretStore()).text_provider == "offline"


def test_the_window_refused_to_start_never_writes_the_file_even_on_first_run(tmp_path: Path) -> None:
    """A file that failed to load is never written, not even to add the writer's id a first run adds."""
    folder = tmp_path / "config-only"
    folder.mkdir()
    (folder / SETTINGS_FILE).write_bytes(b"\xff\xfe not text")
    loaded = read_settings(SecretStore(), folder)
    assert loaded.problems == [
        f"The settings file {folder / SETTINGS_FILE}, line 1, is not UTF-8 text — save the file as UTF-8, "
        "or move it away to start from the defaults."
    ]
    assert loaded.settings.user_id is not None
    assert (folder / SETTINGS_FILE).read_bytes() == b"\xff\xfe not text"


# --- the data folder ---


def test_a_data_folder_on_a_full_disk_is_refused(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    problem = check_data_dir(tmp_path / "data", min_free_bytes=free * 2)
    assert problem is not None and problem.startswith(f"The disk of the data folder {tmp_path / 'data'} is almost full")
    assert problem.endswith("— free some space or choose another with --data-dir or STORYFORGE_DATA_DIR.")
    assert check_data_dir(tmp_path / "data") is None
    assert list((tmp_path / "data").iterdir()) == []  # the probe is gone


@pytest.fixture
def tiny_mount(tmp_path: Path) -> Iterator[Any]:
    """A real mounted filesystem of a few KB (read-only or full) where the test may mount one; skipped elsewhere."""
    mounts: list[Path] = []

    def mount(options: str) -> Path:
        target = tmp_path / f"mount{len(mounts)}"
        target.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True)
        if done.returncode != 0:
            pytest.skip("cannot mount a filesystem here")
        mounts.append(target)
        return target

    yield mount
    for target in mounts:
        subprocess.run(["umount", str(target)], check=True)


def test_a_read_only_data_folder_is_refused(tiny_mount: Any, tmp_path: Path) -> None:
    folder = tiny_mount("ro,size=64k")
    assert check_data_dir(folder) == (
        f"Storyforge may not write in the data folder {folder} — check its permissions or choose another with "
        "--data-dir or STORYFORGE_DATA_DIR."
    )


def test_a_data_folder_on_a_tiny_disk_is_refused_before_anything_starts(tiny_mount: Any, tmp_path: Path) -> None:
    folder = tiny_mount("size=256k")
    env = {key: value for key, value in os.environ.items() if not key.startswith("STORYFORGE_")}
    env.update(STORYFORGE_CONFIG_DIR=str(tmp_path / "c"), STORYFORGE_LOG_DIR=str(tmp_path / "l"))
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--data-dir", str(folder / "data"), "uploads"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == (
        f"storyforge: The disk of the data folder {folder / 'data'} is almost full (0 MB free, Storyforge needs "
        "64 MB) — free some space or choose another with --data-dir or STORYFORGE_DATA_DIR.\n"
    )
    assert not (folder / "data" / "postgres").exists()


def test_a_disk_that_fills_while_writing_the_probe_is_one_line(tiny_mount: Any) -> None:
    folder = tiny_mount("size=8k")
    with (folder / "filler").open("wb", buffering=0) as filler, pytest.raises(OSError) as full:
        while True:
            filler.write(b"x" * 4096)
    assert full.value.errno == errno.ENOSPC
    assert check_data_dir(folder, min_free_bytes=0) == (
        f"The disk of the data folder {folder} is full — free some space or choose another with --data-dir or "
        "STORYFORGE_DATA_DIR."
    )


# --- plain words in the window ---


def test_a_raw_exception_is_never_a_notice_headline(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    window.show_error("Opening the image", FileNotFoundError(2, "No such file or directory", "/lost/scene-01.png"))
    headline = window.notices.text.text()
    assert headline == (
        "Opening the image failed: A file or folder Storyforge needs is missing (/lost/scene-01.png) — "
        "it may have been moved or deleted."
    )
    window.show_error("Testing the database", asyncpg.ClientConfigurationError("invalid DSN: scheme is expected"))
    assert "invalid DSN" not in window.notices.text.text()
    assert window.notices.text.text().startswith("Testing the database failed: Something unexpected went wrong")
    window.show_error("Saving the image", OSError(errno.ENOSPC, "No space left on device"))
    assert window.notices.text.text().startswith(
        "Saving the image failed: The disk is full — free some space, then try again."
    )
    window.notices.add_message("Starting the database", "[Errno 2] No such file or directory: '/run/pg/.s.PGSQL'")
    assert "[Errno" not in window.notices.text.text()
    qtbot.mouseClick(window.notices.details_button, Qt.MouseButton.LeftButton)
    details = window.notices.details.toPlainText()
    assert "[Errno 2] No such file or directory: '/run/pg/.s.PGSQL'" in details and "invalid DSN" in details
    assert "FileNotFoundError" in details  # the trail stays behind Details


# --- titles ---


def test_titles_fold_line_breaks_and_refuse_control_characters() -> None:
    assert StoryRequest(title="The\r\nSalt\tRoad\n", prompt="p").title == "The Salt Road"
    assert StoryRequest(title="t", prompt="line one\nline two").prompt == "line one\nline two"
    for bad in ("\x1b[2J", "\x00", "\x07", "\x9b"):
        with pytest.raises(ValueError, match="control character"):
            StoryRequest(title=f"A{bad}B", prompt="p")
    assert printable("a\x1b[31mb\x9b") == "a\\x1b[31mb\\x9b"


def test_a_title_with_line_breaks_is_stored_as_one_line(app_data_dir: Path, database_url: str) -> None:
    env = {**os.environ, "STORYFORGE_DATABASE_URL": database_url}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop",
            "generate",
            "--title",
            "Salt\nRoad",
            "--prompt",
            "A courier.",
            "--scenes",
            "1",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Salt Road — complete (")


def test_the_real_app_opens_its_window_and_tells_of_the_bad_line(tmp_path: Path) -> None:
    config = tmp_path / "probe-config"
    config.mkdir()
    broken = b'user_id = "6f1c1b7e-6a65-4d55-9a3b-1bd0e1e0c001"\n\nimage_provider = "dalle"\n'
    (config / SETTINGS_FILE).write_bytes(broken)
    env = {**os.environ, "STORYFORGE_CONFIG_DIR": str(config), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.support.settings_notice_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    assert "windows: 1" in result.stdout
    assert (
        f"notice: Reading the settings failed: The settings file {config / SETTINGS_FILE}, line 3: image_provider is "
        '"dalle"; it must be one of offline, openai, a1111'
    ) in result.stdout
    assert "Storyforge uses its defaults and leaves the file as it is." in result.stdout
    assert (config / SETTINGS_FILE).read_bytes() == broken
    assert sorted(path.name for path in config.iterdir()) == [SETTINGS_FILE]


def test_the_window_refuses_to_start_on_a_data_folder_that_is_a_file(tmp_path: Path) -> None:
    data = tmp_path / "a-file"
    data.write_text("not a folder")
    env = {**os.environ, "STORYFORGE_DATA_DIR": str(data), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.support.settings_notice_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    line = (
        f"The data folder {data} is a file, not a folder — move the file away or choose another with --data-dir or "
        "STORYFORGE_DATA_DIR."
    )
    assert result.returncode == 2
    assert result.stderr == f"storyforge: {line}\n"
    assert result.stdout == (
        f"box: Storyforge cannot start | {line} | Nothing was changed. Fix this, then start Storyforge again.\n"
    )


def test_a_settings_folder_that_cannot_be_written_is_told_in_plain_words(
    dialog: SettingsDialog, qtbot: Any, tasks_failed: list[str]
) -> None:
    folder = config_dir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the settings folder should be")
    press_save(dialog, qtbot)
    qtbot.waitUntil(lambda: dialog.error.text() != "")
    assert dialog.error.text() == (
        "The settings could not be saved: A file stands where Storyforge needs a folder, or a folder where it needs "
        f"a file ({folder}) — move it away."
    )
    assert dialog.isVisible() and dialog.save_button.isEnabled()
    qtbot.waitUntil(lambda: tasks_failed == ["Saving the settings"])  # and the window's notice hears of it
