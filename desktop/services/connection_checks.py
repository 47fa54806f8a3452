"""The Settings dialog's Test buttons: one coroutine per connection, each answering in plain words.

No widgets here. The storage check uses the real storage backend on the executor; HTTP checks use httpx.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from dataclasses import dataclass
from urllib.parse import urlsplit

import asyncpg
import httpx

from desktop.config import Settings
from desktop.db.connect import database_host
from desktop.storage.factory import build_backend
from desktop.storage.failures import classify

CHECK_TIMEOUT = 10.0
_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.rsplit("@", 1)[-1] or url


def _http_failure(exc: httpx.HTTPError, url: str) -> CheckResult:
    where = _host(url)
    if isinstance(exc, httpx.TimeoutException):
        return CheckResult(
            False, f"{where} did not answer within {CHECK_TIMEOUT:.0f} s — check the URL and your network."
        )
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return CheckResult(
            False, "That URL is not valid — it should look like https://host/… or http://127.0.0.1:port."
        )
    return CheckResult(False, f"Cannot reach {where} — check the URL and that the server is running.")


def _status_failure(response: httpx.Response, what: str) -> CheckResult:
    code = response.status_code
    if code in (401, 403):
        return CheckResult(False, f"The {what} rejected the API key — check the key.")
    if code == 404:
        return CheckResult(False, f"No {what} answers at this URL — check the address (OpenAI-style URLs end in /v1).")
    if code == 429:
        return CheckResult(False, f"The {what} says too many requests — wait a minute and test again.")
    return CheckResult(False, f"The {what} answered with an error (HTTP {code}) — try again later.")


async def _get(url: str, key: str = "") -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx.AsyncClient(timeout=CHECK_TIMEOUT, follow_redirects=True) as client:
        return await client.get(url, headers=headers)


async def check_openai(base_url: str, key: str, model: str) -> CheckResult:
    url = base_url.rstrip("/") + "/models"
    try:
        response = await _get(url, key)
    except httpx.HTTPError as exc:
        return _http_failure(exc, base_url)
    if response.status_code != 200:
        return _status_failure(response, "server")
    try:
        names = [str(item.get("id", "")) for item in response.json().get("data", [])]
    except (ValueError, AttributeError):
        return CheckResult(False, "The server answered, but not like an OpenAI-compatible API — check the URL.")
    if not model or model in names:
        return CheckResult(True, f"Connected — {model or 'the server'} is available.")
    offered = ", ".join(sorted(names)[:6]) + ("…" if len(names) > 6 else "")
    return CheckResult(
        False, f"Connected, but the server has no model named “{model}”. It offers: {offered or 'none'}."
    )


async def check_a1111(base_url: str) -> CheckResult:
    try:
        response = await _get(base_url.rstrip("/") + "/sdapi/v1/sd-models")
    except httpx.HTTPError as exc:
        return _http_failure(exc, base_url)
    if response.status_code == 404:
        return CheckResult(False, "The server answers, but has no txt2img API — start it with the --api option.")
    if response.status_code != 200:
        return _status_failure(response, "image server")
    try:
        count = len(response.json())
    except (ValueError, TypeError):
        count = 0
    return CheckResult(True, f"Connected — {count} {'model' if count == 1 else 'models'} installed.")


async def check_text_provider(settings: Settings) -> CheckResult:
    if settings.text_provider == "offline":
        return CheckResult(True, "The offline generator needs no connection.")
    return await check_openai(
        settings.openai_base_url, settings.openai_api_key.get_secret_value(), settings.openai_model
    )


async def check_image_provider(settings: Settings) -> CheckResult:
    if settings.image_provider == "offline":
        return CheckResult(True, "The offline generator paints without a connection.")
    if settings.image_provider == "a1111":
        return await check_a1111(settings.a1111_url)
    return await check_openai(
        settings.openai_base_url, settings.openai_api_key.get_secret_value(), settings.openai_image_model
    )


def _check_backend(settings: Settings) -> CheckResult:
    """Blocking (the storage clients are synchronous): run on the executor."""
    try:
        backend = build_backend(settings)
    except Exception as exc:  # a StorageConfigError, or the client refusing a malformed URL or key
        return CheckResult(False, classify(exc, bucket=settings.supabase_bucket).message)
    try:
        backend.ensure_bucket()
    except Exception as exc:
        return CheckResult(False, classify(exc, bucket=settings.supabase_bucket).message)
    finally:
        backend.close()
    if settings.storage_backend == "local":
        return CheckResult(True, f"Images are kept in {settings.library_dir}.")
    return CheckResult(True, f"Connected — images go to the {backend.label}.")


async def check_storage(settings: Settings, executor: Executor) -> CheckResult:
    if settings.storage_backend == "supabase" and not (
        settings.supabase_url.strip() and settings.supabase_key.get_secret_value()
    ):
        return CheckResult(False, "Enter the Supabase project URL and key first.")
    quick = settings.model_copy(update={"request_timeout": CHECK_TIMEOUT})
    return await asyncio.wrap_future(executor.submit(_check_backend, quick))


def _ssl_for(dsn: str) -> str | bool | None:
    parts = urlsplit(dsn)
    if "sslmode=" in parts.query:
        return None
    host = parts.hostname or ""
    return False if host in _LOCAL_HOSTS or host.startswith("/") or "host=/" in parts.query else "require"


async def check_database(settings: Settings) -> CheckResult:
    if settings.uses_embedded_database:
        return CheckResult(True, "Storyforge runs its own PostgreSQL in the data folder; nothing to set up.")
    dsn = settings.database_dsn()
    where = database_host(dsn)
    try:
        conn = await asyncpg.connect(dsn, ssl=_ssl_for(dsn), timeout=CHECK_TIMEOUT)
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError):
        return CheckResult(False, f"The database at {where} refused the user or password — check them.")
    except asyncpg.InvalidCatalogNameError:
        return CheckResult(False, f"The database named in the URL does not exist at {where}.")
    except TimeoutError:
        return CheckResult(False, f"The database at {where} did not answer within {CHECK_TIMEOUT:.0f} s.")
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
        if isinstance(exc, OSError):
            return CheckResult(False, f"Cannot reach the database at {where} — check the address and that it runs.")
        return CheckResult(False, f"The database at {where} refused the connection — check the URL.")
    try:
        version = conn.get_server_version()
    finally:
        await conn.close()
    return CheckResult(True, f"Connected to PostgreSQL {version.major}.{version.minor} at {where}.")
