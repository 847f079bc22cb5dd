"""The README's example consumer, run as written against the session's real nats-server.

The ``python`` block of the README chapter "For downstream teams" is written to a file and run
with this interpreter, after the relay has published two signed contracts among a full lifecycle.
It must print exactly the signed-contract events, keep its place as a durable consumer, skip an
event id it has already processed, and leave an event type it does not know unacked.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from nats.js.api import ConsumerInfo

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.contracts import SignContract
from care_contracts.services.events.envelope import event_id
from care_contracts.services.nats.streams import ensure_stream
from care_contracts.services.relay.relay import Relay
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from tests.integration.event_lifecycle import run_lifecycle
from tests.integration.lifecycle_steps import (
    MSZ_MAATWERK,
    MSZ_ZBC_METRICS,
    Steps,
    approved_application,
    offered_contract,
    provider_actor,
)
from tests.integration.nats.jetstream_session import jetstream, run
from tests.integration.nats.relay_stream import stream_messages

pytestmark = pytest.mark.nats

README = Path(__file__).resolve().parents[3] / "README.md"
CHAPTER = "## For downstream teams: consuming the events"
SIGNED_TOPIC = "contracting.contract.signed"
DURABLE = "readme-signed"
RUN_TIMEOUT_S = 60
MSZ_AGB = "06333333"


@dataclass(frozen=True)
class Run:
    returncode: int
    lines: list[list[str]]  # each printed line, split on whitespace
    stderr: str


def readme_consumer() -> str:
    """The first ``python`` block of the downstream chapter, as the README shows it."""
    text = README.read_text(encoding="utf-8")
    assert CHAPTER in text, f"README.md has no chapter {CHAPTER!r}"
    chapter = text.split(CHAPTER, 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```python\n(.*?)^```$", chapter, re.DOTALL | re.MULTILINE)
    assert block is not None, "the downstream chapter has no python block"
    return block.group(1)


@pytest.fixture
def consumer(tmp_path: Path) -> Path:
    path = tmp_path / "signed_contracts.py"
    path.write_text(readme_consumer(), encoding="utf-8")
    return path


@pytest.fixture
def settings(stream_settings: Settings) -> Settings:
    """The store (SQLite) and a stream of this test's own; the store is not what is tested."""
    run(_ensure(stream_settings))
    return stream_settings


async def _ensure(settings: Settings) -> None:
    async with jetstream(settings.nats_url or "") as (_, js):
        await ensure_stream(js, settings)


@pytest.fixture
def published(
    bus: CommandBus,
    store: ContractingStore,
    clock: SimulatedClock,
    catalog: PolicyCatalog,
    settings: Settings,
) -> list[str]:
    """An MSZ contract signed and a full lifecycle (one GZSP contract signed), all published.

    Returns the ids of the signed-contract events, in log order.
    """
    steps = Steps(bus, store, clock, catalog)
    application = approved_application(
        steps, agb=MSZ_AGB, care_type="msz", contract_type=MSZ_MAATWERK, metrics=MSZ_ZBC_METRICS
    )
    contract = offered_contract(steps, application)
    steps.run(SignContract(contract_id=contract, vecozo_ref="VZ-MSZ"), provider_actor(MSZ_AGB))
    run_lifecycle(steps)
    run(_publish_everything(Relay(store, settings.nats_url or "", settings)))
    notifications = store.recorder.select_notifications(start=1, limit=10_000)
    assert len(notifications) > 30
    return [
        event_id(UUID(str(n.originator_id)), n.originator_version)
        for n in notifications
        if n.topic == SIGNED_TOPIC
    ]


async def _publish_everything(relay: Relay) -> None:
    try:
        while await relay.run_once(100) == 100:
            pass
    finally:
        await relay.close()


def run_consumer(
    consumer: Path, settings: Settings, db: Path, *options: str, durable: str = DURABLE
) -> Run:
    command = [
        sys.executable,
        str(consumer),
        settings.nats_url or "",
        "--stream",
        settings.stream_name,
        "--durable",
        durable,
        "--db",
        str(db),
        "--exit-when-idle",
        *options,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
    )
    return Run(done.returncode, [line.split() for line in done.stdout.splitlines()], done.stderr)


def printed(result: Run, word: str) -> list[str]:
    """The event ids of the lines starting with ``word`` (``processed`` or ``skipped``)."""
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert all(len(line) == 2 and line[0] in ("processed", "skipped") for line in result.lines)
    return [line[1] for line in result.lines if line[0] == word]


