"""Settings: STORYFORGE_* environment variables over a TOML file; secrets through the keyring."""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import re
import shutil
import socket
import tomllib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from urllib.parse import urlsplit, urlunsplit

import annotated_types
import tomli_w
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from desktop.db.address import ca_file_problem, check_database_url
from desktop.models import is_control, printable
from desktop.places import config_dir, default_data_dir
from desktop.places import log_dir as log_dir  # where it has always been imported from
from desktop.secrets import SECRET_NAMES, SecretStore

SETTINGS_FILE = "settings.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STORYFORGE_", extra="ignore", validate_default=True)

    user_id: uuid.UUID | None = None
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    # A URL that keeps its session, for live refresh when `database_url` is a transaction-mode pooler's.
    database_session_url: str = ""
    # The CA certificate that signs a remote database's (Supabase offers its own); "" trusts the system's roots.
    database_ca_file: str = ""

    text_provider: Literal["offline", "openai"] = "offline"
    image_provider: Literal["offline", "openai", "a1111", "comfyui"] = "offline"
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = "gpt-4o-mini"
    openai_image_model: str = "gpt-image-1"
    a1111_url: str = "http://127.0.0.1:7860"
    comfyui_url: str = "http://127.0.0.1:8188"
    comfyui_checkpoint: str = ""  # "" = the first the server lists
    comfyui_workflow: str = ""  # an API-format workflow file with placeholders; "" = resources/comfyui's default
    offline_delay: float = Field(default=0.0, ge=0, le=10)
    image_concurrency: int = Field(default=3, ge=1, le=16)
    image_candidates: int = Field(default=3, ge=1, le=4)  # how many pictures "More images" paints for a scene
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

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        # A NUL byte or an escape sequence in a setting is never meant: it would reach a path, a URL or a terminal.
        if _has_controls(value) or (isinstance(value, SecretStr) and _has_controls(value.get_secret_value())):
            raise ValueError("contains a control character")
        return value

    @field_validator("data_dir", mode="after")
    @classmethod
    def _home(cls, value: Path) -> Path:
        return value.expanduser()  # "~/Stories" from a settings file or a quoted variable means the writer's home

    @field_validator("database_ca_file", mode="after")
    @classmethod
    def _file_at_home(cls, value: str) -> str:
        return str(Path(value.strip()).expanduser()) if value.strip() else ""

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
    def storage_folder(self) -> Path:
        """The local storage folder: where the "local" storage keeps uploaded images. On disk it is still called
        library/, the name it had when it was also what the story list was called: existing data folders keep it."""
        return self.data_dir / "library"

    @property
    def postgres_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def uses_embedded_database(self) -> bool:
        return not self.database_url

    @property
    def device(self) -> str:
        """This computer and data folder, as a short stable id: the images in its image folder are sent from here."""
        where = f"{socket.gethostname()}:{self.data_dir.expanduser().absolute()}"
        return hashlib.sha256(where.encode()).hexdigest()[:16]

    def database_dsn(self) -> str:
        """The URL to connect with: the keyring's password joins a URL that has none of its own."""
        return self._with_password(self.database_url)

    def database_session_dsn(self) -> str:
        """The session URL for live refresh (see desktop/db/address.py), with the password as above; "" if unset."""
        return self._with_password(self.database_session_url) if self.database_session_url else ""

    def _with_password(self, url: str) -> str:
        password = self.database_password.get_secret_value()
        parts = urlsplit(url)
        if not password or parts.password is not None or parts.username is None:
            return url
        # The host as written: none for a Unix socket (?host=/run/…), [brackets] around IPv6, the port kept.
        netloc = f"{parts.username}:{password}@{parts.netloc.rpartition('@')[2]}"
        return urlunsplit(parts._replace(netloc=netloc))


class SettingsError(ValueError):
    """Settings that cannot be used; `str()` is one plain line saying where the bad value is and what to do."""


@dataclass(frozen=True)
class LoadedSettings:
    """What could be used, with defaults where a value was bad, and one plain line per bad value."""

    settings: Settings
    problems: list[str]


_URL_FIELDS = {"openai_base_url", "a1111_url", "comfyui_url", "supabase_url"}
_EXAMPLE_UUID = "123e4567-e89b-12d3-a456-426614174000"


