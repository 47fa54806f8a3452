"""Keys and passwords live in the OS keyring; never in the settings file or the log."""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "storyforge"
SECRET_NAMES = ("openai_api_key", "supabase_key", "database_password")


class SecretStore:
    """The keyring, or — where no keyring exists — the session's memory, said out loud via `persistent`.

    The keyring is looked for on first use, not when the store is made: finding it probes every backend and, on a
    desktop, talks to the Secret Service over D-Bus — work the window does not wait for (the Runtime reads the
    secrets on its executor, with the database's start).
    """

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        self._chosen = backend
        self._session: dict[str, str] = {}

    @functools.cached_property
    def _backend(self) -> KeyringBackend:
        import keyring

        return self._chosen if self._chosen is not None else keyring.get_keyring()

    @property
    def persistent(self) -> bool:
        from keyring.backends import fail

        return not isinstance(self._backend, fail.Keyring) and self._backend.priority > 0

    @property
    def where(self) -> str:
        if self.persistent:
            return f"the system keyring ({self._backend.name})"
        return "memory for this session only (no system keyring is available)"

    def get(self, name: str) -> str:
        import keyring.errors

        if not self.persistent:
            return self._session.get(name, "")
        try:
            return self._backend.get_password(SERVICE, name) or ""
        except keyring.errors.KeyringError as exc:
            log.warning("keyring refused to read %s: %s", name, type(exc).__name__)
            return self._session.get(name, "")

    def set(self, name: str, value: str) -> None:
        import keyring.errors

        if not self.persistent:
            self._session[name] = value
            return
        try:
            if value:
                self._backend.set_password(SERVICE, name, value)
            elif self._backend.get_password(SERVICE, name) is not None:
                self._backend.delete_password(SERVICE, name)
        except keyring.errors.KeyringError as exc:
            raise RuntimeError(f"The system keyring refused to store {name.replace('_', ' ')}.") from exc
