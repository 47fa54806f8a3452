"""What the embedded database does differently inside the PyInstaller bundle (build_spec/storyforge.spec).

The bundle itself is checked by `make bundle-test`; these cover the frozen-only paths in the normal suite.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import sys
from pathlib import Path

import pytest

from desktop.db import server_binaries
from desktop.db.server_user import EmbeddedPostgresError, RunAs, server_user
from desktop.frozen import restore_users_library_path

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the bundle is built for Linux")


def _me() -> RunAs:
    return RunAs(os.geteuid(), os.getegid(), pwd.getpwuid(os.geteuid()).pw_name)


def _bundle_with_pgserver(root: Path) -> Path:
    """A bundle folder laid out as the spec lays it out, holding the installed pgserver's server."""
    spec = importlib.util.find_spec("pgserver")
    assert spec is not None and spec.submodule_search_locations
    pginstall = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    (root / "pgserver").mkdir(parents=True)
    (root / "pgserver" / "pginstall").symlink_to(pginstall)
    return root / "pgserver" / "pginstall" / "bin"


@pytest.mark.skipif(importlib.util.find_spec("pgserver") is None, reason="pgserver is not installed")
def test_a_frozen_app_runs_the_server_from_its_bundle_when_the_system_has_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundled_bin = _bundle_with_pgserver(tmp_path / "bundle")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    monkeypatch.setattr(server_binaries, "SYSTEM_PG_ROOT", tmp_path / "no-system-postgres")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))

    chosen = server_binaries.choose_binaries(None, _me())

    assert chosen.bin_dir == bundled_bin
    assert chosen.major == "16"


@pytest.mark.skipif(importlib.util.find_spec("pgserver") is None, reason="pgserver is not installed")
@pytest.mark.skipif(not server_binaries.system_bin_dirs(), reason="no system PostgreSQL on this machine")
def test_a_frozen_app_still_prefers_the_systems_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _bundle_with_pgserver(tmp_path / "bundle")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)

    chosen = server_binaries.choose_binaries(None, _me())

    assert chosen.bin_dir == server_binaries.system_bin_dirs()[0]


@pytest.mark.skipif(importlib.util.find_spec("pgserver") is None, reason="pgserver is not installed")
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_as_root_a_bundle_the_server_user_cannot_enter_says_where_to_put_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    private = tmp_path / "private"
    bundled_bin = _bundle_with_pgserver(private / "bundle")
    private.chmod(0o700)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(private / "bundle"), raising=False)
    monkeypatch.setattr(server_binaries, "SYSTEM_PG_ROOT", tmp_path / "no-system-postgres")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    runs_as = server_user(tmp_path / "no-cluster-yet")

    with pytest.raises(EmbeddedPostgresError) as caught:
        server_binaries.choose_binaries(None, runs_as)

    assert f"let user {runs_as.name} read {bundled_bin}" in str(caught.value)
    assert "/opt" in str(caught.value)


def test_a_bundle_without_the_server_offers_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)

    assert server_binaries.pgserver_bin_dir() is None


@pytest.mark.parametrize(
    ("users_own", "expected"),
    [(None, None), ("/home/writer/lib", "/home/writer/lib")],
    ids=["unset before", "set before"],
)
def test_programs_started_from_a_bundle_get_the_users_library_path_back(
    users_own: str | None, expected: str | None
) -> None:
    # What PyInstaller's loader sets up for the frozen process.
    environ = {"LD_LIBRARY_PATH": "/opt/storyforge/_internal", "HOME": "/home/writer"}
    if users_own is not None:
        environ["LD_LIBRARY_PATH_ORIG"] = users_own

    restore_users_library_path(environ)

    assert environ.get("LD_LIBRARY_PATH") == expected
    assert "LD_LIBRARY_PATH_ORIG" not in environ
    assert environ["HOME"] == "/home/writer"