def accepted_values(name: str) -> str:
    """What `name` takes, in a writer's words: "one of offline, openai", "a whole number from 1 to 32"."""
    if name == "database_url":
        return "a PostgreSQL URL such as postgresql://user@host:5432/storyforge, or nothing for the embedded one"
    if name == "database_session_url":
        return "a PostgreSQL URL that keeps its session (a direct or session-mode one), or nothing"
    if name == "database_ca_file":
        return "the path of a CA certificate file (.crt or .pem), or nothing for the system's certificates"
    if name in _URL_FIELDS:
        return "an address starting with http:// or https://"
    field = Settings.model_fields[name]
    annotation = field.annotation
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(str(choice) for choice in get_args(annotation))
    if annotation is bool:
        return "true or false"
    if annotation in (int, float):
        low = next((m.ge for m in field.metadata if isinstance(m, annotated_types.Ge)), None)
        above = next((m.gt for m in field.metadata if isinstance(m, annotated_types.Gt)), None)
        high = next((m.le for m in field.metadata if isinstance(m, annotated_types.Le)), None)
        kind = "a whole number" if annotation is int else "a number"
        if low is not None and high is not None:
            return f"{kind} from {low:g} to {high:g}"
        if low is not None:
            return f"{kind} of at least {low:g}"
        if above is not None:
            return f"{kind} above {above:g}"
        return kind
    if annotation == uuid.UUID | None:
        return f"an id such as {_EXAMPLE_UUID}"
    if annotation is Path:
        return "a folder path"
    return 'text (in "quotes" in the settings file)'


def _shown(value: object) -> str:
    """A value quoted for one line of a message: control characters escaped, long values cut."""
    text = value if isinstance(value, str) else repr(value)
    text = printable(text)
    return f'"{text[:60]}…"' if len(text) > 60 else f'"{text}"'


def _has_controls(value: object) -> bool:
    return isinstance(value, str) and any(is_control(char) for char in value)


def field_problem(name: str, error: dict[str, Any] | None = None) -> str:
    """Why a value of setting `name` was refused, as the end of a sentence: "must be true or false"."""
    if error is not None and error.get("type") == "value_error" and "control character" in str(error.get("msg")):
        return "holds a control character (such as a NUL byte); only plain text is accepted"
    return f"must be {accepted_values(name)}"


def _read_file(path: Path) -> tuple[dict[str, Any], str]:
    """The file's values and text; SettingsError naming the line when it cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}, ""
    except NotADirectoryError as exc:
        raise SettingsError(
            f"The settings folder {path.parent} is a file — point STORYFORGE_CONFIG_DIR at a folder."
        ) from exc
    except OSError as exc:
        raise SettingsError(
            f"The settings file {path} cannot be read ({exc.strerror}) — check its permissions."
        ) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SettingsError(
            f"The settings file {path}, line {line}, is not UTF-8 text — save the file as UTF-8, "
            "or move it away to start from the defaults."
        ) from exc
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"^(.*?)\s*\(at (line \d+, column \d+|end of document)\)", str(exc))
        what, where = (found.group(1), found.group(2)) if found else (str(exc), "somewhere")
        where = "the end" if where == "end of document" else where
        raise SettingsError(
            f"The settings file {path} is not valid TOML at {where}: {what.lower()} — fix that line, "
            "or move the file away to start from the defaults."
        ) from exc


def _line_of(text: str, key: str) -> int | None:
    """The line where `key = …` is set in the file's text (the file is flat: every setting is a top-level key)."""
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")
    return next((number for number, line in enumerate(text.splitlines(), 1) if pattern.match(line)), None)


def _salvaged_user_id(text: str) -> uuid.UUID | None:
    """The writer's id out of a file that does not parse, so their storage folder stays theirs for the session."""
    found = re.search(r"""^\s*user_id\s*=\s*["']([0-9a-fA-F-]{36})["']""", text, re.MULTILINE)
    try:
        return uuid.UUID(found.group(1)) if found else None
    except ValueError:
        return None


