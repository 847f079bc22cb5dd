"""Helpers for the relay tests: what a stream holds, and the ids the store expects there."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from care_contracts.services.events.envelope import event_id
from care_contracts.services.store.application import ContractingStore
from tests.integration.nats.jetstream_session import jetstream


@dataclass(frozen=True)
class StreamMessage:
    sequence: int
    subject: str
    msg_id: str
    body: dict[str, Any]


async def stream_messages(url: str, stream: str) -> list[StreamMessage]:
    """Every message of ``stream`` in stream order."""
    async with jetstream(url) as (_, js):
        info = await js.stream_info(stream)
        messages = []
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            raw = await js.get_msg(stream, sequence)
            headers = raw.headers or {}
            messages.append(
                StreamMessage(
                    sequence, raw.subject or "", headers["Nats-Msg-Id"], json.loads(raw.data or b"")
                )
            )
        return messages


def expected_ids(store: ContractingStore) -> list[tuple[int, str, UUID, int]]:
    """(position, event id, aggregate id, version) of every stored event, in log order."""
    return [
        (
            n.id,
            event_id(UUID(str(n.originator_id)), n.originator_version),
            UUID(str(n.originator_id)),
            n.originator_version,
        )
        for n in store.recorder.select_notifications(start=1, limit=100_000)
    ]


def assert_stream_holds_the_store_exactly_once(
    messages: list[StreamMessage], store: ContractingStore
) -> None:
    """Every stored event is on the stream once, by Nats-Msg-Id, each aggregate in version order."""
    expected = expected_ids(store)
    ids = [m.msg_id for m in messages]
    assert len(ids) == len(set(ids)), "a message id is on the stream twice"
    assert sorted(ids) == sorted(e[1] for e in expected)
    versions: dict[str, list[int]] = {}
    for message in messages:
        assert message.body["id"] == message.msg_id
        versions.setdefault(message.body["subject"], []).append(message.body["aggregateversion"])
    for aggregate, seen in versions.items():
        assert seen == sorted(seen), f"aggregate {aggregate} out of order: {seen}"
