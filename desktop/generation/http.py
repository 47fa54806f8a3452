"""Talking to a remote text or image service: requests with bounded retries (429 with Retry-After, 5xx with
back-off), and every failure turned into a ProviderError whose message names the service and never the key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from desktop.generation.base import Notify, no_notice
from desktop.generation.errors import (
    ProviderError,
    ProviderTimeout,
    ProviderUnreachable,
    RateLimited,
    ServiceFailed,
    scrub,
)
from desktop.models import utc_now
from desktop.retry import RetryPolicy

_SERVER_TEXT_MAX = 300


# For 429 and 5xx answers. A Retry-After over a minute gives up rather than freezing a story for minutes.
SERVICE_RETRY = RetryPolicy(attempts=4, first_delay=1.0, max_delay=10.0, jitter=0.25, max_retry_after=60.0)


def host_of(url: str) -> str:
    """The host a writer may see: no user, password or path."""
    parts = urlsplit(url)
    if not parts.hostname:
        return url
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname


def server_message(body: bytes | str) -> str:
    """The service's own words from an error body: OpenAI's {"error": {"message"}}, FastAPI's {"detail"}, or text."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    message: Any = None
    if isinstance(data, dict):
        error = data.get("error")
        message = error.get("message") if isinstance(error, dict) else error
        if isinstance(error, str) and isinstance(data.get("errors"), str) and data["errors"]:
            message = f"{error}: {data['errors']}"  # the WebUI's shape for a failed generation
        message = message or data.get("detail") or data.get("message") or data.get("errors")
        if isinstance(message, list | dict):
            message = json.dumps(message)[:_SERVER_TEXT_MAX]
    if not message:
        message = "" if text.lstrip().startswith("<") else text
    message = " ".join(str(message).split())
    return message[:_SERVER_TEXT_MAX] + ("…" if len(message) > _SERVER_TEXT_MAX else "")


def error_code(body: bytes | str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or error.get("type") or "")
    return ""


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date) or OpenAI's `retry-after-ms`."""
    milliseconds = response.headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - utc_now()).total_seconds())
    except (TypeError, ValueError):
        return None


# A service-specific reading of an error answer; None falls back to the general one.
Describe = Callable[[httpx.Response, bytes], ProviderError | None]


class HttpService:
    """One remote service, named in every message: `name` is how the writer knows it ("The AI service")."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        timeout: float,
        secret: str = "",
        headers: dict[str, str] | None = None,
        policy: RetryPolicy | None = None,
        notify: Notify | None = None,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.host = host_of(base_url)
        self.timeout = timeout
        self.policy = policy or SERVICE_RETRY
        self.notify = notify or no_notice()
        self._secret = secret
        self._headers = headers or {}  # sent only to this service, never to a URL it points elsewhere
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)), auth=auth, follow_redirects=True
        )

    @property
    def client(self) -> httpx.AsyncClient:
        return self._client

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def post(self, path: str, body: dict[str, Any]) -> httpx.Request:
        return self._client.build_request("POST", self.url(path), json=body, headers=self._headers)

    def scrub(self, text: str) -> str:
        return scrub(text, self._secret)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(
        self, request: httpx.Request, describe: Describe, *, stream: bool = False, policy: RetryPolicy | None = None
    ) -> httpx.Response:
        """The response to `request` once it is a success (2xx), after the retries the policy allows: `policy` for
        this request alone, else the service's own.

        With `stream`, the body is left unread: the caller reads it and closes the response.
        """
        policy = policy or self.policy
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._client.send(request, stream=stream)
            except httpx.HTTPError as exc:
                raise self.transport_error(exc) from exc
            if response.is_success:
                return response
            try:
                body = await response.aread()
            except httpx.HTTPError as exc:
                raise self.transport_error(exc) from exc
            finally:
                await response.aclose()
            error = describe(response, body) or self.general_error(response, body)
            delay = self._retry_delay(error, attempt, policy)
            if delay is None:
                raise error
            self.notify(f"{self.name} {_busy_words(error)}; trying again in {delay:.0f} s…")
            await asyncio.sleep(delay)

    def _retry_delay(self, error: ProviderError, attempt: int, policy: RetryPolicy) -> float | None:
        if not policy.may_retry(attempt):
            return None
        if isinstance(error, RateLimited):
            if error.retry_after is not None:
                return error.retry_after if error.retry_after <= policy.max_retry_after else None
            return policy.delay(attempt)
        if isinstance(error, ServiceFailed):
            return policy.delay(attempt)
        return None

    def general_error(self, response: httpx.Response, body: bytes) -> ProviderError:
        status = response.status_code
        said = self.scrub(server_message(body))
        if status == 429:
            after = retry_after_seconds(response)
            return RateLimited(
                f"{self.name} is limiting how often it may be asked — wait a minute, then try again.", after
            )
        if status >= 500:
            detail = f": {said}" if said else ""
            return ServiceFailed(
                f"{self.name} at {self.host} failed (HTTP {status}){detail} — try again later.", status
            )
        detail = f": {said}" if said else "."
        return ProviderError(f"{self.name} at {self.host} refused the request (HTTP {status}){detail}")

    def transport_error(self, exc: httpx.HTTPError) -> ProviderError:
        if isinstance(exc, httpx.TimeoutException):
            return ProviderTimeout(
                f"{self.name} at {self.host} did not answer within {self.timeout:g} s — try again, or allow it "
                "more time in Settings."
            )
        if isinstance(exc, httpx.ConnectError | httpx.UnsupportedProtocol | httpx.InvalidURL):
            return ProviderUnreachable(
                f"Cannot reach {self.lower_name} at {self.host} — check the address in Settings and that the "
                "service is running."
            )
        return ProviderUnreachable(f"The connection to {self.lower_name} at {self.host} broke off — try again.")

    @property
    def lower_name(self) -> str:
        return self.name[:1].lower() + self.name[1:]


def _busy_words(error: ProviderError) -> str:
    if isinstance(error, RateLimited):
        return "asked us to slow down"
    if isinstance(error, ServiceFailed):
        return f"failed (HTTP {error.status})"
    return "failed"
