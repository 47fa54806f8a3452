"""Keys and passwords live in the OS keyring; never in the settings file or the log."""

from __future__ import annotations

import logging

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail

log = logging.getLogger(__name__)

SERVICE = "storyforge"
SECRET_NAMES = ("openai_api_key", "supabase_key", "database_password")


def _usable(backend: keyring.backend.KeyringBackend) -> bool:
    return not isinstance(backend, fail.Keyring) and backend.priority > 0


class SecretStore:
    """The keyring, or — where no keyring exists — the session's memory, said out loud via `persistent`."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend if backend is not None else keyring.get_keyring()
        self._session: dict[str, str] = {}
        self.persistent = _usable(self._backend)

    @property
    def where(self) -> str:
        if self.persistent:
            return f"the system keyring ({self._backend.name})"
        return "memory for this session only (no system keyring is available)"

    def get(self, name: str) -> str:
        if not self.persistent:
            return self._session.get(name, "")
        try:
            return self._backend.get_password(SERVICE, name) or ""
        except keyring.errors.KeyringError as exc:
            log.warning("keyring refused to read %s: %s", name, type(exc).__name__)
            return self._session.get(name, "")

    def set(self, name: str, value: str) -> None:
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
