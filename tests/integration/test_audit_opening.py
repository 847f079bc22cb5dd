"""Audit reads open an existing store only: where there is none, nothing is created."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from care_contracts.services.audit.errors import NoEventStore, UnreadableEventStore
from care_contracts.services.audit.opening import existing_store, open_existing_store
from care_contracts.services.audit.verify import verify
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.settings import Settings

from .audit_rows import seed


def _tables(settings: Settings) -> set[str]:
    dsn = settings.postgres_dsn
    assert dsn is not None
    with psycopg.connect(dsn.get_secret_value()) as connection:
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (settings.postgres_schema,),
        ).fetchall()
    return {name for (name,) in rows}


def test_where_no_store_was_ever_opened_there_is_none_and_none_is_made(settings: Settings) -> None:
    with pytest.raises(NoEventStore, match="no event store at"):
        open_existing_store(settings)

    if settings.uses_postgres:
        assert _tables(settings) == set()
    else:
        assert not settings.data_dir.exists()


def test_an_existing_store_opens_and_reads_what_the_service_wrote(
    settings: Settings, bus: CommandBus, clock: SimulatedClock
) -> None:
    seed(bus, clock)

    with existing_store(settings) as store:
        report = verify(store)

    assert report.ok
    assert report.events == 8


@pytest.fixture
def postgres_dsn() -> str:
    dsn = os.environ.get("CARE_CONTRACTS_TEST_POSTGRES_DSN")
    if not dsn:
        pytest.skip("PostgreSQL tests need CARE_CONTRACTS_TEST_POSTGRES_DSN (.ci/run sets it)")
    return dsn


@pytest.mark.postgres
def test_a_postgres_schema_without_the_store_tables_is_no_store(
    postgres_dsn: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path, postgres_dsn=SecretStr(postgres_dsn), postgres_schema="cc_no_such_schema"
    )

    with pytest.raises(NoEventStore, match="schema cc_no_such_schema"):
        open_existing_store(settings)


@pytest.mark.postgres
def test_an_unreachable_postgres_server_is_unreadable_and_the_dsn_password_is_not_shown(
    tmp_path: Path,
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        postgres_dsn=SecretStr("postgresql://auditor:s3cret@127.0.0.1:1/contracting"),
    )

    with pytest.raises(UnreadableEventStore) as refused:
        open_existing_store(settings)

    assert "postgresql://127.0.0.1:1/contracting schema public" in str(refused.value)
    assert "s3cret" not in str(refused.value)
