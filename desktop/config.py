"""Settings: STORYFORGE_* environment variables over a TOML file; secrets through the keyring."""

from __future__ import annotations

import os
import tomllib
import uuid
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import platformdirs
import tomli_w
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from desktop.secrets import SECRET_NAMES, SecretStore

APP_NAME = "storyforge"
SETTINGS_FILE = "settings.toml"


def config_dir() -> Path:
    override = os.environ.get("STORYFORGE_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def log_dir() -> Path:
    override = os.environ.get("STORYFORGE_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME))


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STORYFORGE_", extra="ignore", validate_default=True)

    user_id: uuid.UUID | None = None
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""

    text_provider: Literal["offline", "openai"] = "offline"
    image_provider: Literal["offline", "openai", "a1111"] = "offline"
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = "gpt-4o-mini"
    openai_image_model: str = "gpt-image-1"
    a1111_url: str = "http://127.0.0.1:7860"
    offline_delay: float = Field(default=0.0, ge=0, le=10)
    image_concurrency: int = Field(default=3, ge=1, le=16)
    request_timeout: float = Field(default=120.0, gt=0)

    storage_backend: Literal["local", "supabase"] = "local"
    supabase_url: str = ""
    supabase_bucket: str = "story-images"
    supabase_public: bool = False
    signed_url_expiry: int = Field(default=7 * 24 * 3600, ge=60)
    upload_concurrency: int = Field(default=4, ge=1, le=32)

    # Secrets: from the environment for automation, otherwise filled from the keyring by `load_settings`.
    openai_api_key: SecretStr = SecretStr("")
    supabase_key: SecretStr = SecretStr("")
    database_password: SecretStr = SecretStr("")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def library_dir(self) -> Path:
        return self.data_dir / "library"

    @property
    def postgres_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def uses_embedded_database(self) -> bool:
        return not self.database_url

    def database_dsn(self) -> str:
        """The URL to connect with: the keyring's password joins a URL that has none of its own."""
        password = self.database_password.get_secret_value()
        parts = urlsplit(self.database_url)
        if not password or parts.password is not None or parts.username is None:
            return self.database_url
        netloc = f"{parts.username}:{password}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with path.open("rb") as file:
        return tomllib.load(file)


def load_settings(secrets: SecretStore, directory: Path | None = None, **overrides: Any) -> Settings:
    """File, then environment, then `overrides`; a first run gets its writer profile id written to the file."""
    path = (directory or config_dir()) / SETTINGS_FILE
    from_file = {key: value for key, value in _read_file(path).items() if key not in SECRET_NAMES}
    env_set = {name for name in Settings.model_fields if f"STORYFORGE_{name.upper()}" in os.environ}
    # The environment beats the file: pass file values only where no variable is set.
    file_values = {key: value for key, value in from_file.items() if key not in env_set}
    settings = Settings(**{**file_values, **overrides})
    if settings.user_id is None:
        settings = settings.model_copy(update={"user_id": uuid.uuid4()})
        _write_file(path, {**from_file, "user_id": str(settings.user_id)})
    missing_secrets = {
        name: SecretStr(secrets.get(name)) for name in SECRET_NAMES if name not in env_set and name not in overrides
    }
    return settings.model_copy(update=missing_secrets)


def save_settings(settings: Settings, secrets: SecretStore, directory: Path | None = None) -> Path:
    """Write everything but the secrets to the file, and the secrets to the keyring."""
    path = (directory or config_dir()) / SETTINGS_FILE
    values = settings.model_dump(mode="json", exclude=set(SECRET_NAMES))
    _write_file(path, {key: value for key, value in values.items() if value is not None})
    for name in SECRET_NAMES:
        secrets.set(name, getattr(settings, name).get_secret_value())
    return path


def _write_file(path: Path, values: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(tomli_w.dumps(values), encoding="utf-8")
    temporary.replace(path)
