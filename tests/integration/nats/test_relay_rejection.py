"""Events the server refuses in the middle of a pipelined batch do not reorder the stream.

Against the session's real nats-server, on SQLite and PostgreSQL, with a full lifecycle in the
store. The stream of each test is the service's (``ensure_stream``); a refusal is made real by
lowering its ``max_msg_size`` so that the server refuses the lifecycle's two largest events
(positions 24 and 25: an application's last event, then version 1 of a contract whose version 2
is position 26) while it would take every smaller one. The limit is then lifted and the relay
retries. Other tests: a stream that already holds the head of a batch (a relay that died before
saving its position), events ``stream verify --repair`` published ahead of the relay, and a
message of another writer stored between batches and, the guarantee's limit, during one.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any
from unittest import mock

import nats
import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import APIError
from structlog.testing import capture_logs

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.relay.position import RelayPosition
from care_contracts.services.relay.publisher import (
    Outgoing,
    PublishFailed,
    outgoing,
    publish_batch,
)
from care_contracts.services.relay.relay import Relay
from care_contracts.services.relay.stream_check import check_stream
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

BATCH = 30
# Payload plus headers (about 100 to 140 bytes) above this is refused: every lifecycle event up to
# position 23 is at most 929 bytes of payload, positions 24 and 25 are over 1,150.
MAX_MSG_SIZE = 1150
LARGE_PAYLOAD = 1000  # payloads above this are over MAX_MSG_SIZE whatever the headers
MESSAGE_TOO_LARGE = 10054  # JetStream err_code: message size exceeds maximum allowed


@pytest.fixture
def settings(settings: Settings, nats_url: str) -> Iterator[Settings]:
    """The store's settings (SQLite or PostgreSQL) with a stream of this test's own."""
    with own_stream(
        settings, nats_url, "RELAY", relay_batch_size=BATCH, relay_ack_timeout_s=2.0
    ) as own:
        yield own


@pytest.fixture
def lifecycle_store(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> ContractingStore:
    run_lifecycle(Steps(bus, store, clock, catalog))
    return store


def _url(settings: Settings) -> str:
    return settings.nats_url or ""


def _stored(store: ContractingStore) -> int:
    return store.recorder.max_notification_id() or 0


async def _set_max_msg_size(settings: Settings, size: int) -> None:
    async with jetstream(_url(settings)) as (_, js):
        info = await js.stream_info(settings.stream_name)
        await js.update_stream(info.config.evolve(max_msg_size=size))


async def _until_caught_up(relay: Relay) -> list[int]:
    counts = []
    try:
        while True:
            counts.append(await relay.run_once())
            if counts[-1] < relay.settings.relay_batch_size:
                return counts
    finally:
        await relay.close()


async def _write_by_hand(js: JetStreamContext) -> None:
    """A message on the stream's subjects that the relay did not publish."""
    await js.publish("contracting.note.written.by-hand._", b"{}", headers={"Nats-Msg-Id": "note"})


def _outgoing(store: ContractingStore, start: int, limit: int) -> list[Outgoing]:
    return outgoing(store, store.recorder.select_notifications(start=start, limit=limit))


def _positions(settings: Settings) -> list[Any]:
    """The store position of every message on the stream, in stream order."""
    messages = run(stream_messages(_url(settings), settings.stream_name))
    return [message.body.get("position") for message in messages]


def test_events_refused_mid_batch_stop_the_batch_and_the_retry_keeps_the_log_order(
    lifecycle_store: ContractingStore, settings: Settings
) -> None:
    stored = _stored(lifecycle_store)
    batch = _outgoing(lifecycle_store, 1, BATCH)
    large = [m.position for m in batch if len(m.payload) > LARGE_PAYLOAD]
    assert large == [24, 25], "the lifecycle changed: pick another limit"
    assert all(len(m.payload) < MAX_MSG_SIZE - 200 for m in batch if m.position not in large)
    aggregate = {m.position: json.loads(m.payload)["subject"] for m in batch}
    assert aggregate[25] == aggregate[26]  # version 1 and 2 of one contract
    run(_set_max_msg_size(settings, MAX_MSG_SIZE))
    relay = Relay(lifecycle_store, _url(settings), settings)

    with pytest.raises(PublishFailed) as refused:
        run(relay.run_once())
    run(relay.close())
    held_after_refusal = _positions(settings)
    saved_after_refusal = RelayPosition(lifecycle_store, settings.stream_name).load()
    run(_set_max_msg_size(settings, -1))
    run(_until_caught_up(relay))
    messages = run(stream_messages(_url(settings), settings.stream_name))

    # Nothing after the refused event was stored, though 26..30 were in flight behind it ...
    assert held_after_refusal == list(range(1, 24))
    assert refused.value.failed_position == 24
    assert refused.value.acked_through == saved_after_refusal == 23
    # ... so the retry published the rest in log order: each aggregate in version order.
    assert [m.body["position"] for m in messages] == list(range(1, stored + 1))
    assert_stream_holds_the_store_exactly_once(messages, lifecycle_store)
    assert relay.position() == stored
    # The refusal came back as what it is, not as an ack timeout.
    assert isinstance(refused.value.cause, APIError)
    assert refused.value.cause.err_code == MESSAGE_TOO_LARGE


