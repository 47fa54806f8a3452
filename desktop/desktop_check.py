"""Before the QApplication: can Qt's X11 (xcb) platform plugin load on this desktop?

On a fresh Debian or Ubuntu desktop it cannot: the plugin links three libraries that such a desktop does not install,
and Qt aborts with a page about plugins. The writer gets one line naming the packages instead. The bundle ships these
libraries itself (PyInstaller collects what the plugin links), so there the check is skipped.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping

# The library the plugin links, and the Debian/Ubuntu package that installs it.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
}


def uses_xcb(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    """Qt will pick its xcb plugin: Linux, an X display, and no other platform asked for."""
    if not platform.startswith("linux") or not environ.get("DISPLAY"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    # A Wayland session: Qt 6 takes its wayland plugin first, and xcb only if that fails.
    return not environ.get("WAYLAND_DISPLAY")


def missing_packages(load: Callable[[str], object] | None = None) -> list[str]:
    if load is None:
        import ctypes

        load = ctypes.CDLL
    missing = []
    for library, package in XCB_LIBRARIES.items():
        try:
            load(library)
        except OSError:
            missing.append(package)
    return missing


def desktop_problem(
    environ: Mapping[str, str] = os.environ, *, frozen: bool = False, load: Callable[[str], object] | None = None
) -> str | None:
    """The one line to print when Qt's xcb plugin would abort for want of a library; None when it can load."""
    if frozen or not uses_xcb(environ):
        return None
    missing = missing_packages(load)
    if not missing:
        return None
    names = " and ".join([", ".join(missing[:-1]), missing[-1]] if len(missing) > 1 else missing)
    them = "them" if len(missing) > 1 else "it"
    return f"the desktop lacks {names} — install {them} with: sudo apt install {' '.join(missing)}"
