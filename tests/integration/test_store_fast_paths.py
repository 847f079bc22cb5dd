"""The store's shortcuts on the command path keep eventsourcing's behaviour (SQLite and PostgreSQL).

A command's saved aggregates become the cached state of their ids (no decoding of the command's own
events on the next load), but a load still fast-forwards from the store, so another instance's
write is never missed. On SQLite the recorder reads without ``BEGIN … ROLLBACK``, writes its one
transaction itself and keeps prepared statements: same rows, same errors, same rollbacks.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from care_contracts.domain.application.states import ApplicationStatus
from care_contracts.domain.contract.errors import ContractNotOpenForSigning
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.audit.verify import verify
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.applications import (
    MarkApplicationComplete,
    RecordApplicationMetrics,
)
from care_contracts.services.commands.base import CommandContext
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.contracts import SignContract
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.settings import Settings
from care_contracts.services.store import recorders
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.chain import CommandRecord
from care_contracts.services.store.recorders import (
    ChainedSQLiteApplicationRecorder,
    StatementCachingSQLitePool,
)
from tests.integration.conftest import StoreFactory
from tests.integration.lifecycle_steps import (
    MSZ_ZBC_METRICS,
    OFFICER,
    Steps,
    provider_actor,
    signed_gzsp_contract,
    submission,
)

AGB = "06123456"


@pytest.fixture
def steps(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> Steps:
    return Steps(bus, store, clock, catalog)


def replayed(settings: Settings, aggregate_id: UUID) -> Aggregate:
    """The aggregate rebuilt from its stored events alone: no cache, no snapshots."""
    cold = ContractingStore(settings.model_copy(update={"aggregate_cache_size": 0}))
    try:
        aggregate: Aggregate = cold.repository.get(aggregate_id)
        return aggregate
    finally:
        cold.close()


def aggregate_ids(store: ContractingStore) -> set[UUID]:
    return {UUID(str(n.originator_id)) for n in store.recorder.select_notifications(1, 10_000)}


def test_every_aggregate_a_command_saved_is_cached_as_its_replayed_state(
    steps: Steps, store: ContractingStore, settings: Settings
) -> None:
    signed_gzsp_contract(steps, AGB)  # an application and a contract, dozens of commands
    cache = store.repository.cache
    assert cache is not None

    ids = aggregate_ids(store)
    assert len(ids) == 2
    for aggregate_id in ids:
        cached = cache.get(aggregate_id)
        reference = replayed(settings, aggregate_id)
        assert type(cached) is type(reference)
        assert cached.version == reference.version  # the command's own events are in it
        assert vars(cached) == vars(reference)


def test_a_refused_command_leaves_the_cached_state_as_it_was(
    steps: Steps, store: ContractingStore, settings: Settings
) -> None:
    contract_id = signed_gzsp_contract(steps, AGB)
    cache = store.repository.cache
    assert cache is not None
    before = cache.get(contract_id)

    with pytest.raises(ContractNotOpenForSigning):
        steps.run(SignContract(contract_id=contract_id, vecozo_ref="VZ-2"), provider_actor(AGB))

    assert cache.get(contract_id) is before
    assert vars(before) == vars(replayed(settings, contract_id))


def test_a_load_after_another_instance_wrote_applies_its_event(
    steps: Steps,
    open_store: StoreFactory,
    clock: SimulatedClock,
    catalog: PolicyCatalog,
) -> None:
    application_id = steps.run(submission(AGB, "msz"), provider_actor(AGB)).aggregate_id
    other = CommandBus(open_store(), clock, catalog, all_handlers())
    other.execute(
        MarkApplicationComplete(application_id=application_id), CommandContext(actor=OFFICER)
    )

    # This store cached the application as submitted; the other instance completed it since.
    outcome = steps.run(
        RecordApplicationMetrics(
            application_id=application_id, metrics=MSZ_ZBC_METRICS, evidence="officer check"
        )
    )

    assert outcome.version == 3
    assert steps.application(application_id).status is ApplicationStatus.UNDER_ASSESSMENT


def test_a_cached_aggregate_is_copied_and_never_fast_forwarded_in_place(
    steps: Steps,
    store: ContractingStore,
    open_store: StoreFactory,
    clock: SimulatedClock,
    catalog: PolicyCatalog,
) -> None:
    application_id = steps.run(submission(AGB, "msz"), provider_actor(AGB)).aggregate_id
    cache = store.repository.cache
    assert cache is not None
    cached = cache.get(application_id)
    CommandBus(open_store(), clock, catalog, all_handlers()).execute(
        MarkApplicationComplete(application_id=application_id), CommandContext(actor=OFFICER)
    )

    loaded = store.repository.get(application_id)
    again = store.repository.get(application_id)

    assert loaded.version == again.version == 2  # the other instance's event is applied
    assert cached.version == 1  # the object other threads may be copying was left alone
    assert cache.get(application_id).version == 2  # the forwarded copy is cached instead
    assert loaded is not again
    assert loaded is not cache.get(application_id)


# --- the SQLite recorder -------------------------------------------------------------------------


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[ContractingStore]:
    store = ContractingStore(Settings(data_dir=tmp_path / "data", snapshot_interval=0))
    yield store
    store.close()


def _stored(aggregate_id: UUID, version: int) -> StoredEvent:
    return StoredEvent(aggregate_id, version, "test:Happened", b'{"n":%d}' % version)


def _record(command_id: str) -> CommandRecord:
    return CommandRecord(command_id, "Test", "0" * 64, "{}", "2027-01-01T00:00:00+00:00")


def test_sqlite_connections_are_opened_with_a_statement_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    opened: list[dict[str, Any]] = []
    connect = sqlite3.connect

    def spy(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(kwargs)
        return connect(*args, **kwargs)

    monkeypatch.setattr(recorders.sqlite3, "connect", spy)
    store = ContractingStore(Settings(data_dir=tmp_path / "data"))
    try:
        assert isinstance(store.recorder.datastore.pool, StatementCachingSQLitePool)
        assert store.snapshots is not None  # snapshots share the datastore, hence the pool
        store.recorder.select_events(uuid4())
    finally:
        store.close()

    assert opened
    for kwargs in opened:
        assert kwargs["cached_statements"] == StatementCachingSQLitePool.STATEMENT_CACHE_SIZE
        assert kwargs["isolation_level"] is None  # autocommit, as eventsourcing's
        assert kwargs["timeout"] == 10  # SQLITE_LOCK_TIMEOUT from the settings


def test_sqlite_reads_return_what_eventsourcings_reads_return(
    sqlite_store: ContractingStore,
) -> None:
    recorder = sqlite_store.recorder
    assert isinstance(recorder, ChainedSQLiteApplicationRecorder)
    stock = SQLiteApplicationRecorder(recorder.datastore)
    aggregate_id = uuid4()
    recorder.insert_events(
        [_stored(aggregate_id, v) for v in range(1, 6)], command_record=_record("c-1")
    )

    queries: list[dict[str, Any]] = [
        {},
        {"gt": 2},
        {"lte": 3},
        {"gt": 1, "lte": 4},
        {"desc": True},
        {"desc": True, "limit": 2},
        {"gt": 1, "desc": True, "limit": 1},
        {"gt": 5},
    ]
    for query in queries:
        assert recorder.select_events(aggregate_id, **query) == stock.select_events(
            aggregate_id, **query
        ), query
    assert recorder.select_events(aggregate_id.hex) == stock.select_events(aggregate_id.hex)
    assert recorder.select_events(uuid4()) == []


def test_a_refused_sqlite_insert_writes_nothing_and_raises_eventsourcings_error(
    sqlite_store: ContractingStore,
) -> None:
    recorder = sqlite_store.recorder
    first, second = uuid4(), uuid4()
    recorder.insert_events([_stored(first, 1)], command_record=_record("c-1"))

    with pytest.raises(IntegrityError):  # the command id is taken: the whole transaction goes
        recorder.insert_events([_stored(second, 1)], command_record=_record("c-1"))

    assert recorder.select_events(second) == []
    assert len(sqlite_store.chain.select_chain(0, 100)) == 1
    # The writer connection went back to the pool clean: the next save commits and chains on.
    recorder.insert_events([_stored(second, 1)], command_record=_record("c-2"))
    assert [link.originator_id for link in sqlite_store.chain.select_chain(0, 100)] == [
        first,
        second,
    ]
    assert verify(sqlite_store).ok


def test_a_failed_sqlite_read_raises_eventsourcings_error(
    sqlite_store: ContractingStore, tmp_path: Path
) -> None:
    with sqlite3.connect(tmp_path / "data" / "events.sqlite") as connection:
        connection.execute("DROP TABLE command_log")

    with pytest.raises(OperationalError, match="no such table"):
        sqlite_store.chain.select_command("c-1")
