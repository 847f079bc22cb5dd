"""RelayLease on a real JetStream KV bucket: one holder at a time, renewal, release, takeover."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from care_contracts.services.relay.lease import RelayLease
from care_contracts.services.settings import Settings
from tests.integration.nats.jetstream_session import jetstream, run

pytestmark = pytest.mark.nats

TTL_S = 1.0
WAIT_S = 8.0  # bound on every wait for an expiry


@pytest.fixture
def bucket(nats_url: str) -> Iterator[str]:
    name = f"leases_{uuid.uuid4().hex[:8]}"
    yield name

    async def remove() -> None:
        async with jetstream(nats_url) as (_, js):
            with contextlib.suppress(NotFoundError):
                await js.delete_key_value(name)

    run(remove())


def _lease(js: JetStreamContext, bucket: str, holder: str, ttl_s: float = TTL_S) -> RelayLease:
    return RelayLease(js, bucket=bucket, key="CONTRACTING", holder=holder, ttl_s=ttl_s)


async def _acquire_within(lease: RelayLease, bound_s: float) -> bool:
    async with asyncio.timeout(bound_s):
        while not await lease.acquire():
            await asyncio.sleep(0.1)
    return True


def test_the_first_holder_acquires_and_a_second_is_refused(nats_url: str, bucket: str) -> None:
    async def scenario() -> tuple[bool, bool, str | None, bool, str | None]:
        async with jetstream(nats_url) as (_, js):
            first, second = _lease(js, bucket, "a"), _lease(js, bucket, "b")
            got_first = await first.acquire()
            got_second = await second.acquire()
            holder = await second.current_holder()
            return got_first, got_second, holder, second.held, await first.current_holder()

    got_first, got_second, holder, second_held, seen_by_first = run(scenario())

    assert (got_first, got_second, second_held) == (True, False, False)
    assert holder == seen_by_first == "a"


def test_renewing_keeps_the_lease_past_its_ttl(nats_url: str, bucket: str) -> None:
    async def scenario() -> tuple[list[bool], list[bool], str | None]:
        async with jetstream(nats_url) as (_, js):
            holder, rival = _lease(js, bucket, "a"), _lease(js, bucket, "b")
            assert await holder.acquire()
            renewed, rival_tries = [], []
            for _ in range(10):  # 3 s of renewing every 0.3 s: three TTLs
                await asyncio.sleep(TTL_S * 0.3)
                renewed.append(await holder.renew())
                rival_tries.append(await rival.acquire())
            return renewed, rival_tries, await rival.current_holder()

    renewed, rival_tries, holder = run(scenario())

    assert all(renewed)
    assert not any(rival_tries)
    assert holder == "a"


def test_release_hands_the_lease_to_the_next_holder_at_once(nats_url: str, bucket: str) -> None:
    async def scenario() -> tuple[bool, bool, bool, str | None]:
        async with jetstream(nats_url) as (_, js):
            first, second = _lease(js, bucket, "a", ttl_s=60), _lease(js, bucket, "b", ttl_s=60)
            assert await first.acquire()
            before = await second.acquire()
            await first.release()
            after = await second.acquire()
            return before, after, await first.renew(), await first.current_holder()

    before, after, first_renews, holder = run(scenario())

    assert (before, after) == (False, True)
    assert first_renews is False
    assert holder == "b"


def test_a_holder_that_stops_renewing_is_replaced_after_the_ttl(nats_url: str, bucket: str) -> None:
    async def scenario() -> tuple[bool, bool, bool, str | None]:
        async with jetstream(nats_url) as (_, js):
            dead, successor = _lease(js, bucket, "dead"), _lease(js, bucket, "successor")
            assert await dead.acquire()
            refused_while_alive = await successor.acquire()
            took_over = await _acquire_within(successor, WAIT_S)
            dead_renews = await dead.renew()
            return refused_while_alive, took_over, dead_renews, await dead.current_holder()

    refused_while_alive, took_over, dead_renews, holder = run(scenario(), timeout_s=20)

    assert refused_while_alive is False
    assert took_over is True
    assert dead_renews is False  # the old holder learns it lost the lease
    assert holder == "successor"


def test_the_same_holder_acquiring_again_keeps_its_lease(nats_url: str, bucket: str) -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        async with jetstream(nats_url) as (_, js):
            first = _lease(js, bucket, "a", ttl_s=60)
            restarted = _lease(js, bucket, "a", ttl_s=60)
            assert await first.acquire()
            again = await restarted.acquire()
            return again, await restarted.renew(), await first.renew()

    again, restarted_renews, stale_renews = run(scenario())

    assert (again, restarted_renews) == (True, True)
    assert stale_renews is False  # the older handle's revision is superseded


def test_an_existing_bucket_is_reused_with_its_own_ttl(nats_url: str, bucket: str) -> None:
    async def scenario() -> tuple[bool, bool, float, float]:
        async with jetstream(nats_url) as (_, js):
            first = _lease(js, bucket, "a", ttl_s=30)
            other_ttl = _lease(js, bucket, "b", ttl_s=5)
            assert await first.acquire()
            refused = await other_ttl.acquire()
            same_config = _lease(js, bucket, "c", ttl_s=30)
            return refused, await same_config.acquire(), other_ttl.ttl_s, same_config.ttl_s

    refused, third, other_ttl, same_ttl = run(scenario())

    assert (refused, third) == (False, False)
    assert other_ttl == same_ttl == 30


def test_settings_name_the_instance_and_the_lease_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INSTANCE_ID", "RELAY_LEASE_TTL_S"):
        monkeypatch.delenv(f"CARE_CONTRACTS_{name}", raising=False)
    settings = Settings()

    assert settings.relay_lease_ttl_s == 10
    assert settings.instance_id.endswith(f"-{os.getpid()}")
    assert Settings(instance_id="relay-2").instance_id == "relay-2"
