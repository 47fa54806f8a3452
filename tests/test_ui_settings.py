"""Settings as a writer uses them: every connection with a Test that answers in plain words, keys masked and kept
in the keyring (or said plainly to be kept for the session only), the rest written to the settings file."""

from __future__ import annotations

import os
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring.backend
import pytest
from pydantic import SecretStr
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit

from desktop.config import Settings
from desktop.qt.aio import TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.secrets import SecretStore
from desktop.services.connection_checks import CheckResult
from desktop.ui.settings.settings_dialog import CheckRow, SettingsDialog
from tests.support.storage_fixtures import BUCKET
from tests.support.storage_server import StorageServer
from tests.support.ui_fixtures import WriterApp, write_story
from tests.support.ui_servers import ModelListServer

Run = Callable[..., Any]


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps its passwords in a dict (no system keyring on the test machine)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture
def executor(qapp: object) -> Any:
    pool = QThreadPoolExecutor(max_workers=2)
    yield pool
    pool.shutdown(wait=True, cancel_futures=True, timeout=5)


@pytest.fixture
def tasks(qapp: object, run: Run) -> Any:
    runner = TaskRunner()
    yield runner
    run(runner.cancel_all())


def make_dialog(
    qtbot: Any, executor: Any, tasks: Any, secrets: SecretStore | None = None, **fields: Any
) -> SettingsDialog:
    settings = Settings(data_dir=Path(os.environ["STORYFORGE_DATA_DIR"]), user_id=uuid.uuid4(), **fields)
    dialog = SettingsDialog(settings, secrets or SecretStore(), executor, tasks.start)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def answer(row: CheckRow, qtbot: Any) -> str:
    qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.result.text() not in ("", "Checking…"), timeout=15_000)
    return row.result.text()


def test_settings_opens_without_blocking_from_the_menu(writer_app: WriterApp, qtbot: Any) -> None:
    window = writer_app.window
    window.actions_.settings.trigger()
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    assert window.actions_.settings.shortcut().toString() == "Ctrl+,"
    dialog.reject()


def test_every_setting_is_there_and_keys_are_masked(qtbot: Any, executor: Any, tasks: Any) -> None:
    dialog = make_dialog(qtbot, executor, tasks, openai_api_key=SecretStr("sk-secret-key-123456"))
    providers = [dialog.image_provider.itemText(i) for i in range(dialog.image_provider.count())]
    assert providers == ["Offline generator", "OpenAI-compatible", "Automatic1111-compatible", "ComfyUI"]
    storage = [dialog.storage_backend.itemText(i) for i in range(dialog.storage_backend.count())]
    assert storage == ["Local folder", "Supabase Storage"]
    for field in (
        dialog.openai_url,
        dialog.openai_model,
        dialog.a1111_url,
        dialog.supabase_url,
        dialog.supabase_bucket,
    ):
        assert isinstance(field, QLineEdit)
    assert dialog.supabase_public.text().startswith("Public bucket")
    assert dialog.signed_url_hours.value() == 7 * 24
    assert dialog.upload_concurrency.value() == 4
    assert dialog.database_kind.currentData() == "embedded"
    key = dialog.openai_key.edit
    assert key.echoMode() == QLineEdit.EchoMode.Password
    dialog.openai_key.show_action.trigger()
    assert key.echoMode() == QLineEdit.EchoMode.Normal
    # Only what the chosen providers use can be edited.
    assert not dialog.openai_group.isEnabled() and not dialog.supabase_group.isEnabled()
    dialog.image_provider.setCurrentIndex(2)
    assert dialog.a1111_group.isEnabled()


