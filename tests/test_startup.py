"""What the window waits for at start: the modules loaded when its frame shows (the rest fills it a loop turn later),
and what reading the arguments loads.

Each check runs the app's own entry point in a fresh interpreter (a test process has imported everything already).
How long start-up takes is measured by `python -m tests.bench startup`, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The real start, stopped the moment the window is shown: which modules were loaded by then.
AT_WINDOW_SHOWN = """
import json, logging, os, sys

class AtWindowShown(logging.Handler):
    def emit(self, record):
        if record.getMessage().startswith("window shown"):
            print(json.dumps(sorted(sys.modules)), flush=True)
            os._exit(0)

logging.getLogger().addHandler(AtWindowShown())
from desktop.app import main
sys.exit(main(sys.argv[1:]))
"""

AFTER_PARSING = """
import json, sys
from desktop.app import parse_args
parse_args(sys.argv[1:])
print(json.dumps(sorted(sys.modules)))
"""

SERVICES = {
    "asyncpg",  # the database is reached once the window shows
    "keyring",  # the secrets are read on the executor as the database starts: a desktop's keyring answers over D-Bus
    "supabase",
    "storage3",
    "desktop.selftest",
    "desktop.services.live_changes",
    "desktop.services.upload_manager",
}


# Built once the library's first page is in, or when first used: the story page, through the story service, loads
# the providers (httpx) and Pillow.
PAGES_LATER = {
    "desktop.services.story_service",
    "desktop.ui.story.story_view",
    "desktop.ui.compose.composer",
    "desktop.ui.settings.settings_dialog",
    "httpx",
    "PIL",
}


def modules(script: str, *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


# Loaded once the frame is on screen: the settings (pydantic), the data models, and the panels that use them.
FILLED_LATER = {
    "pydantic",
    "pydantic_settings",
    "desktop.config",
    "desktop.models",
    "desktop.cli.generate",
    "desktop.services.runtime",
    "desktop.ui.library.library_panel",
    "desktop.ui.uploads.uploads_panel",
    "desktop.ui.common.theme",
}


def test_the_window_shows_before_the_services_and_the_self_test_are_loaded(app_data_dir: Path) -> None:
    loaded = modules(AT_WINDOW_SHOWN, "--data-dir", str(app_data_dir))
    assert "desktop.ui.window.main_window" in loaded
    assert not loaded & SERVICES
    assert not loaded & PAGES_LATER
    assert not loaded & FILLED_LATER


def test_reading_the_windows_own_options_loads_no_command() -> None:
    loaded = modules(AFTER_PARSING, "--data-dir", "/tmp/stories")
    assert not loaded & {"desktop.cli.generate", "desktop.cli.uploads", "desktop.models", "pydantic"}


def test_reading_a_commands_arguments_loads_no_runtime() -> None:
    loaded = modules(AFTER_PARSING, "generate", "--title", "T", "--prompt", "A keeper finds a key.")
    assert "desktop.cli.generate" in loaded
    assert not loaded & (
        SERVICES | {"desktop.services.runtime", "desktop.services.story_service", "asyncpg", "PySide6"}
    )
