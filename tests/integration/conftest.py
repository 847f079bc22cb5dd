"""Real stores for integration tests: every test runs on SQLite and on PostgreSQL.

PostgreSQL uses ``CARE_CONTRACTS_TEST_POSTGRES_DSN`` (``.ci/run`` sets it) with a fresh schema per
test, dropped afterwards; without the variable those tests are skipped with that reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.group_commit import GroupCommitter
from care_contracts.services.store.metadata import Actor, Role
from tests.integration.lifecycle_steps import Steps

POSTGRES_DSN_VARIABLE = "CARE_CONTRACTS_TEST_POSTGRES_DSN"

StoreFactory = Callable[[], ContractingStore]


def _postgres_dsn() -> str | None:
    return os.environ.get(POSTGRES_DSN_VARIABLE) or None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path / "data", snapshot_interval=0)
        return
    dsn = _postgres_dsn()
    if dsn is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_DSN_VARIABLE} (.ci/run sets it)")
    schema = f"cc_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield Settings(
            data_dir=tmp_path / "data",
            postgres_dsn=SecretStr(dsn),
            postgres_schema=schema,
            snapshot_interval=0,
        )
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def open_store(settings: Settings) -> Iterator[StoreFactory]:
    """Open (another) store over the same database; all are closed after the test."""
    opened: list[ContractingStore] = []

    def factory() -> ContractingStore:
        store = ContractingStore(settings)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: StoreFactory) -> ContractingStore:
    return open_store()


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(datetime(2026, 10, 5, 8, 0, tzinfo=UTC))


@pytest.fixture
def bus(store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog) -> CommandBus:
    # Through a group committer, as the service runs (Settings.group_commit defaults on).
    return CommandBus(store, clock, catalog, all_handlers(), committer=GroupCommitter(store))


@pytest.fixture
def provider() -> Actor:
    return Actor(role=Role.PROVIDER, subject="06123456")


@pytest.fixture
def officer() -> Actor:
    return Actor(role=Role.OFFICER, subject="officer-7", insurer="zorg-en-zekerheid")


@pytest.fixture
def steps(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> Steps:
    return Steps(bus, store, clock, catalog)