def test_a_stream_holding_the_head_of_a_batch_is_sent_only_the_rest_and_nothing_twice(
    lifecycle_store: ContractingStore, settings: Settings
) -> None:
    # A relay that had its first seven events acked and died before saving its position.
    stored = _stored(lifecycle_store)
    head = _outgoing(lifecycle_store, 1, 7)
    url = _url(settings)

    async def publish_head() -> None:
        async with jetstream(url) as (_, js):
            await publish_batch(js, head, ack_timeout_s=5, stream=settings.stream_name)

    async def next_relay_watched() -> tuple[list[int], Counter[str]]:
        sent: Counter[str] = Counter()  # every message the relay sent, stored or not

        async def count(msg: Msg) -> None:
            sent[(msg.headers or {})["Nats-Msg-Id"]] += 1

        watcher = await nats.connect(url, allow_reconnect=False)
        try:
            await watcher.subscribe("contracting.>", cb=count)
            await watcher.flush()
            counts = await _until_caught_up(Relay(lifecycle_store, url, settings))
            await watcher.flush()  # everything the server routed to it has arrived
            return counts, sent
        finally:
            await watcher.close()

    run(publish_head())
    assert RelayPosition(lifecycle_store, settings.stream_name).load() == 0
    counts, sent = run(next_relay_watched())
    messages = run(stream_messages(url, settings.stream_name))

    assert sum(counts) == stored  # the head counts as published (acked as duplicates) ...
    assert [m.body["position"] for m in messages] == list(range(1, stored + 1))  # ... once
    assert_stream_holds_the_store_exactly_once(messages, lifecycle_store)
    # One round found the stream ahead of it; the head behind its first duplicate was read back,
    # not sent again once per event.
    assert all(sent[m.msg_id] == 1 for m in head)


def test_events_repaired_ahead_of_the_relay_are_not_published_again(
    lifecycle_store: ContractingStore, settings: Settings
) -> None:
    stored = _stored(lifecycle_store)
    relay = Relay(lifecycle_store, _url(settings), settings)

    async def first_ten() -> None:
        try:
            await relay.run_once(10)
        finally:
            await relay.close()  # its connection belongs to this event loop

    run(first_ten())

    async def repair() -> tuple[int, ...]:
        async with jetstream(_url(settings)) as (_, js):
            report = await check_stream(js, lifecycle_store, settings.stream_name, fix=True)
            return tuple(event.position for event in report.repaired)

    repaired = run(repair())
    counts = run(_until_caught_up(relay))
    messages = run(stream_messages(_url(settings), settings.stream_name))

    assert repaired == tuple(range(11, stored + 1))
    assert sum(counts) == stored - 10
    assert relay.position() == stored
    assert [m.body["position"] for m in messages] == list(range(1, stored + 1))
    assert_stream_holds_the_store_exactly_once(messages, lifecycle_store)


def test_a_message_of_another_writer_between_batches_lies_between_them(
    lifecycle_store: ContractingStore, settings: Settings
) -> None:
    stored = _stored(lifecycle_store)
    relay = Relay(lifecycle_store, _url(settings), settings)

    async def ten_then_another_writer() -> None:
        try:
            await relay.run_once(10)
        finally:
            await relay.close()
        async with jetstream(_url(settings)) as (_, js):
            await _write_by_hand(js)

    run(ten_then_another_writer())
    run(_until_caught_up(relay))

    assert _positions(settings) == [*range(1, 11), None, *range(11, stored + 1)]
    assert relay.position() == stored


async def _publish_with_another_writer(
    settings: Settings, batch: Sequence[Outgoing], *, before: int
) -> None:
    """``publish_batch`` while another connection stores a message of its own on the stream
    just before the relay sends its message number ``before`` (0-based), once the earlier ones
    are stored."""
    name = settings.stream_name
    async with jetstream(_url(settings)) as (nc, js), jetstream(_url(settings)) as (_, other):
        send = nc.publish
        sent = 0

        async def publish(
            subject: str, payload: bytes = b"", reply: str = "", headers: Any = None
        ) -> None:
            nonlocal sent
            if subject.startswith("contracting.") and sent == before:
                await nc.flush()
                while (await other.stream_info(name)).state.last_seq < before:
                    await asyncio.sleep(0.01)
                await _write_by_hand(other)
            if subject.startswith("contracting."):
                sent += 1
            await send(subject, payload, reply=reply, headers=headers)

        with mock.patch.object(nc, "publish", publish):
            await publish_batch(js, batch, ack_timeout_s=5, stream=name)


def test_a_message_of_another_writer_mid_batch_is_reported_as_breaking_the_order(
    lifecycle_store: ContractingStore, settings: Settings
) -> None:
    # The limit of Nats-Expected-Last-Sequence: the other writer's message makes the relay's
    # fourth one refused, and the fifth then finds the last sequence it expects.
    batch = _outgoing(lifecycle_store, 1, 10)

    with capture_logs() as logs:
        run(_publish_with_another_writer(settings, batch, before=3))

    assert _positions(settings) == [1, 2, 3, None, 5, 6, 7, 8, 9, 10, 4]
    reports = [entry for entry in logs if entry["event"] == "relay.out_of_order"]
    assert len(reports) == 1
    assert reports[0]["log_level"] == "error"
    assert reports[0]["stream"] == settings.stream_name
    assert (reports[0]["refused_position"], reports[0]["stored_from"]) == (4, 5)
    assert (reports[0]["stored_through"], reports[0]["stored_after"]) == (10, 6)
