from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import keyring.backend
import pytest

from desktop.config import SETTINGS_FILE, config_dir, load_settings, save_settings
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