def signed_rows(db: Path) -> list[tuple[str, str]]:
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("SELECT contract_id, signed_on FROM signed").fetchall()
    finally:
        connection.close()
    return [(str(contract), str(day)) for contract, day in rows]


def consumer_info(settings: Settings, durable: str = DURABLE) -> ConsumerInfo:
    async def info() -> ConsumerInfo:
        async with jetstream(settings.nats_url or "") as (_, js):
            return await js.consumer_info(settings.stream_name, durable)

    return run(info())


def publish_again(settings: Settings, identifier: str) -> int:
    """The event ``identifier`` stored a second time, as a relay re-publish outside the duplicate
    window (or a repair) stores it: same body and subject at a new sequence; the new sequence."""

    async def publish() -> int:
        messages = await stream_messages(settings.nats_url or "", settings.stream_name)
        original = next(m for m in messages if m.msg_id == identifier)
        async with jetstream(settings.nats_url or "") as (_, js):
            ack = await js.publish(
                original.subject, json.dumps(original.body).encode(), stream=settings.stream_name
            )
        return ack.seq

    return run(publish())


def test_the_readme_consumer_records_each_signed_contract_once_and_keeps_its_place(
    consumer: Path, published: list[str], settings: Settings, tmp_path: Path
) -> None:
    db = tmp_path / "signed.sqlite"
    assert len(published) == 2

    first = run_consumer(consumer, settings, db)
    again = run_consumer(consumer, settings, db)
    duplicate_seq = publish_again(settings, published[0])
    after_duplicate = run_consumer(consumer, settings, db)
    info = consumer_info(settings)

    assert printed(first, "processed") == published
    assert printed(first, "skipped") == []
    assert len(signed_rows(db)) == 2
    assert again.lines == []  # durable: everything acked, nothing new
    assert printed(after_duplicate, "processed") == []
    assert printed(after_duplicate, "skipped") == [published[0]]
    assert len(signed_rows(db)) == 2  # the work was not done twice
    assert info.config.filter_subject == "contracting.contract.signed.>"
    assert info.delivered.stream_seq == info.ack_floor.stream_seq == duplicate_seq
    assert info.num_ack_pending == info.num_pending == info.num_redelivered == 0


def test_a_new_durable_replays_from_a_sequence_and_skips_what_is_already_done(
    consumer: Path, published: list[str], settings: Settings, tmp_path: Path
) -> None:
    messages = run(stream_messages(settings.nats_url or "", settings.stream_name))
    second_seq = next(m.sequence for m in messages if m.msg_id == published[1])
    done, fresh = tmp_path / "done.sqlite", tmp_path / "fresh.sqlite"

    first = run_consumer(consumer, settings, done)
    replayed = run_consumer(consumer, settings, done, durable="replay")
    from_second = run_consumer(
        consumer, settings, fresh, "--from-seq", str(second_seq), durable="late"
    )

    assert printed(first, "processed") == published
    assert printed(replayed, "skipped") == published  # a new durable starts at the first event
    assert printed(replayed, "processed") == []
    assert printed(from_second, "processed") == [published[1]]
    assert [row[0] for row in signed_rows(fresh)] == [
        m.body["subject"] for m in messages if m.sequence == second_seq
    ]


def test_an_unknown_event_version_stops_the_consumer_and_stays_unacked(
    consumer: Path, settings: Settings, tmp_path: Path
) -> None:
    db = tmp_path / "signed.sqlite"
    newer = {
        "specversion": "1.0",
        "id": "6f1d1a52-3c1e-5f55-9d0a-000000000001",
        "type": "nl.care-contracts.contract.signed.v2",
        "subject": "3f0c1a52-3c1e-5f55-9d0a-000000000002",
        "data": {"signed_on": "2027-01-04"},
    }

    async def publish() -> None:
        async with jetstream(settings.nats_url or "") as (_, js):
            await js.publish(
                "contracting.contract.signed.zorg-en-zekerheid.gzsp",
                json.dumps(newer).encode(),
                stream=settings.stream_name,
                headers={"Nats-Msg-Id": newer["id"]},
            )

    run(publish())
    result = run_consumer(consumer, settings, db)
    info = consumer_info(settings)

    assert result.returncode != 0
    assert "nl.care-contracts.contract.signed.v2" in result.stderr
    assert result.lines == []
    assert signed_rows(db) == []
    assert info.num_ack_pending == 1  # delivered, not acked: it comes again after an upgrade
    assert info.ack_floor.stream_seq == 0
