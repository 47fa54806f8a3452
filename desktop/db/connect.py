"""Opening the pool: TLS for remote hosts, and failures turned into one sentence a writer can act on."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import asyncpg

from desktop.db.address import DatabaseAddress
from desktop.db.migrate import migrate

MIN_SERVER_VERSION = 13


class DatabaseUnavailable(RuntimeError):
    """The database cannot be used; the message says why and what to do, and never holds a password."""


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


async def open_pool(address: DatabaseAddress | str, *, timeout: float = 15.0, max_size: int = 8) -> asyncpg.Pool:
    """Connect, check the server, migrate; raise DatabaseUnavailable with a plain reason."""
    if isinstance(address, str):
        address = DatabaseAddress.of(address)
    problem = check_database_url(address.dsn)
    if problem:
        raise DatabaseUnavailable(problem)
    where = database_host(address.dsn)
    try:
        pool = await asyncpg.create_pool(
            address.dsn, min_size=1, max_size=max_size, timeout=timeout, command_timeout=60, **address.options()
        )
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as exc:
        raise DatabaseUnavailable(
            f"The database at {where} refused the user or password — check them in Settings."
        ) from exc
    except asyncpg.InvalidCatalogNameError as exc:
        raise DatabaseUnavailable(f"The database named in the URL does not exist at {where}.") from exc
    except TimeoutError as exc:
        raise DatabaseUnavailable(
            f"The database at {where} did not answer within {timeout:.0f} s — check the address and your network."
        ) from exc
    except (OSError, asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError) as exc:
        raise DatabaseUnavailable(
            f"Cannot reach the database at {where} — check that it is running and the address is right."
        ) from exc
    except asyncpg.PostgresError as exc:
        raise DatabaseUnavailable(f"The database at {where} refused the connection: {exc.args[0]}") from exc
    try:
        async with pool.acquire() as conn:
            version = conn.get_server_version()
            if version.major < MIN_SERVER_VERSION:
                raise DatabaseUnavailable(
                    f"The database at {where} runs PostgreSQL {version.major}; "
                    f"Storyforge needs {MIN_SERVER_VERSION} or newer."
                )
            await migrate(conn)
    except BaseException:
        await pool.close()
        raise
    return pool
