"""A fresh Debian/Ubuntu desktop lacks three libraries Qt's xcb plugin links: Storyforge names them, not Qt's abort.

The app runs for real in a subprocess, on an X display (a made-up one: the check comes before anything connects),
with the system's loader refusing the libraries a bare desktop lacks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.desktop_check import XCB_LIBRARIES, desktop_problem, uses_xcb

ROOT = Path(__file__).resolve().parents[1]

# The app's own entry point, with ctypes' loader refusing `absent` as the dynamic loader of a bare desktop does.
BARE_DESKTOP = """
import ctypes, sys
absent = set(sys.argv[1].split(","))
real = ctypes.CDLL

def load(name, *args, **kwargs):
    if name in absent:
        raise OSError(f"{name}: cannot open shared object file: No such file or directory")
    return real(name, *args, **kwargs)

ctypes.CDLL = load
from desktop.app import main
sys.exit(main(sys.argv[2:]))
"""


def storyforge_on_a_bare_desktop(absent: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = ":77"
    return subprocess.run(
        [sys.executable, "-c", BARE_DESKTOP, ",".join(absent), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_window_on_a_bare_desktop_names_the_missing_packages_and_exits_2(app_data_dir: Path) -> None:
    done = storyforge_on_a_bare_desktop(["libxcb-cursor.so.0", "libxcb-keysyms.so.1"], "--data-dir", str(app_data_dir))
    assert done.returncode == 2
    assert done.stderr == (
        "storyforge: the desktop lacks libxcb-cursor0 and libxcb-keysyms1 — install them with:"
        " sudo apt install libxcb-cursor0 libxcb-keysyms1\n"
    )
    assert done.stdout == ""
    assert not app_data_dir.exists(), "nothing starts before the check"


def test_a_command_with_a_display_is_told_too(app_data_dir: Path) -> None:
    done = storyforge_on_a_bare_desktop(list(XCB_LIBRARIES), "--data-dir", str(app_data_dir), "uploads")
    assert done.returncode == 2
    assert done.stderr == (
        "storyforge: the desktop lacks libxcb-cursor0, libxcb-icccm4 and libxcb-keysyms1 — install them with:"
        " sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1\n"
    )


def test_one_missing_package_is_named_alone() -> None:
    def load(name: str) -> object:
        if name == "libxcb-icccm.so.4":
            raise OSError(f"{name}: cannot open shared object file")
        return name

    assert desktop_problem({"DISPLAY": ":0"}, load=load) == (
        "the desktop lacks libxcb-icccm4 — install it with: sudo apt install libxcb-icccm4"
    )
    assert desktop_problem({"DISPLAY": ":0"}, load=lambda name: name) is None


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({"DISPLAY": ":0"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb:nograb"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland;xcb"}, "linux", False),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "darwin", False),
    ],
)
def test_the_check_applies_only_where_qt_would_take_xcb(environ: dict[str, str], platform: str, expected: bool) -> None:
    assert uses_xcb(environ, platform) is expected


def test_the_bundle_ships_the_libraries_so_it_is_not_checked() -> None:
    assert desktop_problem({"DISPLAY": ":0"}, frozen=True) is None