def test_without_a_keyring_the_dialog_says_so_once(qtbot: Any, executor: Any, tasks: Any) -> None:
    dialog = make_dialog(qtbot, executor, tasks)  # the tests' keyring is the null one
    dialog.show()
    assert "No system keyring on this computer" in dialog.keys_note.text()
    assert "STORYFORGE_SUPABASE_KEY" in dialog.keys_note.text()
    for tab in range(dialog.tabs.count()):  # on every tab, the one line below the tabs, and no other
        dialog.tabs.setCurrentIndex(tab)
        labels = dialog.findChildren(QLabel)
        shown = [label for label in labels if "No system keyring" in label.text() and label.isVisible()]
        assert shown == [dialog.keys_note]


def test_the_local_folder_shows_only_while_it_is_chosen(qtbot: Any, executor: Any, tasks: Any) -> None:
    dialog = make_dialog(qtbot, executor, tasks)
    dialog.show()
    dialog.tabs.setCurrentIndex(1)
    assert dialog.local_folder.isVisible() and not dialog.supabase_group.isEnabled()
    dialog.storage_backend.setCurrentIndex(dialog.storage_backend.findData("supabase"))
    assert not dialog.local_folder.isVisible() and dialog.supabase_group.isEnabled()
    dialog.storage_backend.setCurrentIndex(dialog.storage_backend.findData("local"))
    assert dialog.local_folder.isVisible()


def test_a_test_answer_never_pushes_the_form_down(qtbot: Any, executor: Any, tasks: Any) -> None:
    dialog = make_dialog(qtbot, executor, tasks)
    dialog.show()
    dialog.tabs.setCurrentIndex(1)
    below = dialog.upload_concurrency
    before = below.mapTo(dialog, below.rect().topLeft())
    long_answer = (
        "Cannot reach Supabase Storage — check your internet connection and the Supabase URL in Settings. " * 2
    )
    dialog.storage_test.show_result(CheckResult(False, long_answer))
    qtbot.waitUntil(lambda: dialog.storage_test.result.text() != "")
    assert below.mapTo(dialog, below.rect().topLeft()) == before
    assert dialog.storage_test.result.toolTip() == long_answer  # all of it, where it is cut


def test_saving_writes_the_file_and_puts_keys_in_the_keyring(qtbot: Any, executor: Any, tasks: Any) -> None:
    backend = MemoryKeyring()
    secrets = SecretStore(backend)
    dialog = make_dialog(qtbot, executor, tasks, secrets)
    assert "the system keyring" in dialog.keys_note.text()
    dialog.text_provider.setCurrentIndex(dialog.text_provider.findData("openai"))
    dialog.openai_url.setText("http://127.0.0.1:11434/v1")
    dialog.openai_model.setText("llama3.2")
    dialog.openai_key.edit.setText("sk-typed-into-settings-42")
    dialog.storage_backend.setCurrentIndex(dialog.storage_backend.findData("supabase"))
    dialog.supabase_url.setText("https://example.supabase.co")
    dialog.supabase_key.edit.setText("service-key-typed-42")
    dialog.supabase_public.setChecked(True)
    dialog.upload_concurrency.setValue(6)
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settings: Settings = saved.args[0]
    assert settings.text_provider == "openai" and settings.upload_concurrency == 6
    written = (Path(os.environ["STORYFORGE_CONFIG_DIR"]) / "settings.toml").read_text(encoding="utf-8")
    values = tomllib.loads(written)
    assert values["openai_base_url"] == "http://127.0.0.1:11434/v1"
    assert values["supabase_public"] is True
    assert "sk-typed-into-settings-42" not in written
    assert backend.passwords[("storyforge", "openai_api_key")] == "sk-typed-into-settings-42"
    assert backend.passwords[("storyforge", "supabase_key")] == "service-key-typed-42"
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_test_buttons_answer_in_plain_words(
    qtbot: Any, executor: Any, tasks: Any, model_list_server: ModelListServer
) -> None:
    server = model_list_server
    dialog = make_dialog(qtbot, executor, tasks)
    assert answer(dialog.text_test, qtbot) == "✓ The offline generator needs no connection."
    dialog.text_provider.setCurrentIndex(dialog.text_provider.findData("openai"))
    dialog.openai_url.setText(f"{server.url}/v1")
    dialog.openai_model.setText("story-model")
    dialog.openai_key.edit.setText(server.api_key)
    assert answer(dialog.text_test, qtbot) == "✓ Connected — story-model is available."
    dialog.openai_model.setText("no-such-model")
    assert "has no model named “no-such-model”" in answer(dialog.text_test, qtbot)
    dialog.openai_key.edit.setText("sk-wrong-key-000000")
    assert answer(dialog.text_test, qtbot) == "✗ The server rejected the API key — check the key."
    dialog.openai_url.setText("http://127.0.0.1:1/v1")
    assert answer(dialog.text_test, qtbot).startswith("✗ Cannot reach 127.0.0.1:1")

    dialog.image_provider.setCurrentIndex(dialog.image_provider.findData("a1111"))
    dialog.a1111_url.setText(server.url)
    assert answer(dialog.image_test, qtbot) == "✓ Connected — 1 model installed."
    server.txt2img_enabled = False
    assert "start it with the --api option" in answer(dialog.image_test, qtbot)


