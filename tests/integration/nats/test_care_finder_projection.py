"""The care finder fed from a real stream: real commands → relay → JetStream → projection → query.

On SQLite and PostgreSQL (event store and read store alike), against the session's nats-server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from uuid import UUID

import pytest

from care_contracts.domain.contract.status import TerminationInitiator
from care_contracts.projections.care_finder.projection import CareFinderProjection
from care_contracts.projections.care_finder.query import CareFinderQuery, search
from care_contracts.projections.database import ReadDatabase
from care_contracts.projections.state import states
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.contracts import (
    LiftSuspension,
    SuspendContract,
    TerminateContract,
)
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from tests.integration.event_lifecycle import GZSP_AGB, MSZ_AGB, Lifecycle, run_lifecycle
from tests.integration.lifecycle_steps import Steps, local, signed_gzsp_contract
from tests.integration.nats.jetstream_session import own_stream
from tests.integration.nats.projection_session import (
    project_all,
    publish_all,
    runner_for,
)

pytestmark = pytest.mark.nats

PUBLISHED = date(2026, 11, 12)  # the 2027 packs' care-finder publication date (brief §11)


@pytest.fixture
def settings(settings: Settings, nats_url: str) -> Iterator[Settings]:
    """The store's settings (SQLite or PostgreSQL) with a stream of this test's own."""
    with own_stream(settings, nats_url, "CF") as own:
        yield own


def _sync(
    store: ContractingStore, db: ReadDatabase, settings: Settings, clock: SimulatedClock
) -> int:
    """Publish what the store holds and let the care finder apply it; events applied."""

    async def go() -> int:
        await publish_all(store, settings)
        runner = runner_for(CareFinderProjection(), db, settings, clock)
        try:
            return await project_all(runner)
        finally:
            await runner.close()

    return asyncio.run(go())


def _listed(db: ReadDatabase, on: date, **filters: object) -> list[UUID]:
    page = search(db, CareFinderQuery.model_validate({"on": on, **filters}))
    return [item.contract_id for item in page.items]


def test_a_signed_contract_is_listed_from_the_publication_date_and_offers_never(
    steps: Steps,
    store: ContractingStore,
    db: ReadDatabase,
    settings: Settings,
    clock: SimulatedClock,
) -> None:
    lifecycle: Lifecycle = run_lifecycle(steps)  # GZSP signed 5 Oct 2026; MSZ offer declined

    applied = _sync(store, db, settings, clock)

    assert applied == store.recorder.max_notification_id()
    assert _listed(db, PUBLISHED.replace(day=11)) == []
    assert _listed(db, PUBLISHED) == [lifecycle.gzsp_contract]
    assert _listed(db, date(2027, 12, 31)) == [lifecycle.gzsp_contract]
    assert _listed(db, date(2028, 1, 1)) == []
    assert _listed(db, PUBLISHED, agb=MSZ_AGB) == []
    item = search(db, CareFinderQuery(on=PUBLISHED, agb=GZSP_AGB)).items[0]
    assert (item.agb_code, item.care_type, item.contract_year) == (GZSP_AGB, "gzsp", 2027)
    assert item.period.starts_on == date(2027, 1, 1)
    assert not item.partially_contracted
    public = set(item.model_dump())
    assert not public & {"tariff", "ceiling", "amount", "revenue", "reasons", "findings"}


def test_suspension_hides_lifting_shows_again_and_termination_hides_from_its_day(
    steps: Steps,
    store: ContractingStore,
    db: ReadDatabase,
    settings: Settings,
    clock: SimulatedClock,
) -> None:
    contract = signed_gzsp_contract(steps, GZSP_AGB)
    steps.at(local(2027, 2, 1))
    steps.run(SuspendContract(contract_id=contract, grounds=("integrity inquiry",)))
    _sync(store, db, settings, clock)
    suspended = _listed(db, date(2027, 2, 1))

    steps.run(LiftSuspension(contract_id=contract, motivation="inquiry closed"))
    _sync(store, db, settings, clock)
    lifted = _listed(db, date(2027, 2, 1))

    steps.run(
        TerminateContract(
            contract_id=contract,
            grounds=("provider request",),
            effective_on=date(2027, 3, 1),
            initiated_by=TerminationInitiator.PROVIDER,
        )
    )
    _sync(store, db, settings, clock)

    assert suspended == []
    assert lifted == [contract]
    assert _listed(db, date(2027, 2, 28)) == [contract]
    assert _listed(db, date(2027, 3, 1)) == []


def test_a_second_runner_on_the_same_read_store_resumes_and_changes_nothing(
    steps: Steps,
    store: ContractingStore,
    db: ReadDatabase,
    settings: Settings,
    clock: SimulatedClock,
) -> None:
    run_lifecycle(steps)
    first = _sync(store, db, settings, clock)
    before = states(db)

    again = _sync(store, db, settings, clock)  # a restart: new consumer from the stored position

    assert first > 0
    assert again == 0
    assert states(db) == before
