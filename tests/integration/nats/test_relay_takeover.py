"""Two relays on one store: one publishes; killing it hands over within the lease TTL.

Two ``Relay`` objects with their own instance ids and their own stores over one database run
``run_forever`` in one event loop while commands append events (a paced lifecycle in a thread).
Exactly one holds the lease and publishes; the holder's task is then cancelled without releasing
(a dead process: the lease entry stays until its TTL), the other takes over within the TTL and a
margin and publishes the rest; every stored event ends on the stream exactly once by Nats-Msg-Id.
The takeover time is printed, not asserted (no wall-clock assertions); the wait for it is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from nats.js.errors import NotFoundError

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.base import Command, CommandOutcome
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.nats.streams import ensure_stream
from care_contracts.services.relay.lease import RelayLease
from care_contracts.services.relay.relay import Relay
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.metadata import Actor
from tests.integration.conftest import StoreFactory
from tests.integration.event_lifecycle import run_lifecycle
from tests.integration.lifecycle_steps import OFFICER, Steps
from tests.integration.nats.jetstream_session import delete_stream, jetstream, run
from tests.integration.nats.relay_stream import (
    assert_stream_holds_the_store_exactly_once,
    stream_messages,
)

pytestmark = pytest.mark.nats

TTL_S = 1.5
TAKEOVER_BOUND_S = TTL_S + 3.0  # the TTL, the server's expiry sweep, a retry interval, slack
COMMAND_PACE_S = 0.1  # between commands, so events keep arriving across the takeover


@pytest.fixture
def settings(settings: Settings, nats_url: str) -> Iterator[Settings]:
    own = settings.model_copy(
        update={
            "nats_url": nats_url,
            "stream_name": f"RELAY_{uuid.uuid4().hex[:8].upper()}",
            "relay_batch_size": 3,
            "relay_poll_interval_s": 0.05,
            "relay_backoff_max_s": 0.2,
            "relay_ack_timeout_s": 1.0,
            "relay_lease_ttl_s": TTL_S,
        }
    )
    run(_ensure(own))
    yield own
    delete_stream(nats_url, own.stream_name)


@pytest.fixture
def lease_bucket(nats_url: str) -> Iterator[str]:
    """A bucket of this test's own: the default one may exist with another TTL."""
    name = f"leases_{uuid.uuid4().hex[:8]}"
    yield name

    async def remove() -> None:
        async with jetstream(nats_url) as (_, js):
            with contextlib.suppress(NotFoundError):
                await js.delete_key_value(name)

    run(remove())


async def _ensure(settings: Settings) -> None:
    async with jetstream(settings.nats_url or "") as (_, js):
        await ensure_stream(js, settings)


class _PacedSteps(Steps):
    def run(self, command: Command, actor: Actor = OFFICER, **context: Any) -> CommandOutcome:
        time.sleep(COMMAND_PACE_S)
        return super().run(command, actor, **context)


class _CountingRelay(Relay):
    """A relay that remembers what each of its rounds published."""

    published = 0

    async def run_once(self, max_batch: int | None = None) -> int:
        count = await super().run_once(max_batch)
        self.published += count
        return count


async def _until(condition: Any, timeout_s: float, what: str) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not within {timeout_s} s: {what}") from None


def test_two_relays_on_one_store_one_publishes_and_killing_it_hands_over_within_the_ttl(
    settings: Settings,
    lease_bucket: str,
    open_store: StoreFactory,
    bus: CommandBus,
    store: ContractingStore,
    clock: SimulatedClock,
    catalog: PolicyCatalog,
) -> None:
    url = settings.nats_url or ""

    def relay(instance_id: str) -> _CountingRelay:
        own = settings.model_copy(update={"instance_id": instance_id})
        return _CountingRelay(open_store(), url, own, lease_bucket=lease_bucket)

    relays = {"relay-a": relay("relay-a"), "relay-b": relay("relay-b")}

    async def scenario() -> dict[str, Any]:
        stop = asyncio.Event()
        commands = asyncio.create_task(
            asyncio.to_thread(run_lifecycle, _PacedSteps(bus, store, clock, catalog))
        )
        tasks = {name: asyncio.create_task(r.run_forever(stop)) for name, r in relays.items()}
        both_held = False

        def one_has_published() -> bool:
            nonlocal both_held
            states = [r.lease_state for r in relays.values()]
            both_held = both_held or states.count("acquired") > 1
            return any(r.published > 0 for r in relays.values())

        await _until(one_has_published, 10, "a relay publishes")
        holder_name = next(n for n, r in relays.items() if r.lease_state == "acquired")
        holder = relays[holder_name]
        other = next(r for n, r in relays.items() if n != holder_name)
        await asyncio.sleep(TTL_S)  # both running for a whole TTL, the holder renewing
        one_has_published()
        async with jetstream(url) as (_, js):
            seen_holder = await RelayLease(
                js, key=settings.stream_name, holder="observer", ttl_s=TTL_S, bucket=lease_bucket
            ).current_holder()
        before = {"holder": holder.published, "other": other.published, "state": other.lease_state}
        assert not commands.done(), "the commands finished before the holder died: pace them"

        killed_at = time.monotonic()
        tasks[holder_name].cancel()  # dies without releasing: the entry stays until its TTL
        with contextlib.suppress(asyncio.CancelledError):
            await tasks[holder_name]
        await _until(lambda: other.lease_state == "acquired", TAKEOVER_BOUND_S, "the takeover")
        takeover_s = time.monotonic() - killed_at
        published_by_holder = holder.published

        await asyncio.wait_for(commands, 60)
        stored = store.recorder.max_notification_id()
        await _until(lambda: other.position() == stored, 20, "the successor catches up")
        stop.set()
        await asyncio.wait_for(tasks[next(n for n in relays if n != holder_name)], 10)
        async with jetstream(url) as (_, js):
            after_release = await RelayLease(
                js, key=settings.stream_name, holder="observer", ttl_s=TTL_S, bucket=lease_bucket
            ).current_holder()
        return {
            "holder_name": holder_name,
            "seen_holder": seen_holder,
            "both_held": both_held,
            "before": before,
            "takeover_s": takeover_s,
            "holder_total": published_by_holder,
            "holder_after": holder.published,
            "other_total": other.published,
            "other_state": other.lease_state,
            "after_release": after_release,
            "stored": stored,
        }

    result = run(scenario(), timeout_s=120)
    messages = run(stream_messages(url, settings.stream_name))
    sys.stdout.write(
        f"\ntakeover after the holder died: {result['takeover_s']:.2f} s (lease TTL {TTL_S} s)\n"
    )

    assert result["seen_holder"] == result["holder_name"]
    assert result["both_held"] is False
    assert result["before"]["holder"] > 0
    assert result["before"]["other"] == 0  # the waiting relay published nothing
    assert result["before"]["state"] == "waiting"
    assert result["holder_after"] == result["holder_total"]  # dead: nothing more from it
    assert result["other_total"] > 0  # the successor published the rest
    assert result["other_state"] == "released"
    assert result["after_release"] is None  # a clean stop gives the lease up
    assert len(messages) == result["stored"]
    assert_stream_holds_the_store_exactly_once(messages, store)
