"""The auditors' timeline fed from a real stream: real commands → relay → JetStream → query.

On SQLite and PostgreSQL (event store and read store alike), against the session's nats-server.
The runner applies small batches, so the GZSP application's events are committed before the
offer that links them to the contract exists: the link must be made when the timeline is read.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import UUID

import pytest

from care_contracts.projections.database import ReadDatabase, Row
from care_contracts.projections.events import ProjectedEvent, from_store
from care_contracts.projections.state import active_state, states
from care_contracts.projections.timeline.entry import TimelineEntry, describe
from care_contracts.projections.timeline.projection import EVENTS, LINKS, TimelineProjection
from care_contracts.projections.timeline.query import aggregate_timeline, contract_timeline
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from tests.integration.event_lifecycle import GZSP_AGB, Lifecycle, run_lifecycle
from tests.integration.lifecycle_steps import Steps
from tests.integration.nats.jetstream_session import own_stream
from tests.integration.nats.projection_session import (
    project_all,
    publish_all,
    runner_for,
)

pytestmark = pytest.mark.nats

BATCH = 7  # fewer than the GZSP application's events: they and the offer arrive in other batches


@pytest.fixture
def settings(settings: Settings, nats_url: str) -> Iterator[Settings]:
    """The store's settings (SQLite or PostgreSQL) with a stream of this test's own."""
    with own_stream(settings, nats_url, "TL", projection_batch_size=BATCH) as own:
        yield own


@pytest.fixture
def lifecycle(
    steps: Steps, store: ContractingStore, db: ReadDatabase, settings: Settings
) -> Lifecycle:
    """The lifecycle's commands run, published and applied to the timeline."""
    ran = run_lifecycle(steps)
    applied = _sync(store, db, settings, steps.clock)
    assert applied == store.recorder.max_notification_id()
    return ran


def _sync(
    store: ContractingStore, db: ReadDatabase, settings: Settings, clock: SimulatedClock
) -> int:
    """Publish what the store holds and let the timeline apply it; events applied."""

    async def go() -> int:
        await publish_all(store, settings)
        runner = runner_for(TimelineProjection(), db, settings, clock)
        try:
            return await project_all(runner)
        finally:
            await runner.close()

    return asyncio.run(go())


def _published(store: ContractingStore) -> list[ProjectedEvent]:
    """Every stored event as it is published, in store order (stream sequence 0)."""
    notifications = store.recorder.select_notifications(start=1, limit=10_000)
    return [from_store(store, notification) for notification in notifications]


def _application_of(events: list[ProjectedEvent], contract: UUID) -> UUID:
    offer = next(e for e in events if e.aggregate_id == contract and e.version == 1)
    return UUID(offer.data["application_id"])


def _by_summary(entries: tuple[TimelineEntry, ...], start: str) -> TimelineEntry:
    return next(e for e in entries if e.summary.startswith(start))


def _dump(db: ReadDatabase) -> tuple[list[Row], list[Row]]:
    with db.reading() as cur:
        state = active_state(cur, TimelineProjection.name)
        assert state is not None
        events = cur.execute(f"SELECT * FROM {state.tables[EVENTS]} ORDER BY event_id").fetchall()
        links = cur.execute(
            f"SELECT * FROM {state.tables[LINKS]} ORDER BY contract_id, aggregate_id"
        ).fetchall()
    return events, links


def test_a_contract_timeline_holds_its_application_contract_and_ceiling_events_in_order(
    lifecycle: Lifecycle, store: ContractingStore, db: ReadDatabase
) -> None:
    published = _published(store)
    application = _application_of(published, lifecycle.gzsp_contract)
    own = {application, lifecycle.gzsp_contract, lifecycle.ceiling}
    expected = [
        e
        for e in published
        if e.aggregate_id in own
        or (
            e.type == "financial_frame.reserved.v1"
            and e.data["ceiling_id"] == str(lifecycle.ceiling)
        )
    ]

    timeline = contract_timeline(db, lifecycle.gzsp_contract)

    assert timeline is not None
    assert timeline.application_ids == (application,)
    assert timeline.ceiling_ids == (lifecycle.ceiling,)
    assert [e.position for e in timeline.entries] == [e.position for e in expected]
    assert all(entry.sequence > 0 for entry in timeline.entries)  # applied from the stream
    # Everything an entry holds survived the read store: the entry of the same published event.
    assert [e.model_copy(update={"sequence": 0}) for e in timeline.entries] == [
        describe(e) for e in expected
    ]
    assert lifecycle.msz_contract not in {e.aggregate_id for e in timeline.entries}


