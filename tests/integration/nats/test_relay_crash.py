"""A relay process killed with SIGKILL mid-batch: the next relay re-publishes the unacked tail,
JetStream drops what it already holds, and every event is on the stream exactly once.

The relay runs as ``python -m care_contracts.services.relay`` against the session's nats-server;
it is killed once a watcher has seen its twelfth message (batches of five, so acks are in flight).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.msg import Msg

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.relay.position import RelayPosition
from care_contracts.services.relay.relay import Relay
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from tests.integration.event_lifecycle import run_lifecycle
from tests.integration.lifecycle_steps import Steps
from tests.integration.nats.jetstream_session import delete_stream, run
from tests.integration.nats.relay_stream import (
    assert_stream_holds_the_store_exactly_once,
    stream_messages,
)

pytestmark = pytest.mark.nats


@pytest.fixture
def settings(settings: Settings, nats_url: str) -> Iterator[Settings]:
    own = settings.model_copy(
        update={
            "nats_url": nats_url,
            "stream_name": f"RELAY_{uuid.uuid4().hex[:8].upper()}",
            "relay_batch_size": 5,
        }
    )
    yield own
    delete_stream(nats_url, own.stream_name)


def _environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARE_CONTRACTS_")}
    env |= {
        "CARE_CONTRACTS_DATA_DIR": str(settings.data_dir),
        "CARE_CONTRACTS_NATS_URL": settings.nats_url or "",
        "CARE_CONTRACTS_STREAM_NAME": settings.stream_name,
        "CARE_CONTRACTS_RELAY_BATCH_SIZE": str(settings.relay_batch_size),
        "CARE_CONTRACTS_SNAPSHOT_INTERVAL": "0",
    }
    if settings.postgres_dsn is not None:
        env["CARE_CONTRACTS_POSTGRES_DSN"] = settings.postgres_dsn.get_secret_value()
        env["CARE_CONTRACTS_POSTGRES_SCHEMA"] = settings.postgres_schema
    return env


async def _quiet(error: Exception) -> None:
    pass


def test_a_relay_killed_mid_batch_leaves_no_gap_and_no_duplicate_after_the_next_one(
    settings: Settings,
    bus: CommandBus,
    store: ContractingStore,
    clock: SimulatedClock,
    catalog: PolicyCatalog,
    tmp_path: Path,
) -> None:
    run_lifecycle(Steps(bus, store, clock, catalog))
    stored = store.recorder.max_notification_id()
    url = settings.nats_url or ""

    async def kill_after_twelve() -> int:
        twelfth = asyncio.Event()
        seen = 0

        async def on_message(msg: Msg) -> None:
            nonlocal seen
            seen += 1
            if seen == 12:
                twelfth.set()

        watcher = await nats.connect(url, allow_reconnect=False, error_cb=_quiet)
        try:
            await watcher.subscribe("contracting.>", cb=on_message)
            await watcher.flush()
            process = subprocess.Popen(
                [sys.executable, "-m", "care_contracts.services.relay"],
                cwd=tmp_path,
                env=_environment(settings),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                await asyncio.wait_for(twelfth.wait(), 30)
            finally:
                process.send_signal(signal.SIGKILL)
                return_code = await asyncio.to_thread(process.wait, 10)
            assert return_code == -signal.SIGKILL
            return seen
        finally:
            await watcher.close()

    seen_before_kill = run(kill_after_twelve(), timeout_s=60)
    saved = RelayPosition(store, settings.stream_name).load()

    async def next_relay() -> int:
        relay = Relay(store, url, settings)
        try:
            while await relay.run_once(settings.relay_batch_size) == settings.relay_batch_size:
                pass
            return relay.position()
        finally:
            await relay.close()

    final = run(next_relay())
    messages = run(stream_messages(url, settings.stream_name))

    assert seen_before_kill >= 12
    assert saved < stored  # it died with events left
    assert final == stored
    assert len(messages) == stored
    assert_stream_holds_the_store_exactly_once(messages, store)
