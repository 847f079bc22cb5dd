"""Store against stream: complete when published, gaps named, repaired in order, no duplicates.

A full lifecycle runs through the real bus and store (SQLite and PostgreSQL); its events are
published as the relay publishes them, to a stream of the test's own that allows deletes so gaps
can be made. Within the duplicate window the server still remembers a deleted message's id, so a
repair then is reported as blocked; after the window it republishes.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.relay.stream_check import (
    StoredEventRef,
    StreamCheckReport,
    StreamMessageRef,
    check_stream,
    compare,
    read_stream,
    stored_events,
)
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from tests.integration.event_lifecycle import run_lifecycle
from tests.integration.lifecycle_steps import Steps
from tests.integration.nats.jetstream_session import jetstream, run
from tests.integration.nats.stream_seeding import deletable_stream, publish_store

pytestmark = pytest.mark.nats

SHORT_WINDOW_S = 1.0
WAIT_S = 10.0


@pytest.fixture
def lifecycle_store(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> ContractingStore:
    run_lifecycle(Steps(bus, store, clock, catalog))
    return store


async def _repair_after_window(
    js: JetStreamContext, store: ContractingStore, stream: str
) -> StreamCheckReport:
    """Repair, retrying (bounded) while the duplicate window still remembers the deleted ids."""
    async with asyncio.timeout(WAIT_S):
        while True:
            report = await check_stream(js, store, stream, fix=True)
            if not report.blocked:
                return report
            await asyncio.sleep(0.25)


def test_a_fully_published_store_verifies_clean(
    lifecycle_store: ContractingStore, stream_settings: Settings
) -> None:
    async def scenario() -> tuple[dict[int, str], StreamCheckReport]:
        async with jetstream(stream_settings.nats_url or "") as (_, js):
            await deletable_stream(js, stream_settings, SHORT_WINDOW_S)
            ids = await publish_store(js, lifecycle_store)
            return ids, await check_stream(js, lifecycle_store, stream_settings.stream_name)

    ids, report = run(scenario())

    assert report.ok
    assert report.stored == report.messages == len(ids) > 30
    assert (report.missing, report.duplicates, report.foreign) == ((), (), ())


def test_deleted_messages_are_named_and_repair_republishes_them_in_order_without_duplicates(
    lifecycle_store: ContractingStore, stream_settings: Settings
) -> None:
    stream = stream_settings.stream_name
    gaps = (3, 7, 20)  # published in position order, so sequence n holds position n

    async def scenario() -> tuple[
        dict[int, str],
        StreamCheckReport,
        StreamCheckReport,
        StreamCheckReport,
        list[StreamMessageRef],
    ]:
        async with jetstream(stream_settings.nats_url or "") as (_, js):
            await deletable_stream(js, stream_settings, SHORT_WINDOW_S)
            ids = await publish_store(js, lifecycle_store)
            for sequence in gaps:
                await js.delete_msg(stream, sequence)
            gapped = await check_stream(js, lifecycle_store, stream)
            repaired = await _repair_after_window(js, lifecycle_store, stream)
            after = await check_stream(js, lifecycle_store, stream)
            _, messages = await read_stream(js, stream)
            return ids, gapped, repaired, after, messages

    ids, gapped, repaired, after, messages = run(scenario(), timeout_s=30)

    by_position = {e.position: e for e in stored_events(lifecycle_store)}
    assert not gapped.ok
    assert [e.position for e in gapped.missing] == list(gaps)
    for missing in gapped.missing:
        assert missing.event_id == ids[missing.position]
        stored = by_position[missing.position]
        assert (missing.aggregate_id, missing.version) == (stored.aggregate_id, stored.version)
    assert gapped.messages == len(ids) - len(gaps)
    assert gapped.duplicates == ()

    assert [e.position for e in repaired.repaired] == list(gaps)
    assert repaired.ok
    assert after.ok
    assert after.messages == after.stored == len(ids)
    # republished at the end of the stream, in position order, nothing else appended
    tail = [m.event_id for m in messages[-len(gaps) :]]
    assert tail == [ids[p] for p in gaps]
    assert len({m.event_id for m in messages}) == len(messages)


def test_a_repair_inside_the_duplicate_window_is_reported_blocked_and_stores_nothing(
    lifecycle_store: ContractingStore, stream_settings: Settings
) -> None:
    stream = stream_settings.stream_name

    async def scenario() -> tuple[StreamCheckReport, int, int]:
        async with jetstream(stream_settings.nats_url or "") as (_, js):
            await deletable_stream(js, stream_settings, 3600)
            await publish_store(js, lifecycle_store)
            await js.delete_msg(stream, 5)
            before = (await js.stream_info(stream)).state.messages
            report = await check_stream(js, lifecycle_store, stream, fix=True)
            return report, before, (await js.stream_info(stream)).state.messages

    report, before, after = run(scenario())

    assert not report.ok
    assert [b.event.position for b in report.blocked] == [5]
    assert report.blocked[0].duplicate_of_sequence == 5
    assert [e.position for e in report.still_missing] == [5]
    assert report.repaired == ()
    assert after == before


def test_a_missing_stream_is_not_found(
    lifecycle_store: ContractingStore, stream_settings: Settings
) -> None:
    async def scenario() -> None:
        async with jetstream(stream_settings.nats_url or "") as (_, js):
            await check_stream(js, lifecycle_store, stream_settings.stream_name)

    with pytest.raises(NotFoundError):
        run(scenario())


def _ref(position: int) -> StoredEventRef:
    return StoredEventRef(
        event_id=f"id-{position}",
        position=position,
        aggregate_id=UUID(int=position),
        version=1,
        topic="contracting.contract.signed",
    )


def test_compare_names_duplicates_with_their_sequences_and_messages_the_store_does_not_know() -> (
    None
):
    stored = [_ref(1), _ref(2), _ref(3)]
    messages = [
        StreamMessageRef(sequence=1, event_id="id-1"),
        StreamMessageRef(sequence=2, event_id="id-2"),
        StreamMessageRef(sequence=3, event_id="id-2"),
        StreamMessageRef(sequence=4, event_id="other"),
        StreamMessageRef(sequence=5, event_id=None),
    ]

    report = compare("S", stored, messages)

    assert not report.ok
    assert [e.position for e in report.missing] == [3]
    assert [(d.event_id, d.sequences, d.position) for d in report.duplicates] == [
        ("id-2", (2, 3), 2)
    ]
    assert [(f.sequence, f.event_id) for f in report.foreign] == [(4, "other"), (5, None)]
    assert report.messages == 5
