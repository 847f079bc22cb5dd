"""Operating projections on a real stream: duplicates, redelivery, a bad event, rebuild, status.

SQLite and PostgreSQL (event and read store alike), against the session's nats-server.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from nats.aio.msg import Msg
from typer.testing import CliRunner

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.projections.care_finder.projection import ENTRIES, CareFinderProjection
from care_contracts.projections.database import ReadDatabase, ReadStoreError
from care_contracts.projections.events import ProjectedEvent, decode
from care_contracts.projections.rebuild import rebuild_from_store, rebuild_from_stream
from care_contracts.projections.runner import ProjectionRunner, consumer_name
from care_contracts.projections.state import Applied, active_state, states
from care_contracts.projections.timeline.projection import EVENTS as TIMELINE_EVENTS
from care_contracts.projections.timeline.projection import TimelineProjection
from care_contracts.services.cli import app
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from tests.integration.event_lifecycle import run_lifecycle
from tests.integration.lifecycle_steps import Steps
from tests.integration.nats.jetstream_session import jetstream, own_stream, run
from tests.integration.nats.projection_session import (
    project_all,
    publish_all,
    runner_for,
)

pytestmark = pytest.mark.nats


@pytest.fixture
def settings(settings: Settings, nats_url: str) -> Iterator[Settings]:
    """The store's settings (SQLite or PostgreSQL) with a stream of this test's own."""
    with own_stream(
        settings, nats_url, "OPS", projection_consumer_prefix=f"t-{uuid.uuid4().hex[:8]}"
    ) as own:
        yield own


@pytest.fixture
def published(
    bus: CommandBus,
    store: ContractingStore,
    clock: SimulatedClock,
    catalog: PolicyCatalog,
    settings: Settings,
) -> ContractingStore:
    run_lifecycle(Steps(bus, store, clock, catalog))
    asyncio.run(publish_all(store, settings))
    return store


def _project(db: ReadDatabase, settings: Settings, clock: SimulatedClock) -> int:
    async def go() -> int:
        runner = runner_for(CareFinderProjection(), db, settings, clock)
        try:
            return await project_all(runner)
        finally:
            await runner.close()

    return asyncio.run(go())


def _rows(db: ReadDatabase) -> list[tuple[Any, ...]]:
    with db.reading() as cur:
        state = active_state(cur, CareFinderProjection.name)
        assert state is not None
        return cur.execute(f"SELECT * FROM {state.tables[ENTRIES]} ORDER BY contract_id").fetchall()


async def _publish_raw(settings: Settings, subject: str, body: bytes) -> int:
    async with jetstream(settings.nats_url or "") as (_, js):
        ack = await js.publish(subject, body, stream=settings.stream_name)
        return int(ack.seq)


def test_a_message_published_twice_under_another_id_changes_nothing(
    published: ContractingStore, db: ReadDatabase, settings: Settings, clock: SimulatedClock
) -> None:
    _project(db, settings, clock)
    before = _rows(db)
    copied = run(_copy_message(settings, 3))  # an event of the lifecycle, as a new message

    applied = _project(db, settings, clock)

    assert copied > published.recorder.max_notification_id()
    assert applied == 1  # the message is consumed (its position moves on) ...
    assert _rows(db) == before  # ... and changes no entry


async def _copy_message(settings: Settings, sequence: int) -> int:
    async with jetstream(settings.nats_url or "") as (_, js):
        original = await js.get_msg(settings.stream_name, sequence)
        ack = await js.publish(
            original.subject or "", original.data or b"", stream=settings.stream_name
        )
        return int(ack.seq)


class _CrashBeforeAck(ProjectionRunner):
    """Commits the first batch, then 'dies' before acking it."""

    async def run_once(self, max_batch: int | None = None) -> Applied | None:
        subscription = await self._subscribe()
        messages: list[Msg] = await subscription.fetch(max_batch or 500, timeout=1)
        events = [_decoded(m) for m in messages]
        applied = await asyncio.to_thread(self._apply, events)
        await self.close()  # no acks: JetStream redelivers after ack_wait
        return applied


def _decoded(message: Msg) -> ProjectedEvent:
    return decode(message.data, message.metadata.sequence.stream)


def test_redelivered_messages_after_a_crash_before_the_acks_change_nothing(
    published: ContractingStore, db: ReadDatabase, settings: Settings, clock: SimulatedClock
) -> None:
    fast = settings.model_copy(update={"projection_ack_wait_s": 1.0})

    async def crash_then_resume() -> tuple[int, int]:
        crashing = _CrashBeforeAck(CareFinderProjection(), db, fast.nats_url or "", fast)
        first = await crashing.run_once()
        assert first is not None
        await asyncio.sleep(1.5)  # past ack_wait: the unacked batch is due for redelivery
        resumed = runner_for(CareFinderProjection(), db, fast, clock)
        try:
            return first.applied, await project_all(resumed)
        finally:
            await resumed.close()

    first, again = asyncio.run(crash_then_resume())
    live = states(db)[0]

    assert first == published.recorder.max_notification_id()
    assert again == 0
    assert live.applied_events == first
    assert live.last_sequence == first


def test_small_batches_apply_every_event_once_in_stream_order(
    published: ContractingStore, db: ReadDatabase, settings: Settings, clock: SimulatedClock
) -> None:
    small = settings.model_copy(update={"projection_batch_size": 4})

    async def go() -> list[Applied]:
        runner = runner_for(TimelineProjection(), db, small, clock)
        try:
            rounds = []
            while (batch := await runner.run_once()) is not None:
                rounds.append(batch)
            return rounds
        finally:
            await runner.close()

    rounds = asyncio.run(go())
    with db.reading() as cur:
        state = active_state(cur, TimelineProjection.name)
        assert state is not None
        sequences = [
            row[0]
            for row in cur.execute(
                f"SELECT stream_sequence FROM {state.tables[TIMELINE_EVENTS]}"
                " ORDER BY store_position"
            ).fetchall()
        ]
    events = len(published.recorder.select_notifications(start=1, limit=100_000))

    assert events > 12
    assert sequences == list(range(1, events + 1))  # each event once, in stream order
    assert [r.applied for r in rounds[:-1]] == [4] * (len(rounds) - 1)
    assert sum(r.skipped for r in rounds) == 0
    assert state.last_sequence == events


def test_an_undecodable_event_stops_the_projection_where_it_is_and_is_never_skipped(
    published: ContractingStore, db: ReadDatabase, settings: Settings, clock: SimulatedClock
) -> None:
    _project(db, settings, clock)
    good = states(db)[0]
    bad = run(_publish_raw(settings, "contracting.contract.signed._._", b'{"type": "nonsense"}'))

    async def twice() -> list[str | None]:
        statuses = []
        for _ in range(2):  # a restart meets the same event again
            runner = runner_for(CareFinderProjection(), db, settings, clock)
            await runner.run_forever(asyncio.Event())  # returns when it cannot apply
            statuses.append(runner.status)
        return statuses

    statuses = asyncio.run(twice())
    failed = states(db)[0]

    assert statuses == ["failed", "failed"]
    assert failed.status == "failed"
    assert failed.last_sequence == good.last_sequence == bad - 1
    assert failed.error is not None
    assert f"stream sequence {bad}" in failed.error
    assert "nonsense" in failed.error


@pytest.mark.parametrize("source", ["stream", "store"])
def test_a_rebuild_equals_the_live_model_and_replaces_it(
    source: str,
    published: ContractingStore,
    db: ReadDatabase,
    settings: Settings,
    clock: SimulatedClock,
) -> None:
    _project(db, settings, clock)
    live = _rows(db)
    old = states(db)[0]
    done: list[tuple[int, int]] = []

    async def rebuild() -> Any:
        async with jetstream(settings.nats_url or "") as (_, js):
            if source == "stream":
                return await rebuild_from_stream(
                    CareFinderProjection(),
                    db,
                    js,
                    settings.stream_name,
                    progress=lambda d, t: done.append((d, t)),
                    batch_size=5,  # many full read requests, two in flight, and a short last one
                )
            return await rebuild_from_store(
                CareFinderProjection(),
                db,
                published,
                js,
                settings.stream_name,
                progress=lambda d, t: done.append((d, t)),
                page_size=7,
            )

    new = asyncio.run(rebuild())

    assert new.generation == old.generation + 1
    assert new.last_sequence == old.last_sequence
    assert _rows(db) == live
    assert [s.generation for s in states(db)] == [new.generation]  # the old one is gone
    assert done[-1][0] == done[-1][1] >= published.recorder.max_notification_id()
    with pytest.raises(ReadStoreError), db.reading() as cur:
        cur.execute(f"SELECT 1 FROM {old.tables[ENTRIES]}")  # dropped with the swap


def test_status_and_rebuild_from_the_command_line(
    published: ContractingStore, db: ReadDatabase, settings: Settings, clock: SimulatedClock
) -> None:
    _project(db, settings, clock)
    options = _options(settings)

    status = CliRunner().invoke(app, ["projections", "status", "--json", *options])
    rebuilt = CliRunner().invoke(app, ["projections", "rebuild", "care_finder", *options])
    unknown = CliRunner().invoke(app, ["projections", "rebuild", "nope", *options])

    assert status.exit_code == 0, status.output
    (care_finder,) = [s for s in json.loads(status.stdout) if s["name"] == "care_finder"]
    assert care_finder["status"] == "live"
    assert care_finder["lag_events"] == 0
    assert care_finder["last_sequence"] == published.recorder.max_notification_id()
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "generation 2 is live" in rebuilt.stdout
    assert unknown.exit_code == 2
    assert "no projection 'nope'" in unknown.output


def _options(settings: Settings) -> list[str]:
    options = [
        "--nats-url",
        settings.nats_url or "",
        "--stream",
        settings.stream_name,
        "--data-dir",
        str(settings.data_dir),
    ]
    if settings.postgres_dsn is not None:
        options += [
            "--postgres-dsn",
            settings.postgres_dsn.get_secret_value(),
            "--postgres-schema",
            settings.postgres_schema,
        ]
    return options


def test_two_instances_on_one_read_store_apply_every_event_once_in_order(
    published: ContractingStore, db: ReadDatabase, settings: Settings, clock: SimulatedClock
) -> None:
    instances = [
        settings.model_copy(update={"instance_id": name, "projection_batch_size": 3})
        for name in ("host-1/pid 7", "host-2/pid 7")
    ]

    async def both() -> None:
        runners = [runner_for(CareFinderProjection(), db, s, clock) for s in instances]
        try:
            await asyncio.gather(*(project_all(r) for r in runners))
        finally:
            for runner in runners:
                await runner.close()

    asyncio.run(both())
    shared, live = _rows(db), states(db)[0]

    async def rebuild() -> None:
        async with jetstream(settings.nats_url or "") as (_, js):
            await rebuild_from_stream(CareFinderProjection(), db, js, settings.stream_name)

    asyncio.run(rebuild())

    assert {consumer_name(s, CareFinderProjection()) for s in instances} == {
        f"{settings.projection_consumer_prefix}-care-finder-host-1-pid-7",
        f"{settings.projection_consumer_prefix}-care-finder-host-2-pid-7",
    }
    assert live.applied_events == published.recorder.max_notification_id()
    assert live.last_sequence == published.recorder.max_notification_id()
    assert shared == _rows(db)  # the same as one reader building it alone
