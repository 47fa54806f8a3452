from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import keyring.backend
import pytest

from desktop.config import (
    SETTINGS_FILE,
    Settings,
    SettingsError,
    config_dir,
    load_settings,
    read_settings,
    save_settings,
    unusable,
)
from desktop.logs import SecretMask
from desktop.secrets import SecretStore


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps its secrets in a dict, so tests never touch the machine's keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


def test_first_run_makes_a_writer_id_and_keeps_it() -> None:
    store = SecretStore(MemoryKeyring())
    first = load_settings(store)
    assert first.user_id is not None
    assert load_settings(store).user_id == first.user_id
    assert first.storage_backend == "local" and first.text_provider == "offline" and first.database_url == ""


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    store = SecretStore(MemoryKeyring())
    settings = load_settings(store).model_copy(update={"upload_concurrency": 2, "supabase_bucket": "from-file"})
    save_settings(settings, store)
    monkeypatch.setenv("STORYFORGE_SUPABASE_BUCKET", "from-env")
    monkeypatch.setenv("STORYFORGE_DATABASE_URL", "postgresql://writer@db.example.com/stories")
    loaded = load_settings(store)
    assert loaded.supabase_bucket == "from-env"
    assert loaded.upload_concurrency == 2
    assert not loaded.uses_embedded_database


def test_secrets_go_to_the_keyring_never_to_the_file() -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend)
    settings = load_settings(store).model_copy(
        update={"database_url": "postgresql://writer@db.example.com:5432/stories"}
    )
    settings = settings.model_copy(update={"supabase_key": settings.supabase_key.__class__("service-key-123")})
    save_settings(settings, store)
    text = (config_dir() / SETTINGS_FILE).read_text()
    assert "service-key-123" not in text
    assert backend.items[("storyforge", "supabase_key")] == "service-key-123"
    assert load_settings(store).supabase_key.get_secret_value() == "service-key-123"
    assert "database_url" in tomllib.loads(text)


def test_database_password_from_the_keyring_joins_the_url() -> None:
    backend = MemoryKeyring()
    backend.set_password("storyforge", "database_password", "pa55word")
    settings = load_settings(SecretStore(backend), database_url="postgresql://writer@db.example.com:6543/stories")
    assert settings.database_dsn() == "postgresql://writer:pa55word@db.example.com:6543/stories"


def test_without_a_keyring_secrets_stay_in_memory_and_say_so() -> None:
    store = SecretStore()  # the tests' environment selects the null keyring
    assert not store.persistent
    assert "this session only" in store.where
    store.set("openai_api_key", "sk-session-only-key")
    assert store.get("openai_api_key") == "sk-session-only-key"
    save_settings(load_settings(store), store)
    assert "sk-session" not in (config_dir() / SETTINGS_FILE).read_text()


def test_the_log_masks_secrets(tmp_path: Path) -> None:
    mask = SecretMask()
    mask.add(["hunter2-key"])
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "connecting to %s with %s",
        ("postgresql://writer:pa55word@db.example.com/stories", "hunter2-key"),
        None,
    )
    mask.filter(record)
    text = record.getMessage()
    assert "pa55word" not in text and "hunter2-key" not in text
    assert "db.example.com" in text
    assert "eyJ" not in mask.mask("key eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZSJ9.c2lnbmF0dXJl")


def test_a_bad_value_is_replaced_by_its_default_and_named_where_it_came_from(monkeypatch: pytest.MonkeyPatch) -> None:
    store = SecretStore(MemoryKeyring())
    path = config_dir() / SETTINGS_FILE
    path.parent.mkdir(parents=True)
    text = 'user_id = "6f1c1b7e-6a65-4d55-9a3b-1bd0e1e0c001"\nsupabase_bucket = "kept"\nimage_concurrency = 0\n'
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("STORYFORGE_TEXT_PROVIDER", "gpt")
    loaded = read_settings(store)
    assert loaded.settings.supabase_bucket == "kept"  # what was good is used
    assert loaded.settings.image_concurrency == 3 and loaded.settings.text_provider == "offline"
    assert loaded.problems == [
        'STORYFORGE_TEXT_PROVIDER is "gpt"; it must be one of offline, openai — change it or unset it.',
        f'The settings file {path}, line 3: image_concurrency is "0"; it must be a whole number from 1 to 16 — fix '
        "that line or delete it to use the default.",
    ]
    with pytest.raises(SettingsError, match="STORYFORGE_TEXT_PROVIDER"):
        load_settings(store)
    assert path.read_text(encoding="utf-8") == text


def test_the_environment_hides_a_bad_value_in_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    path = config_dir() / SETTINGS_FILE
    path.parent.mkdir(parents=True)
    path.write_text('user_id = "6f1c1b7e-6a65-4d55-9a3b-1bd0e1e0c001"\nupload_concurrency = "many"\n')
    monkeypatch.setenv("STORYFORGE_UPLOAD_CONCURRENCY", "7")
    assert load_settings(SecretStore(MemoryKeyring())).upload_concurrency == 7


def test_supabase_without_a_key_starts_but_settings_refuses_it() -> None:
    settings = Settings(storage_backend="supabase", supabase_url="https://example.supabase.co")
    assert unusable(settings, complete=False) == {}  # a start-up says so when an upload is tried
    assert unusable(settings) == {"supabase_key": "must be set for the chosen provider or storage"}
    assert unusable(settings.model_copy(update={"supabase_url": ""})) == {
        "supabase_url": "must be an address starting with http:// or https://",
        "supabase_key": "must be set for the chosen provider or storage",
    }
    assert Settings(data_dir=Path("~/Stories")).data_dir == Path.home() / "Stories"
