"""Every kind of Supabase connection string, and plain PostgreSQL: what the pool and the change listener use."""

from __future__ import annotations

import pytest

from desktop.db.address import DatabaseAddress

REF = "abcdefghijklmnop"
DIRECT = f"postgresql://postgres:pw@db.{REF}.supabase.co:5432/postgres"
SESSION_POOLER = f"postgresql://postgres.{REF}:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres"
TRANSACTION_POOLER = f"postgresql://postgres.{REF}:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres"


@pytest.mark.parametrize(
    ("url", "pooled", "session"),
    [
        (DIRECT, False, DIRECT),
        (SESSION_POOLER, False, SESSION_POOLER),
        (TRANSACTION_POOLER, True, SESSION_POOLER),  # Supabase's session mode: the same host, port 5432
        ("postgresql://writer@db.example.com/stories", False, "postgresql://writer@db.example.com/stories"),
        ("postgresql://storyforge@/storyforge?host=/tmp/sock&port=5433", False, None),
        ("postgresql://writer@pooler.example.com:7432/stories?pgbouncer=true", True, ""),  # no session URL known
    ],
)
def test_the_kind_of_url_decides_prepared_statements_and_the_session_url(
    url: str, pooled: bool, session: str | None
) -> None:
    address = DatabaseAddress.of(url)
    assert address.transaction_pooler is pooled
    assert address.session_dsn == (url if session is None else session)
    assert "pgbouncer" not in address.dsn  # the server would refuse the hint as a setting
    options = address.options()
    assert options["server_settings"] == {"application_name": address.instance}
    assert ("statement_cache_size" in options) is pooled and options.get("statement_cache_size", 0) == 0
    assert "statement_cache_size" not in address.options(session=True)  # the session keeps its statements


def test_a_session_url_from_settings_wins_and_loses_its_pooler_hint() -> None:
    override = "postgresql://writer@db.example.com:5432/stories?pgbouncer=true&sslmode=require"
    address = DatabaseAddress.of(TRANSACTION_POOLER, session_url=override)
    assert address.session_dsn == "postgresql://writer@db.example.com:5432/stories?sslmode=require"


def test_each_app_instance_has_a_name_of_its_own() -> None:
    first, second = DatabaseAddress.of(DIRECT), DatabaseAddress.of(DIRECT)
    assert first.instance != second.instance
    assert first.instance.startswith("storyforge-") and len(first.instance.encode()) < 64