def read_settings(secrets: SecretStore | None, directory: Path | None = None, **overrides: Any) -> LoadedSettings:
    """File, then environment, then `overrides`; defaults stand in for bad values, each told in `problems`.

    A first run gets its writer profile id written to the file; a file that failed to load is never written.
    The secrets set neither by a variable nor an override come from `secrets`; with None they are left empty, for
    `with_secrets` to fill later (the window does not wait for the keyring).
    """
    path = (directory or config_dir()) / SETTINGS_FILE
    problems: list[str] = []
    try:
        raw, text = _read_file(path)
        file_readable = True
    except SettingsError as exc:
        problems.append(str(exc))
        raw, text, file_readable = {}, "", False
        with contextlib.suppress(OSError):
            text = path.read_bytes().decode("utf-8", errors="replace")
    from_file = {key: value for key, value in raw.items() if key not in SECRET_NAMES}
    env_set = {name for name in Settings.model_fields if f"STORYFORGE_{name.upper()}" in os.environ}
    # The environment beats the file: pass file values only where no variable is set.
    values = {key: value for key, value in from_file.items() if key not in env_set}
    values.update(overrides)
    typos = _file_typos(path, text, raw)
    problems.extend(typos + _variable_typos())
    file_clean = file_readable and not typos
    settings: Settings | None = None
    while settings is None:
        try:
            settings = Settings(**values)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                name = str(error["loc"][0]) if error["loc"] else ""
                if name not in Settings.model_fields:
                    raise SettingsError(f"A setting could not be read: {error['msg']}.") from exc
                problems.append(_where(name, path, text, from_file, overrides, field_problem(name, dict(error))))
                file_clean = file_clean and (name in overrides or name in env_set)
                values[name] = Settings.model_fields[name].get_default(call_default_factory=True)
    for name, reason in unusable(settings, complete=False).items():
        problems.append(_where(name, path, text, from_file, overrides, reason))
        file_clean = file_clean and (name in overrides or name in env_set)
        settings = settings.model_copy(update={name: Settings.model_fields[name].get_default()})
    if settings.user_id is None:
        settings = settings.model_copy(update={"user_id": _salvaged_user_id(text) or uuid.uuid4()})
        if file_clean:
            try:
                _write_file(path, {**from_file, "user_id": str(settings.user_id)})
            except OSError as exc:
                problems.append(
                    f"The settings file {path} cannot be written ({exc.strerror or exc}) — "
                    "check that its folder exists and can be written."
                )
    if secrets is not None:
        settings = with_secrets(settings, secrets, overridden=set(overrides))
    return LoadedSettings(settings, problems)


def with_secrets(settings: Settings, secrets: SecretStore, overridden: Iterable[str] = ()) -> Settings:
    """`settings` with the secrets a variable or an override did not set read from the keyring (blocking: on a
    desktop each read is a D-Bus round trip)."""
    skipped = set(overridden) | {name for name in SECRET_NAMES if f"STORYFORGE_{name.upper()}" in os.environ}
    read = {name: SecretStr(secrets.get(name)) for name in SECRET_NAMES if name not in skipped}
    return settings.model_copy(update=read)


def _where(name: str, path: Path, text: str, values: dict[str, Any], overrides: dict[str, Any], reason: str) -> str:
    """One line naming where the bad value came from — variable, file line or option — and what it must be."""
    variable = f"STORYFORGE_{name.upper()}"
    if name in overrides:
        return f"--{name.replace('_', '-')} {reason}."
    if variable in os.environ:
        shown = "(secret)" if name in SECRET_NAMES else _shown(os.environ[variable])
        return f"{variable} is {shown}; it {reason} — change it or unset it."
    line = _line_of(text, name)
    at = f", line {line}" if line else ""
    value = f" is {_shown(values[name])}; it" if name in values else ""
    return f"The settings file {path}{at}: {name}{value} {reason} — fix that line or delete it to use the default."


# Read outside the Settings model (they say where the settings and the log are).
OTHER_VARIABLES = {"STORYFORGE_CONFIG_DIR", "STORYFORGE_LOG_DIR"}


def _misspelt(names: Iterable[str], known: Iterable[str]) -> dict[str, str]:
    """Names that are no setting but nearly one: name → the setting meant. A far-off name is left alone (another
    tool's, or one a later version reads), so only a likely typo is refused."""
    known = list(known)
    found = {}
    for name in names:
        if name not in known and (close := difflib.get_close_matches(name, known, n=1, cutoff=0.85)):
            found[name] = close[0]
    return found


def _file_typos(path: Path, text: str, from_file: dict[str, Any]) -> list[str]:
    problems = []
    fields = [*Settings.model_fields, *SECRET_NAMES]
    for name, meant in _misspelt(from_file, fields).items():
        line = _line_of(text, name)
        at = f", line {line}" if line else ""
        problems.append(f"The settings file {path}{at}: {name} is not a setting — did you mean {meant}? Fix that line.")
    return problems


