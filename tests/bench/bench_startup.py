"""`python -m tests.bench startup`: how long the app takes to show its window, against a bare PySide6 window.

The app as a writer starts it: `python -m desktop --data-dir <folder>` in a subprocess, offscreen, on a warm data
folder (its embedded cluster made and migrated, a story in the library, the server stopped), with its settings,
log and QSettings in a temporary folder. Its log says "window shown N ms after start", counted from the first line
of desktop/app.py to the frame's `show()`: everything the app does before a writer sees its window is inside that
span; the frame is filled (settings, panels, menus) on the loop's next turns, once it is painted. Side by side, in
the same run and alternating with it (app first in odd pairs, bare first in even ones): the same interpreter showing
a bare `QMainWindow`, counted the same way from its first line. Both sides pay the interpreter's own start-up, which
neither figure includes.
Pass: the median of the pairs' ratios (app / bare) ≤ 2.0.

Printed beside it, not judged: when the frame was filled after it showed (the log's "window filled N ms after
start"), when the library's first page arrived after the window ("library's first page N ms after start") and when
the database was ready, on the warm embedded server each run starts again.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from desktop.db.embedded import EmbeddedPostgres
from tests.conftest import remove_embedded_cluster

PAIRS = 5
TARGET_RATIO = 2.0
ROOT = Path(__file__).resolve().parents[2]
BARE_WINDOW = """\
import time
started = time.monotonic()
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.show()
print(f"window shown {(time.monotonic() - started) * 1000:.1f} ms after start", flush=True)
"""
_LOGGED = re.compile(r"(window shown|window filled|database ready|library's first page) ([\d.]+) ms after start")


def _environment(folder: Path, run: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("STORYFORGE_")}
    # Compiled once, as on a writer's machine (pip and the bundle ship bytecode): into the temporary folder, so a
    # PYTHONDONTWRITEBYTECODE of the machine neither makes every run compile the app nor writes into the tree.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        PYTHONPYCACHEPREFIX=str(folder / "pycache"),
        QT_QPA_PLATFORM="offscreen",
        QT_API="pyside6",
        XDG_CONFIG_HOME=str(folder / "xdg-config"),  # QSettings (window geometry): never the writer's
        STORYFORGE_CONFIG_DIR=str(folder / "config"),
        STORYFORGE_LOG_DIR=str(folder / "logs" / run),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    return env


def _storyforge(folder: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "--data-dir", str(folder / "data"), *args],
        cwd=ROOT,
        env=_environment(folder, "warm-up"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"storyforge {' '.join(args)} failed: {done.stderr.strip()}")


def _bare_window_ms(folder: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", BARE_WINDOW],
        cwd=folder,
        env=_environment(folder, "bare"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = _LOGGED.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"the bare window did not show: {done.stderr.strip()}")
    return float(found.group(2))


def _app_figures(folder: Path, run: str) -> dict[str, float]:
    """Start the app, read its log until the library's first page is in, then end it and stop its server."""
    log_file = folder / "logs" / run / "storyforge.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "--data-dir", str(folder / "data")],
        cwd=ROOT,
        env=_environment(folder, run),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    figures: dict[str, float] = {}
    try:
        deadline = time.monotonic() + 60
        while "library's first page" not in figures:
            if process.poll() is not None:
                raise RuntimeError(f"the app ended before its library showed: {process.communicate()[1].strip()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app's library did not show within 60 s; see {log_file}")
            time.sleep(0.02)  # reading the log is the bench's business: the app's own figures are in it
            if log_file.is_file():
                figures = {what: float(ms) for what, ms in _LOGGED.findall(log_file.read_text(encoding="utf-8"))}
    finally:
        process.kill()
        process.communicate(timeout=30)
        # Killed, the app leaves its server running: stop it, so every run starts the warm server again.
        EmbeddedPostgres(folder / "data" / "postgres").stop()
    return figures


def measure(folder: Path) -> dict[str, list[float]]:
    _storyforge(folder, "--self-test")  # the cluster made, migrated and the settings file written
    _storyforge(folder, "generate", "--title", "The Warm Library", "--prompt", "A keeper finds a key.", "--scenes", "2")
    _bare_window_ms(folder)  # its bytecode compiled too
    runs: dict[str, list[float]] = {"app": [], "bare": [], "filled": [], "library": [], "database": []}
    for pair in range(PAIRS):
        for side in ("app", "bare") if pair % 2 == 0 else ("bare", "app"):
            if side == "bare":
                runs["bare"].append(_bare_window_ms(folder))
                continue
            figures = _app_figures(folder, f"app-{pair}")
            runs["app"].append(figures["window shown"])
            runs["filled"].append(figures["window filled"] - figures["window shown"])
            runs["library"].append(figures["library's first page"] - figures["window shown"])
            runs["database"].append(figures["database ready"] - figures["window shown"])
    return runs


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="storyforge-bench-startup-") as name:
        folder = Path(name)
        try:
            runs = measure(folder)
        finally:
            remove_embedded_cluster(EmbeddedPostgres(folder / "data" / "postgres"), keep_under=folder)
    ratios = [app / bare for app, bare in zip(runs["app"], runs["bare"], strict=True)]
    ratio = statistics.median(ratios)
    passed = ratio <= TARGET_RATIO

    def listed(values: list[float]) -> str:
        return ",".join(f"{value:.0f}" for value in values)

    print(
        f"bench startup: ratio={ratio:.2f} app_window_ms={statistics.median(runs['app']):.0f} "
        f"bare_window_ms={statistics.median(runs['bare']):.0f} app_runs={listed(runs['app'])} "
        f"bare_runs={listed(runs['bare'])} ratios={','.join(f'{r:.2f}' for r in ratios)} "
        f"filled_after_window_ms={statistics.median(runs['filled']):.0f} "
        f"library_after_window_ms={statistics.median(runs['library']):.0f} "
        f"database_after_window_ms={statistics.median(runs['database']):.0f} pairs={PAIRS} "
        f"cpus={os.cpu_count()} load1={os.getloadavg()[0]:.2f} {'ok' if passed else 'FAILED'}"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