def test_storage_and_database_tests(
    qtbot: Any, executor: Any, tasks: Any, storage_server_with_bucket: StorageServer, database_url: str
) -> None:
    server = storage_server_with_bucket
    dialog = make_dialog(qtbot, executor, tasks)
    assert answer(dialog.storage_test, qtbot).startswith("✓ Images are kept in")
    dialog.storage_backend.setCurrentIndex(dialog.storage_backend.findData("supabase"))
    assert answer(dialog.storage_test, qtbot) == "✗ Enter the Supabase project URL and key first."
    dialog.supabase_url.setText(server.url)
    dialog.supabase_key.edit.setText(server.key)
    dialog.supabase_bucket.setText(BUCKET)
    assert answer(dialog.storage_test, qtbot) == f"✓ Connected — images go to the Supabase bucket “{BUCKET}”."
    dialog.supabase_key.edit.setText("not-the-key")
    wrong = answer(dialog.storage_test, qtbot)
    assert wrong.startswith("✗") and "key" in wrong and "not-the-key" not in wrong

    assert answer(dialog.database_test, qtbot).startswith("✓ Storyforge runs its own PostgreSQL")
    dialog.database_kind.setCurrentIndex(dialog.database_kind.findData("url"))
    dialog.database_url.setText(database_url)
    assert answer(dialog.database_test, qtbot).startswith("✓ Connected to PostgreSQL")
    dialog.database_url.setText("postgresql://writer@127.0.0.1:1/stories")
    assert answer(dialog.database_test, qtbot).startswith("✗ Cannot reach the database at 127.0.0.1:1")


def test_switching_to_supabase_offers_to_upload_the_local_images(
    writer_app: WriterApp, storage_server_with_bucket: StorageServer, qtbot: Any
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from desktop.models import StoryStatus

    server, window = storage_server_with_bucket, writer_app.window
    write_story(window, qtbot, "Copper Bells", "A bell-founder's daughter casts a bell that rings in dreams.", 2)
    view = window.story_view
    qtbot.waitUntil(lambda: view.story is not None and view.story.status is StoryStatus.complete, timeout=30_000)
    qtbot.waitUntil(lambda: window.uploads_panel.model.counts() == (0, 0), timeout=15_000)

    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    dialog.storage_backend.setCurrentIndex(dialog.storage_backend.findData("supabase"))
    dialog.supabase_url.setText(server.url)
    dialog.supabase_key.edit.setText(server.key)
    dialog.supabase_bucket.setText(BUCKET)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.local_images_question is not None and window.local_images_question.isVisible())
    question = window.local_images_question
    assert question is not None and question.text().startswith("2 images are only in the local storage folder")
    question.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: len(server.object_keys(BUCKET)) == 2, timeout=15_000)
    assert writer_app.runtime.settings.storage_backend == "supabase"
