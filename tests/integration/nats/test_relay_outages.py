"""NATS going away: commands carry on, the relay backs off, logs once, and catches up.

Each test has its own nats-server (stopped and restarted on the same ports and store, so the
relay keeps its URL) and runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import nats
import nats.errors
import pytest
from nats.aio.msg import Msg
from structlog.testing import capture_logs

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.nats.embedded import EmbeddedNatsServer
from care_contracts.services.nats.streams import ensure_stream
from care_contracts.services.relay.publisher import PublishFailed
from care_contracts.services.relay.relay import Relay, RelayLag
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from tests.integration.event_lifecycle import run_lifecycle
from tests.integration.lifecycle_steps import Steps
from tests.integration.nats.jetstream_session import jetstream, run
from tests.integration.nats.relay_stream import (
    assert_stream_holds_the_store_exactly_once,
    stream_messages,
)

pytestmark = pytest.mark.nats


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedNatsServer]:
    with EmbeddedNatsServer(tmp_path / "nats", start_timeout_s=10) as own:
        yield own


@pytest.fixture
def settings(settings: Settings, server: EmbeddedNatsServer) -> Settings:
    own = settings.model_copy(
        update={
            "nats_url": server.url,
            "stream_name": f"RELAY_{uuid.uuid4().hex[:8].upper()}",
            "relay_batch_size": 5,
            "relay_poll_interval_s": 0.02,
            "relay_backoff_max_s": 0.1,
            "relay_ack_timeout_s": 1.0,
        }
    )

    async def ensure() -> None:
        async with jetstream(server.url) as (_, js):
            await ensure_stream(js, own)

    run(ensure())
    return own


async def _until(condition: Callable[[], bool], timeout_s: float = 20) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)


def _caught_up(relay: Relay) -> Callable[[], bool]:
    return lambda: relay.state == "caught_up" and relay.lag() == RelayLag(0, 0.0)


async def _quiet(error: Exception) -> None:
    pass


def test_nats_stopped_while_publishing_and_restarted_loses_nothing_and_duplicates_nothing(
    server: EmbeddedNatsServer,
    settings: Settings,
    bus: CommandBus,
    store: ContractingStore,
    clock: SimulatedClock,
    catalog: PolicyCatalog,
) -> None:
    run_lifecycle(Steps(bus, store, clock, catalog))
    stored = store.recorder.max_notification_id()
    url = server.url

    async def scenario() -> tuple[int, int]:
        relay = Relay(store, url, settings)
        twelfth = asyncio.Event()
        seen = 0

        async def on_message(msg: Msg) -> None:
            nonlocal seen
            seen += 1
            if seen == 12:
                twelfth.set()

        watcher = await nats.connect(url, allow_reconnect=False, error_cb=_quiet)
        await watcher.subscribe("contracting.>", cb=on_message)
        await watcher.flush()
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run_forever(stop))
        await asyncio.wait_for(twelfth.wait(), 10)
        await asyncio.to_thread(server.stop)  # while batches are in flight
        at_stop = relay.position()
        await _until(lambda: relay.state == "unavailable")
        with contextlib.suppress(nats.errors.Error):
            await watcher.close()
        await asyncio.to_thread(server.restart)
        await _until(_caught_up(relay))
        stop.set()
        await task
        return at_stop, relay.position()

    at_stop, final = run(scenario(), timeout_s=60)
    messages = run(stream_messages(url, settings.stream_name))

    assert at_stop < stored, "the server stopped after the relay had finished: no outage seen"
    assert final == stored
    assert len(messages) == stored
    assert_stream_holds_the_store_exactly_once(messages, store)


def test_commands_succeed_while_nats_is_down_and_the_relay_catches_up_when_it_returns(
    server: EmbeddedNatsServer,
    settings: Settings,
    bus: CommandBus,
    store: ContractingStore,
    clock: SimulatedClock,
    catalog: PolicyCatalog,
) -> None:
    url = server.url
    server.stop()

    run_lifecycle(Steps(bus, store, clock, catalog))  # every command, no NATS anywhere
    stored = store.recorder.max_notification_id()
    relay = Relay(store, url, settings)

    with pytest.raises((nats.errors.Error, OSError, PublishFailed)):
        run(relay.run_once())
    assert relay.lag().events == stored

    async def outage_then_return() -> RelayLag:
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run_forever(stop))
        await _until(lambda: relay.state == "unavailable")
        await asyncio.sleep(0.5)  # several capped backoff rounds while down
        lag_while_down = relay.lag()
        await asyncio.to_thread(server.restart)
        await _until(_caught_up(relay))
        stop.set()
        await task
        return lag_while_down

    with capture_logs() as logs:
        lag_while_down = run(outage_then_return(), timeout_s=60)
    messages = run(stream_messages(url, settings.stream_name))

    assert lag_while_down.events == stored
    assert lag_while_down.seconds > 0
    assert [entry["event"] for entry in logs] == [
        "relay.unavailable",
        "relay.lease_acquired",  # run_forever publishes only while holding the relay lease
        "relay.connected",
        "relay.caught_up",
        "relay.lease_released",  # the clean stop gives it up
    ]
    assert logs[0]["retry_in_s"] == settings.relay_poll_interval_s
    assert logs[-2]["position"] == stored
    assert_stream_holds_the_store_exactly_once(messages, store)
    assert len(messages) == stored
