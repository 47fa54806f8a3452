"""Settings → Database as a writer uses it: paste one of Supabase's three URLs and read which kind it is, give a
session URL for live refresh and the CA certificate, press Test and read the server's version and whether live
refresh will work — and never see the password, in a label, a tooltip or an answer."""

from __future__ import annotations

import os
import re
import tomllib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from desktop.config import Settings, config_dir
from desktop.qt.aio import TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.secrets import SecretStore
from desktop.ui.settings.settings_dialog import CheckRow, SettingsDialog

Run = Callable[..., Any]
PASSWORD = "s3cret-Pass-1234"
REF = "abcdefghijklmnop"
DIRECT = f"postgresql://postgres@db.{REF}.supabase.co:5432/postgres"
SESSION_POOLER = f"postgresql://postgres.{REF}@aws-0-eu-central-1.pooler.supabase.com:5432/postgres"
TRANSACTION_POOLER = f"postgresql://postgres.{REF}@aws-0-eu-central-1.pooler.supabase.com:6543/postgres"


@pytest.fixture
def dialog(qtbot: Any, run: Run) -> Iterator[SettingsDialog]:
    executor = QThreadPoolExecutor(max_workers=2)
    tasks = TaskRunner()
    settings = Settings(data_dir=Path(os.environ["STORYFORGE_DATA_DIR"]), user_id=uuid.uuid4())
    settings_dialog = SettingsDialog(settings, SecretStore(), executor, tasks.start)
    qtbot.addWidget(settings_dialog)
    settings_dialog.open()
    settings_dialog.database_kind.setCurrentIndex(settings_dialog.database_kind.findData("url"))
    settings_dialog.tabs.setCurrentIndex(2)
    yield settings_dialog
    run(tasks.cancel_all())
    executor.shutdown(wait=True, cancel_futures=True, timeout=5)


def answer(row: CheckRow, qtbot: Any) -> str:
    qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.result.text() not in ("", "Checking…"), timeout=20_000)
    return row.result.text()


def everything_shown(dialog: QWidget) -> str:
    """Every label's text, every tooltip and every placeholder in the dialog: what a writer can read."""
    shown = [dialog.toolTip()]
    for widget in dialog.findChildren(QWidget):
        shown.append(widget.toolTip())
        if isinstance(widget, QLabel):
            shown.append(widget.text())
        if isinstance(widget, QLineEdit):
            shown.append(widget.placeholderText())
    return "\n".join(shown)


def test_the_tab_explains_supabase_urls_and_names_the_kind_typed(dialog: SettingsDialog) -> None:
    note = dialog.database_kinds_note.text()
    assert note.count("\n") == 1  # two lines
    assert "db.<ref>.supabase.co:5432" in note and "pooler.supabase.com:5432" in note and ":6543" in note
    for url, kind in (
        (TRANSACTION_POOLER, "Transaction-mode pooler (Supabase's default, port 6543)"),
        (SESSION_POOLER, "Session-mode pooler: everything works"),
        (DIRECT, "Direct connection: everything works"),
        ("postgresql://writer@db.example.com:7432/stories?pgbouncer=true", "Transaction-mode pooler"),
    ):
        dialog.database_url.setText(url)
        assert dialog.database_url_kind.text().startswith(kind)
    dialog.database_url.setText(TRANSACTION_POOLER)
    assert "live refresh needs a session URL" in dialog.database_url_kind.text()
    placeholder = dialog.database_session_url.placeholderText()
    assert placeholder == "Default: aws-0-eu-central-1.pooler.supabase.com:5432, Supabase's session port"
    dialog.database_url.setText("postgresql://writer@db.example.com:7432/stories?pgbouncer=true")
    assert dialog.database_session_url.placeholderText() == "Needed for live refresh: a direct or session-mode URL"
    dialog.database_url.setText(DIRECT)
    assert dialog.database_session_url.placeholderText() == "Not needed: the URL above keeps its session"
    # The embedded database has none of these.
    dialog.database_kind.setCurrentIndex(dialog.database_kind.findData("embedded"))
    assert not dialog.database_session_url.isEnabled() and not dialog.database_ca_file.isEnabled()


