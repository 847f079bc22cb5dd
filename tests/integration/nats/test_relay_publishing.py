"""The relay publishes every stored event once, in order per aggregate, and tracks its position.

Against the session's real nats-server, on SQLite and PostgreSQL: a full lifecycle through the
bus, then relay rounds until caught up; the stream is read back message by message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from cloudevents.core.formats.json import JSONFormat

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.events.contract import by_type
from care_contracts.services.relay.position import RelayPosition
from care_contracts.services.relay.publisher import outgoing, publish_batch
from care_contracts.services.relay.relay import Relay, RelayLag
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from tests.integration.event_lifecycle import run_lifecycle
from tests.integration.lifecycle_steps import Steps
from tests.integration.nats.jetstream_session import jetstream, own_stream, run
from tests.integration.nats.relay_stream import (
    assert_stream_holds_the_store_exactly_once,
    stream_messages,
)

pytestmark = pytest.mark.nats


@pytest.fixture
def settings(settings: Settings, nats_url: str) -> Iterator[Settings]:
    """The store's settings (SQLite or PostgreSQL) with a stream of this test's own."""
    with own_stream(settings, nats_url, "RELAY") as own:
        yield own


@pytest.fixture
def lifecycle_store(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> ContractingStore:
    run_lifecycle(Steps(bus, store, clock, catalog))
    return store


async def _until_caught_up(relay: Relay, batch: int) -> list[int]:
    counts = []
    try:
        while True:
            counts.append(await relay.run_once(batch))
            if counts[-1] < batch:
                return counts
    finally:
        await relay.close()


def test_every_stored_event_is_published_once_in_order_per_aggregate_as_a_cloudevent(
    lifecycle_store: ContractingStore, settings: Settings
) -> None:
    stored = lifecycle_store.recorder.max_notification_id()
    relay = Relay(lifecycle_store, settings.nats_url or "", settings)

    counts = run(_until_caught_up(relay, 7))
    messages = run(stream_messages(settings.nats_url or "", settings.stream_name))

    assert sum(counts) == stored > 30
    assert counts[:-1] == [7] * (len(counts) - 1)  # full batches until the tail
    assert relay.position() == RelayPosition(lifecycle_store, settings.stream_name).load() == stored
    assert_stream_holds_the_store_exactly_once(messages, lifecycle_store)
    assert [m.body["position"] for m in messages] == list(range(1, stored + 1))
    for message in messages:
        parsed = JSONFormat().read(None, json.dumps(message.body).encode())
        assert parsed.get_id() == message.msg_id
        assert parsed.get_type() in by_type()
        assert message.subject.startswith(f"contracting.{by_type()[parsed.get_type()].aggregate}.")


def test_a_relay_restarted_from_position_zero_adds_no_duplicates_and_ends_at_the_max(
    lifecycle_store: ContractingStore, settings: Settings
) -> None:
    # A relay that published everything and crashed before saving its position.
    notifications = lifecycle_store.recorder.select_notifications(start=1, limit=10_000)

    async def publish_without_saving() -> None:
        async with jetstream(settings.nats_url or "") as (_, js):
            await publish_batch(js, outgoing(lifecycle_store, notifications), ack_timeout_s=5)

    run(publish_without_saving())
    assert RelayPosition(lifecycle_store, settings.stream_name).load() == 0
    relay = Relay(lifecycle_store, settings.nats_url or "", settings)

    counts = run(_until_caught_up(relay, 10))
    messages = run(stream_messages(settings.nats_url or "", settings.stream_name))

    assert sum(counts) == len(notifications)  # everything went out again ...
    assert len(messages) == len(notifications)  # ... and JetStream kept each id once
    assert_stream_holds_the_store_exactly_once(messages, lifecycle_store)
    assert RelayPosition(lifecycle_store, settings.stream_name).load() == notifications[-1].id


def test_the_saved_position_never_moves_back(
    store: ContractingStore, settings: Settings, open_store: object
) -> None:
    positions = RelayPosition(store, settings.stream_name)
    other_stream = RelayPosition(store, f"{settings.stream_name}_OTHER")

    assert positions.load() == 0
    positions.save(12)
    positions.save(5)
    other_stream.save(3)

    assert positions.load() == 12
    assert other_stream.load() == 3


def test_lag_reports_the_backlog_and_its_age_then_drops_to_zero(
    lifecycle_store: ContractingStore, settings: Settings, clock: SimulatedClock
) -> None:
    stored = lifecycle_store.recorder.max_notification_id()
    first = lifecycle_store.recorder.select_notifications(start=1, limit=1)[0]
    first_at = datetime.fromisoformat(
        lifecycle_store.contracting_mapper.read_body(first)["data"]["timestamp"]
    )
    relay = Relay(lifecycle_store, settings.nats_url or "", settings, clock=clock)

    before = relay.lag()
    run(_until_caught_up(relay, 10))
    after = relay.lag()

    assert before == RelayLag(stored, (clock.now() - first_at).total_seconds())
    assert before.seconds > 0
    assert after == RelayLag(0, 0.0)
