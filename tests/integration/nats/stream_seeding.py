"""Helpers for stream checks: a test stream that allows deletes, and a store's events published."""

from __future__ import annotations

import json
from uuid import UUID

from nats.js import JetStreamContext
from nats.js.api import StreamInfo

from care_contracts.services.events.envelope import to_cloudevent
from care_contracts.services.nats.streams import desired_stream_config
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from tests.integration.event_lifecycle import stored_events


async def deletable_stream(
    js: JetStreamContext, settings: Settings, duplicate_window_s: float
) -> StreamInfo:
    """The service's stream configuration, but deletes allowed and the given duplicate window."""
    config = desired_stream_config(settings)
    return await js.add_stream(
        config.evolve(deny_delete=False, duplicate_window=duplicate_window_s)
    )


async def publish_store(js: JetStreamContext, store: ContractingStore) -> dict[int, str]:
    """Publish every stored event in position order as the relay would; {position: event id}."""
    ids: dict[int, str] = {}
    for position, stored, body in stored_events(store):
        subject, headers, event = to_cloudevent(
            position, body, stored.topic, UUID(str(stored.originator_id)), stored.originator_version
        )
        payload = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        ack = await js.publish(subject, payload, headers=headers)
        assert not ack.duplicate
        ids[position] = headers["Nats-Msg-Id"]
    return ids