def _variable_typos() -> list[str]:
    problems = []
    variables = [f"STORYFORGE_{name.upper()}" for name in Settings.model_fields] + sorted(OTHER_VARIABLES)
    present = [name for name in os.environ if name.startswith("STORYFORGE_")]
    for name, meant in _misspelt(present, variables).items():
        problems.append(f"{name} is not a Storyforge variable — did you mean {meant}? Rename it or unset it.")
    return problems


def load_settings(secrets: SecretStore, directory: Path | None = None, **overrides: Any) -> Settings:
    """As `read_settings`, but the first problem is raised as a SettingsError (for commands, which stop there)."""
    loaded = read_settings(secrets, directory, **overrides)
    if loaded.problems:
        raise SettingsError(loaded.problems[0])
    return loaded.settings


def _http_problem(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an address starting with http:// or https://"
    return None


def unusable(settings: Settings, *, complete: bool = True) -> dict[str, str]:
    """Cheap checks of what the chosen providers, storage and database use: field → why it cannot work.

    `complete` also asks for what is missing (Supabase chosen without a URL or key): Settings refuses to save it,
    while a start-up with it still opens and says so when an upload is tried.
    """
    problems: dict[str, str] = {}
    uses_openai = "openai" in (settings.text_provider, settings.image_provider)
    urls = {
        "openai_base_url": uses_openai,
        "a1111_url": settings.image_provider == "a1111",
        "comfyui_url": settings.image_provider == "comfyui",
        "supabase_url": settings.storage_backend == "supabase",
    }
    for name, used in urls.items():
        value = getattr(settings, name)
        if used and (value or complete) and (problem := _http_problem(value)):
            problems[name] = problem
    needed = {
        "supabase_key": settings.storage_backend == "supabase" and not settings.supabase_key.get_secret_value(),
        "supabase_bucket": settings.storage_backend == "supabase" and not settings.supabase_bucket,
        "openai_model": settings.text_provider == "openai" and not settings.openai_model,
        "openai_image_model": settings.image_provider == "openai" and not settings.openai_image_model,
    }
    for name, missing in needed.items():
        if complete and missing:
            problems[name] = "must be set for the chosen provider or storage"
    for name in ("database_url", "database_session_url"):
        url = getattr(settings, name)
        if url and (problem := check_database_url(url)):
            problems[name] = problem.removeprefix("The database URL ").rstrip(".")
    ca_file = settings.database_ca_file
    if ca_file and settings.database_url and (problem := ca_file_problem(ca_file)):
        problems["database_ca_file"] = problem
    return problems


# The settings that choose who writes and paints (never a secret), by provider: a story keeps those of the providers
# it was started with (Story.made_with), so regenerating or continuing it asks the same providers and models.
_TEXT_FIELDS = {"offline": (), "openai": ("openai_base_url", "openai_model")}
_IMAGE_FIELDS = {
    "offline": (),
    "openai": ("openai_base_url", "openai_image_model"),
    "a1111": ("a1111_url",),
    "comfyui": ("comfyui_url", "comfyui_checkpoint", "comfyui_workflow"),
}


def provider_settings(settings: Settings) -> dict[str, str]:
    """The providers chosen and the fields they use: a change to a provider not chosen changes nothing."""
    names = (
        "text_provider",
        *_TEXT_FIELDS[settings.text_provider],
        "image_provider",
        *_IMAGE_FIELDS[settings.image_provider],
    )
    return {name: str(getattr(settings, name)) for name in names}


def save_settings(settings: Settings, secrets: SecretStore, directory: Path | None = None) -> Path:
    """Write everything but the secrets to the file, and the secrets to the keyring.

    A file that does not load is kept beside the new one (settings.toml.broken), never lost.
    """
    path = (directory or config_dir()) / SETTINGS_FILE
    _keep_if_broken(path)
    values = settings.model_dump(mode="json", exclude=set(SECRET_NAMES))
    _write_file(path, {key: value for key, value in values.items() if value is not None})
    for name in SECRET_NAMES:
        secrets.set(name, getattr(settings, name).get_secret_value())
    return path


def _keep_if_broken(path: Path) -> None:
    if not path.is_file():
        return
    try:
        raw, _ = _read_file(path)
        Settings(**{key: value for key, value in raw.items() if key not in SECRET_NAMES})
    except (SettingsError, ValidationError):
        shutil.copy2(path, path.with_name(path.name + ".broken"))


def _write_file(path: Path, values: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own per process: two first runs at once must not rename each other's half-written file.
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(tomli_w.dumps(values), encoding="utf-8")
    temporary.replace(path)