def test_each_line_names_actor_decision_time_pack_and_rules(
    lifecycle: Lifecycle, db: ReadDatabase
) -> None:
    timeline = contract_timeline(db, lifecycle.gzsp_contract)
    assert timeline is not None
    entries = timeline.entries

    submitted = entries[0]
    requirement = _by_summary(entries, "Requirement ZZ-MIN-AGB: met")
    offer = _by_summary(entries, "Offer made to Kliniek 06111111 (AGB 06111111): GZSP contract")
    signed = _by_summary(entries, "Signed by the provider on 5 Oct 2026 (VECOZO ref VZ-06111111)")
    revised = _by_summary(entries, "Ceiling revised from EUR 1,000,000.00 to EUR 1,040,000.00")
    reserved = entries[-1]

    assert submitted.event_type == "application.submitted.v1"
    assert (submitted.actor_role, submitted.actor_id) == ("provider", GZSP_AGB)
    assert (requirement.actor_role, requirement.actor_id) == ("officer", "officer-7")
    assert requirement.policy_pack == "zz-2027-gzsp@1.0"
    assert requirement.rule_codes == ("ZZ-MIN-AGB",)
    assert offer.summary.endswith("1 Jan 2027 – 31 Dec 2027, sign by 16 Nov 2026")
    assert "ZZ-GZSP-CT-MAATWERK" in offer.rule_codes
    assert (signed.actor_role, signed.actor_id) == ("provider", GZSP_AGB)
    assert revised.time == datetime(2027, 10, 10, 8, tzinfo=UTC)
    assert "ZZ-GZSP-CEILING-FRAME" in revised.rule_codes
    assert reserved.event_type == "financial_frame.reserved.v1"
    assert reserved.aggregate_id == lifecycle.frame
    assert reserved.ceiling_id == lifecycle.ceiling
    assert all(entry.correlation_id == "lifecycle" for entry in entries)


def test_single_aggregates_and_unknown_or_non_contract_ids(
    lifecycle: Lifecycle, store: ContractingStore, db: ReadDatabase
) -> None:
    frame = aggregate_timeline(db, lifecycle.frame)
    msz = contract_timeline(db, lifecycle.msz_contract)

    assert frame is not None
    assert frame.aggregate == "financial_frame"
    assert [e.event_type for e in frame.entries] == [
        "financial_frame.opened.v1",
        "financial_frame.reserved.v1",
    ]
    assert msz is not None
    assert msz.application_ids == (_application_of(_published(store), lifecycle.msz_contract),)
    assert msz.ceiling_ids == ()
    assert msz.entries[-1].summary == "Offer declined: no capacity"
    assert contract_timeline(db, lifecycle.ceiling) is None  # a ceiling is not a contract
    assert contract_timeline(db, uuid.uuid4()) is None
    assert aggregate_timeline(db, uuid.uuid4()) is None


def test_applying_the_same_events_again_changes_nothing(
    lifecycle: Lifecycle,
    store: ContractingStore,
    db: ReadDatabase,
    settings: Settings,
    clock: SimulatedClock,
) -> None:
    before = _dump(db)
    state_before = states(db)
    published = _published(store)

    for _ in range(2):  # as a rebuild's store pass meeting the stream would
        with db.transaction() as cur:
            state = active_state(cur, TimelineProjection.name)
            assert state is not None
            TimelineProjection().apply(cur, state.tables, published)
    again = _sync(store, db, settings, clock)  # a restart: resumes after the stored position

    assert len(before[0]) == len(published)
    assert len(before[1]) == 3  # two offers' applications, one ceiling
    assert _dump(db) == before
    assert again == 0
    assert states(db) == state_before
