"""TLS to a remote database is verified: a real PostgreSQL on 127.0.0.2 (loopback, but not an address Storyforge
treats as local) with a certificate from a CA made for the test. With that CA chosen in Settings the app connects;
without it, or reaching the server by a name its certificate does not carry, it refuses in one plain sentence."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from desktop.config import Settings, unusable
from desktop.db.address import DatabaseAddress
from desktop.db.connect import DatabaseUnavailable, open_pool
from desktop.services.connection_checks import check_database
from tests.support.tls_postgres import HOST, OTHER_HOST, TlsPostgres, free_port

Run = Callable[..., Any]


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsPostgres]:
    server = TlsPostgres(tmp_path_factory.mktemp("tls-postgres"))
    try:
        yield server
    finally:
        server.close()


def refusal(run: Run, address: DatabaseAddress) -> str:
    with pytest.raises(DatabaseUnavailable) as refused:
        run(open_pool(address, timeout=10))
    return str(refused.value)


def test_with_the_ca_file_from_settings_the_app_connects_encrypted(tls_server: TlsPostgres, run: Run) -> None:
    address = DatabaseAddress.of(tls_server.url(), ca_file=str(tls_server.certificates.ca_file))
    pool = run(open_pool(address))
    try:
        assert run(pool.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) is True
        assert run(pool.fetchval("SELECT count(*) FROM stories")) >= 0  # migrated over TLS, and working
    finally:
        run(pool.close())
    # The listener's own connection (the session URL) is verified the same way.
    session = run(asyncpg.connect(address.session_dsn, timeout=10, **address.options(session=True)))
    try:
        assert run(session.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) is True
    finally:
        run(session.close())


def test_without_the_ca_the_certificate_is_not_trusted_and_the_writer_is_told_what_to_do(
    tls_server: TlsPostgres, run: Run
) -> None:
    message = refusal(run, DatabaseAddress.of(tls_server.url()))
    assert message.startswith(f"The database's certificate at {HOST}:{tls_server.port} could not be verified")
    assert "download the CA certificate" in message and "Settings → Database" in message
    assert "\n" not in message and "CERTIFICATE_VERIFY_FAILED" not in message and "_ssl.c" not in message
    # The listener's session connection refuses an unknown CA too: it is never the weaker way in.
    unverified = DatabaseAddress.of(tls_server.url(), session_url=tls_server.url())
    with pytest.raises(OSError, match="certificate verify failed"):
        run(asyncpg.connect(unverified.session_dsn, timeout=10, **unverified.options(session=True)))


def test_a_certificate_made_out_to_another_host_is_refused(tls_server: TlsPostgres, run: Run) -> None:
    address = DatabaseAddress.of(tls_server.url(OTHER_HOST), ca_file=str(tls_server.certificates.ca_file))
    message = refusal(run, address)
    assert message.startswith(f"The database at {OTHER_HOST}:{tls_server.port} showed a certificate made out to")
    assert "another host name" in message and "\n" not in message


def test_a_ca_file_that_is_not_a_certificate_or_not_there_is_one_clear_line(
    tls_server: TlsPostgres, run: Run, tmp_path: Path
) -> None:
    notes = tmp_path / "prod-ca-2021.crt"
    notes.write_text("my database password is in the keyring\n", encoding="utf-8")
    message = refusal(run, DatabaseAddress.of(tls_server.url(), ca_file=str(notes)))
    assert message == (
        f"The database's CA file {notes} is not a certificate in PEM form — choose the CA certificate you "
        "downloaded (a .crt or .pem file). Fix it in Settings → Database."
    )
    missing = tmp_path / "Downloads" / "prod-ca-2021.crt"
    assert "does not exist" in refusal(run, DatabaseAddress.of(tls_server.url(), ca_file=str(missing)))
    # Settings refuses both before anything connects, beside the field.
    for path, reason in ((notes, "is not a certificate"), (missing, "does not exist"), (tmp_path, "is a folder")):
        settings = Settings(database_url=tls_server.url(), database_ca_file=str(path))
        assert unusable(settings)["database_ca_file"].startswith(reason)
    good = Settings(database_url=tls_server.url(), database_ca_file=str(tls_server.certificates.ca_file))
    assert "database_ca_file" not in unusable(good)


def test_sslmode_in_the_url_still_decides(tls_server: TlsPostgres, run: Run) -> None:
    # require: encrypted without checking the certificate, as the writer asked.
    pool = run(open_pool(DatabaseAddress.of(tls_server.url(query="sslmode=require"))))
    try:
        assert run(pool.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) is True
    finally:
        run(pool.close())
    ca = tls_server.certificates.ca_file
    verified = DatabaseAddress.of(tls_server.url(query=f"sslmode=verify-full&sslrootcert={ca}"))
    run(run(open_pool(verified)).close())


def test_the_settings_test_button_service_says_why_tls_failed(tls_server: TlsPostgres, run: Run) -> None:
    without = run(check_database(Settings(database_url=tls_server.url())))
    assert not without.ok and "could not be verified" in without.message
    settings = Settings(database_url=tls_server.url(), database_ca_file=str(tls_server.certificates.ca_file))
    result = run(check_database(settings))
    assert result.ok, result.message
    assert re.match(r"Connected to PostgreSQL \d+\.\d+ at ", result.message) and "a direct connection" in result.message


def test_a_remote_server_without_tls_is_refused_in_plain_words(run: Run) -> None:
    port = free_port(HOST)

    async def refuse_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(8)  # the client's SSLRequest
        writer.write(b"N")  # as a server built without TLS answers
        await writer.drain()
        writer.close()

    async def attempt() -> str:
        server = await asyncio.start_server(refuse_tls, HOST, port)
        try:
            with pytest.raises(DatabaseUnavailable) as refused:
                await open_pool(f"postgresql://writer@{HOST}:{port}/stories", timeout=10)
            return str(refused.value)
        finally:
            server.close()
            await server.wait_closed()

    message = run(attempt())
    assert message.startswith(f"The database at {HOST}:{port} does not offer encryption (TLS)")
    assert "?sslmode=disable" in message


def test_the_app_started_with_the_ca_file_in_its_settings_connects_and_listens(
    tls_server: TlsPostgres, tmp_path: Path, run: Run
) -> None:
    import uuid

    from desktop.secrets import SecretStore
    from desktop.services.runtime import Runtime

    settings = Settings(
        data_dir=tmp_path / "data",
        user_id=uuid.uuid4(),
        database_url=tls_server.url(),
        database_ca_file=str(tls_server.certificates.ca_file),
    )
    runtime = Runtime(settings, SecretStore())
    try:
        assert run(runtime.start_database(), timeout=60), runtime.database_error
        assert runtime.session is not None and runtime.session.live.listening  # live refresh's connection verified too
    finally:
        run(runtime.shutdown(), timeout=30)
