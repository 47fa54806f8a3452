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
from desktop.db.address import DatabaseAddress, check_database_url, database_host, is_local
from desktop.db.connect import connection_problem
from desktop.generation.comfyui import checkpoint_names
from desktop.storage.factory import build_backend
from desktop.storage.failures import classify

CHECK_TIMEOUT = 10.0


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str
    checkpoints: tuple[str, ...] = ()  # what an image server offers to choose from (ComfyUI)


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


async def check_comfyui(base_url: str) -> CheckResult:
    try:
        response = await _get(base_url.rstrip("/") + "/object_info/CheckpointLoaderSimple")
    except httpx.HTTPError as exc:
        return _http_failure(exc, base_url)
    if response.status_code != 200:
        return _status_failure(response, "ComfyUI server")
    try:
        names = tuple(checkpoint_names(response.json()))
    except ValueError:
        return CheckResult(False, "The server answered, but not like ComfyUI — check the URL (port 8188).")
    if not names:
        return CheckResult(
            False, "Connected, but ComfyUI has no checkpoint — put one in its models/checkpoints folder."
        )
    count = f"{len(names)} {'checkpoint' if len(names) == 1 else 'checkpoints'}"
    return CheckResult(True, f"Connected — {count}, {names[0]} first.", names)


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
    if settings.image_provider == "comfyui":
        return await check_comfyui(settings.comfyui_url)
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
        return CheckResult(True, f"Images are kept in {settings.storage_folder}.")
    return CheckResult(True, f"Connected — images go to the {backend.label}.")


async def check_storage(settings: Settings, executor: Executor) -> CheckResult:
    if settings.storage_backend == "supabase" and not (
        settings.supabase_url.strip() and settings.supabase_key.get_secret_value()
    ):
        return CheckResult(False, "Enter the Supabase project URL and key first.")
    quick = settings.model_copy(update={"request_timeout": CHECK_TIMEOUT})
    return await asyncio.wrap_future(executor.submit(_check_backend, quick))


def database_url_kind(url: str) -> str:
    """What kind of PostgreSQL URL `url` is, in a writer's words ("" for none)."""
    if not url.strip() or check_database_url(url.strip()):
        return ""
    try:
        address = DatabaseAddress.of(url.strip(), instance="-")
        host = urlsplit(address.dsn).hostname or ""
    except ValueError:  # a malformed host such as [::1 — check_database_url words most, urlsplit the rest
        return ""
    if address.transaction_pooler:
        return "a transaction-mode pooler"
    if is_local(address.dsn):
        return "a database on this computer"
    if "pooler." in host:
        return "a session-mode pooler"
    return "a direct connection"


def database_url_summary(url: str) -> str:
    """One line under the URL field: what kind it is and what that means for live refresh."""
    kind = database_url_kind(url)
    if not kind:
        return ""
    if DatabaseAddress.of(url.strip(), instance="-").transaction_pooler:
        return f"{kind[2:].capitalize()} (Supabase's default, port 6543): live refresh needs a session URL."
    return f"{kind[2:].capitalize()}: everything works through it, live refresh too."


def session_url_hint(url: str) -> str:
    """What the session URL field is for, given the database URL typed above it (its placeholder)."""
    if not database_url_kind(url):
        return "Only needed with a transaction-mode pooler's URL"
    address = DatabaseAddress.of(url.strip(), instance="-")
    if not address.transaction_pooler:
        return "Not needed: the URL above keeps its session"
    if address.session_dsn:
        return f"Default: {database_host(address.session_dsn)}, Supabase's session port"
    return "Needed for live refresh: a direct or session-mode URL"


async def check_database(settings: Settings) -> CheckResult:
    """Reach the URL as typed: its kind, the server's version, and whether live refresh will work."""
    if settings.uses_embedded_database:
        return CheckResult(True, "Storyforge runs its own PostgreSQL in the data folder; nothing to set up.")
    address = DatabaseAddress.of(
        settings.database_dsn(), session_url=settings.database_session_dsn(), ca_file=settings.database_ca_file
    )
    hidden = _Masked(settings)
    if problem := check_database_url(settings.database_url):
        return CheckResult(False, problem)
    where = database_host(address.dsn)
    kind = database_url_kind(settings.database_url)
    try:
        conn = await asyncpg.connect(address.dsn, timeout=CHECK_TIMEOUT, **address.options())
    except Exception as exc:
        problem = connection_problem(exc, where, CHECK_TIMEOUT)
        if problem is None:
            problem = f"The database at {where} refused the connection — check the URL."
        return CheckResult(False, hidden(f"{problem} (The URL is {kind}.)"))
    try:
        version = conn.get_server_version()
    finally:
        await conn.close()
    live = await _live_refresh(address)
    server = f"PostgreSQL {version.major}.{version.minor}"
    return CheckResult(True, hidden(f"Connected to {server} at {where}, {kind}. {live}"))


async def _live_refresh(address: DatabaseAddress) -> str:
    """Whether the change listener will get a connection that keeps its session."""
    if not address.session_dsn:
        return "Live refresh will be off: enter a session URL (a direct or session-mode one) to have it."
    if address.session_dsn == address.dsn:
        return "Live refresh will work on this connection."
    where = database_host(address.session_dsn)
    try:
        conn = await asyncpg.connect(address.session_dsn, timeout=CHECK_TIMEOUT, **address.options(session=True))
    except Exception as exc:
        reason = connection_problem(exc, where, CHECK_TIMEOUT) or f"The session URL at {where} refused the connection."
        return f"Live refresh will be off — the session URL does not work: {reason}"
    await conn.close()
    return f"Live refresh will work through the session URL at {where}."


class _Masked:
    """Takes the password out of a message, whatever part of it a server or library repeated."""

    def __init__(self, settings: Settings) -> None:
        urls = (settings.database_dsn(), settings.database_session_dsn())
        found = [urlsplit(url).password or "" for url in urls]
        self._secrets = {s for s in (settings.database_password.get_secret_value(), *found) if len(s) >= 4}

    def __call__(self, message: str) -> str:
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return message
