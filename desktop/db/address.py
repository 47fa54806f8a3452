"""Where the database is and how to talk to it.

A URL can name the database directly, a pooler in session mode (each client keeps one server session: all works),
or a pooler in *transaction* mode, as Supabase's dashboard offers by default: there each transaction may run on
another server session, so prepared statements and session state (LISTEN, session advisory locks) do not survive
from one transaction to the next. Such a URL is recognised by Supabase's transaction port, 6543, or by a
`pgbouncer=true` hint in its query (as Prisma and others write it). The pool then keeps no prepared statements,
and the change listener, which needs a session of its own, uses a session URL: the one the writer gave in Settings,
or Supabase's session-mode port on the same host.

A remote host is reached over TLS that checks the server's certificate and host name, against the system's roots or
the CA file named in Settings (Supabase signs its databases' certificates with its own CA, offered for download).
A `sslmode=` in the URL decides instead: asyncpg reads it, with `sslrootcert=` if given.
"""

from __future__ import annotations

import functools
import os
import secrets
import ssl as ssl_module
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

TRANSACTION_POOLER_PORT = 6543  # Supabase's pooler in transaction mode …
SESSION_POOLER_PORT = 5432  # … and the same pooler in session mode
_POOLER_HINT = "pgbouncer"
_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


_URL_EXAMPLE = "postgresql://user@host:5432/storyforge"


def check_database_url(url: str) -> str | None:
    """Why `url` cannot be a PostgreSQL URL, in plain words; None when it can. Checked before any connection, so
    asyncpg's "invalid DSN" or a bare int() error never reaches the writer."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.lower() not in ("postgres", "postgresql"):
        return f"The database URL must start with postgresql:// (for example {_URL_EXAMPLE})."
    if any(ord(char) < 32 or ord(char) == 127 for char in url):
        return "The database URL must not contain control characters — type it again."
    hosts = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    for host in hosts.split(","):  # asyncpg takes several hosts: host1:5432,host2:5433
        port = host.rsplit("]", 1)[-1].rpartition(":")[2] if ":" in host.rsplit("]", 1)[-1] else ""
        if host.startswith("[") and "]" not in host:
            return "The database URL must close the [ around an IPv6 host, as in [::1]:5432."
        if port and not (port.isdigit() and 1 <= int(port) <= 65535):
            return f"The database URL must have a port from 1 to 65535, not {port!r}."
    return None


def database_host(dsn: str) -> str:
    """The host a writer may see: never the user or password."""
    parts = urlsplit(dsn)
    host = parts.hostname or parse_qs(parts.query).get("host", [""])[0]
    if not host or host.startswith("/"):
        return "local socket"
    return f"{host}:{parts.port}" if parts.port else host


def new_instance_name() -> str:
    """The application_name of one running app: unique across machines sharing a database, under 64 bytes.

    The database stamps the work an instance holds with it (a story it writes, an upload it sends) and announces
    its changes under it, so others can tell whether that work's owner is alive and skip their own announcements.
    """
    return f"storyforge-{os.getpid()}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class DatabaseAddress:
    dsn: str  # what the pool connects to (without the pooler hint, which the server would refuse)
    transaction_pooler: bool
    session_dsn: str  # a connection that keeps its session, for LISTEN; "" when none is known
    instance: str
    ca_file: str = ""  # the CA certificate that signs the server's; "" for the system's roots

    @classmethod
    def of(cls, url: str, *, session_url: str = "", instance: str | None = None, ca_file: str = "") -> DatabaseAddress:
        dsn, hinted = _without_pooler_hint(url)
        port = _port(dsn)
        pooled = hinted or port == TRANSACTION_POOLER_PORT
        if session_url:
            session = _without_pooler_hint(session_url)[0]
        elif not pooled:
            session = dsn
        elif port == TRANSACTION_POOLER_PORT:
            session = _with_port(dsn, TRANSACTION_POOLER_PORT, SESSION_POOLER_PORT)
        else:
            session = ""
        return cls(dsn, pooled, session, instance or new_instance_name(), ca_file)

    def options(self, *, session: bool = False) -> dict[str, Any]:
        """asyncpg's connection options: the pool's, or (`session`) the listener's.

        Raises CertificateFileError when the CA file cannot be used."""
        dsn = self.session_dsn if session else self.dsn
        options: dict[str, Any] = {
            "ssl": ssl_for(dsn, self.ca_file),
            "server_settings": {"application_name": self.instance},
        }
        if self.transaction_pooler and not session:
            options["statement_cache_size"] = 0  # a statement prepared on one server session is unknown on the next
        return options


def is_local(dsn: str) -> bool:
    parts = urlsplit(dsn)
    host = parts.hostname or ""
    socket_host = dict(parse_qsl(parts.query)).get("host", "")
    return host in _LOCAL_HOSTS or host.startswith("/") or socket_host.startswith("/")


def ssl_for(dsn: str, ca_file: str = "") -> ssl_module.SSLContext | bool | None:
    if "sslmode=" in urlsplit(dsn).query:
        return None  # the URL says what it wants; asyncpg reads it
    return False if is_local(dsn) else verifying_context(ca_file)


class CertificateFileError(OSError):
    """The CA file named in Settings cannot be used; `str()` is one plain sentence.

    An OSError, as a file's problems are: whoever connects and catches those (the change listener) catches it too."""


def verifying_context(ca_file: str = "") -> ssl_module.SSLContext:
    """TLS that checks the certificate chain and the host name: against `ca_file` alone, or the system's roots."""
    if not ca_file:
        return _system_roots()
    try:
        return ssl_module.create_default_context(cafile=ca_file)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError too
        raise CertificateFileError(f"The database's CA file {ca_file} {ca_file_problem(ca_file, exc)}.") from exc


@functools.cache
def _system_roots() -> ssl_module.SSLContext:
    # Loading the system's roots reads every certificate, on the loop: once per process, not once per connection.
    return ssl_module.create_default_context()


def ca_file_problem(ca_file: str, error: BaseException | None = None) -> str | None:
    """Why `ca_file` cannot be the CA certificate, as the end of a sentence ("does not exist — …"); None if it can."""
    if error is None:
        try:
            ssl_module.create_default_context(cafile=ca_file)
            return None
        except (OSError, ValueError) as exc:
            error = exc
    choose = "choose the CA certificate you downloaded (a .crt or .pem file)"
    if isinstance(error, FileNotFoundError):
        return f"does not exist — {choose}"
    if isinstance(error, IsADirectoryError):
        return f"is a folder — {choose}"
    if isinstance(error, PermissionError):
        return "cannot be read — check its permissions"
    return f"is not a certificate in PEM form — {choose}"


def _port(dsn: str) -> int | None:
    try:
        return urlsplit(dsn).port
    except ValueError:  # not a number: check_database_url says so in words before anything connects
        return None


def _without_pooler_hint(url: str) -> tuple[str, bool]:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in query if key.lower() != _POOLER_HINT]
    hinted = any(key.lower() == _POOLER_HINT and value.lower() in ("true", "1", "yes") for key, value in query)
    if len(kept) == len(query):
        return url, hinted
    return urlunsplit(parts._replace(query=urlencode(kept))), hinted


def _with_port(dsn: str, old: int, new: int) -> str:
    parts = urlsplit(dsn)
    netloc = parts.netloc
    suffix = f":{old}"
    if not netloc.endswith(suffix):
        return ""
    return urlunsplit(parts._replace(netloc=netloc[: -len(suffix)] + f":{new}"))
