"""Opening the pool: TLS for remote hosts, and failures turned into one sentence a writer can act on."""

from __future__ import annotations

import ssl

import asyncpg

from desktop.db.address import CertificateFileError, DatabaseAddress, check_database_url, database_host
from desktop.db.migrate import migrate

MIN_SERVER_VERSION = 13


class DatabaseUnavailable(RuntimeError):
    """The database cannot be used; the message says why and what to do, and never holds a password."""


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
    except Exception as exc:
        problem = connection_problem(exc, where, timeout)
        if problem is None:
            raise
        raise DatabaseUnavailable(problem) from exc
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


# Supabase signs its databases' certificates with its own CA; the dashboard offers it for download.
_GET_THE_CA = (
    "download the CA certificate from the database's provider (Supabase: Project Settings → Database → "
    "SSL Configuration) and choose it in Settings → Database, or add ?sslmode=require to the URL to encrypt "
    "without checking who answers"
)


def connection_problem(exc: BaseException, where: str, timeout: float) -> str | None:
    """What a failed connection attempt means, in one sentence a writer can act on; None for an unexpected error.

    Never a raw asyncpg or ssl message: those name files, codes and sometimes the user, not what to do."""
    if isinstance(exc, CertificateFileError):
        return f"{exc} Fix it in Settings → Database."
    if isinstance(exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return f"The database at {where} refused the user or password — check them in Settings."
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"The database named in the URL does not exist at {where}."
    if isinstance(exc, TimeoutError):
        return f"The database at {where} did not answer within {timeout:.0f} s — check the address and your network."
    if isinstance(exc, ssl.SSLCertVerificationError):
        if exc.verify_code in (_HOSTNAME_MISMATCH, _IP_MISMATCH):
            return (
                f"The database at {where} showed a certificate made out to another host name — check the host in "
                "the URL; if it is right, someone may be in between."
            )
        return f"The database's certificate at {where} could not be verified ({_verify_reason(exc)}) — {_GET_THE_CA}."
    if isinstance(exc, ssl.SSLError):
        return f"The encrypted connection to the database at {where} failed ({exc.reason or 'TLS error'})."
    if isinstance(exc, ConnectionError) and "SSL" in str(exc):
        return (
            f"The database at {where} does not offer encryption (TLS) — ask its owner to turn it on, or add "
            "?sslmode=disable to the URL if the network is yours."
        )
    if isinstance(exc, OSError | asyncpg.CannotConnectNowError | asyncpg.ConnectionDoesNotExistError):
        return f"Cannot reach the database at {where} — check that it is running and the address is right."
    if isinstance(exc, asyncpg.PostgresError):
        return f"The database at {where} refused the connection: {exc.args[0]}"
    return None


_HOSTNAME_MISMATCH = 62  # OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH; IP addresses have 64, below
_IP_MISMATCH = 64


def _verify_reason(exc: ssl.SSLCertVerificationError) -> str:
    reasons = {
        18: "it signs itself",  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        19: "its chain ends in a CA this computer does not trust",  # SELF_SIGNED_CERT_IN_CHAIN
        20: "it is signed by a CA this computer does not know",  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        10: "it has expired",  # CERT_HAS_EXPIRED
        9: "it is not valid yet",  # CERT_NOT_YET_VALID
    }
    return reasons.get(exc.verify_code, "its signature or dates do not check out")