def test_test_reports_the_version_the_kind_and_live_refresh_without_the_password(
    dialog: SettingsDialog, qtbot: Any, database_url: str
) -> None:
    dialog.database_password.edit.setText(PASSWORD)  # the test server trusts its socket: never asked for
    dialog.database_url.setText(database_url)
    result = answer(dialog.database_test, qtbot)
    assert re.match(r"✓ Connected to PostgreSQL \d+\.\d+ at local socket, a database on this computer\.", result)
    assert result.endswith("Live refresh will work on this connection.")

    # A transaction-mode pooler's URL with no session URL known: live refresh is said to be off, and why.
    dialog.database_url.setText(database_url + "&pgbouncer=true")
    assert dialog.database_url_kind.text().startswith("Transaction-mode pooler")
    result = answer(dialog.database_test, qtbot)
    assert result.startswith("✓ Connected to PostgreSQL") and "a transaction-mode pooler" in result
    assert result.endswith("Live refresh will be off: enter a session URL (a direct or session-mode one) to have it.")
    # A session URL that cannot be reached …
    dialog.database_session_url.setText(f"postgresql://writer:{PASSWORD}@127.0.0.1:1/stories")
    result = answer(dialog.database_test, qtbot)
    assert "Live refresh will be off — the session URL does not work: Cannot reach the database at 127.0.0.1:1" in (
        result
    )
    # … and one that works.
    dialog.database_session_url.setText(database_url)
    result = answer(dialog.database_test, qtbot)
    assert result.endswith("Live refresh will work through the session URL at local socket.")

    # A URL with its own password that cannot be reached: the answer names the host, never the password.
    dialog.database_url.setText(f"postgresql://writer:{PASSWORD}@127.0.0.1:1/stories")
    result = answer(dialog.database_test, qtbot)
    assert result.startswith("✗ Cannot reach the database at 127.0.0.1:1") and "on this computer" in result
    dialog.database_url.setText(f"postgresql://writer:{PASSWORD}@db.{REF}.supabase.co:6543/postgres")
    assert PASSWORD not in everything_shown(dialog)
    assert dialog.database_test.result.toolTip()  # the whole answer is there, for when two lines cut it


def test_an_answer_never_pushes_the_form_down(dialog: SettingsDialog, qtbot: Any) -> None:
    row = dialog.database_test
    dialog.database_url.setText("postgresql://writer@127.0.0.1:1/" + "a-very-long-database-name-" * 8)
    dialog.database_session_url.setText("postgresql://writer@127.0.0.1:2/" + "another-long-name-" * 8)
    qtbot.waitUntil(lambda: dialog.database_test.isVisible())
    height, below = row.result.height(), dialog.database_test.geometry().bottom()
    assert answer(row, qtbot).startswith("✗ Cannot reach")
    assert row.result.height() == height and dialog.database_test.geometry().bottom() == below


def test_the_ca_certificate_is_chosen_with_browse_and_checked_before_saving(
    dialog: SettingsDialog, qtbot: Any, tmp_path: Path
) -> None:
    not_a_certificate = tmp_path / "prod-ca-2021.crt"
    not_a_certificate.write_text("not a certificate\n", encoding="utf-8")
    dialog.database_url.setText(DIRECT)
    qtbot.mouseClick(dialog.database_ca_file.browse, Qt.MouseButton.LeftButton)
    chooser = dialog.database_ca_file.dialog
    assert chooser is not None
    qtbot.waitUntil(chooser.isVisible)
    assert not chooser.isModal() or chooser.windowModality() != Qt.WindowModality.ApplicationModal
    chooser.selectFile(str(not_a_certificate))
    chooser.accept()
    assert dialog.database_ca_file.text() == str(not_a_certificate)

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    reason = dialog.reasons["database_ca_file"]
    assert reason.isVisible()
    assert reason.text() == (
        "Is not a certificate in PEM form — choose the CA certificate you downloaded (a .crt or .pem file)."
    )
    assert not (config_dir() / "settings.toml").exists()

    dialog.database_ca_file.edit.clear()
    qtbot.keyClicks(dialog.database_ca_file.edit, str(tmp_path / "missing.crt"))
    assert not reason.isVisible()  # typing takes the reason away
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert reason.text().startswith("Does not exist — choose the CA certificate")

    dialog.database_ca_file.edit.clear()
    dialog.database_session_url.setText(SESSION_POOLER)
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settings: Settings = saved.args[0]
    assert settings.database_session_url == SESSION_POOLER and settings.database_ca_file == ""
    values = tomllib.loads((config_dir() / "settings.toml").read_text(encoding="utf-8"))
    assert values["database_session_url"] == SESSION_POOLER
