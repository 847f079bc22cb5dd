"""Projections: apply rate, command-to-care-finder latency and rebuild time, each next to a floor.

    python bench/projections.py [--events 100000] [--rebuild-events 1000000] [--rounds 2]
                                [--batch 500] [--template-cycles 250] [--rate 20] [--seconds 30]
                                [--relay-poll S [S ...]] [--projection-poll 0.5]
                                [--postgres-dsn DSN] [--skip-apply] [--skip-latency]
                                [--skip-rebuild] [--profile PREFIX]

Streams. ``--template-cycles`` whole provider cycles of ``store_throughput.py`` (submit ... sign
on the zz-2027-msz pack, 40 events each, every command through the real ``CommandBus`` with group
commit, 4 threads, so the log interleaves aggregates) go into a temporary SQLite store, and
``publisher.outgoing`` turns its log into the exact CloudEvents the relay publishes. A stream of N
events is copies of that log, one after another, cut at N: in copy k every UUID in an event
(``subject``, ids in ``data`` such as ``application_id``, ``correlationid``) gets k as its last
group, ``id`` is the ``envelope.event_id`` (uuid5) of the new subject and version, ``position``
the event's place in the stream, and each cycle's provider name and AGB code are its own, so every
copy adds distinct care finder entries and every aggregate's events keep their order. They are
published with plain nats-py ``publish_async`` pipelining (4,000 in flight) and the relay's
headers (``Nats-Msg-Id``, ``Nats-Expected-Stream``, ``Nats-Expected-Last-Sequence``) to an
embedded nats-server started for filling only, with the server's default sync policy (fsync every
2 min: fast). That server is then stopped and started again on the same store with the product's
configuration (``sync_interval: always``), which every measurement below runs against.

Apply rate (``--events``, default 100,000). For each projection in ``all_projections()``,
``--rounds`` times in turn: the floor, a durable pull consumer configured as the runner's
(explicit acks, same batch size, ``max_ack_pending``, filter) that fetches and acks every message
and does nothing else; then the projection, a ``ProjectionRunner.run_once`` loop on a fresh read
store (a temporary SQLite file; with ``--postgres-dsn`` also a fresh PostgreSQL schema, dropped
after) from the stream's first message to its last. Each timing starts after the NATS connection
is open and includes creating the consumer (and the projection's tables). A run counts only if
the floor's ack floor, or the projection's stored position and applied-event count, equal the
stream's last sequence afterwards (and for the care finder, if it holds one entry per contract in
the stream and ``search`` finds the last one signed by its AGB code). Printed: every run, the
median of each, projection / floor (target >= 0.5).

Latency. The real service path in one process: ``bootstrap.build`` (store, clock fixed at 10 Mar
2027, bus with group commit), ``Relay.run_forever`` and the care finder's
``ProjectionRunner.run_forever`` as asyncio tasks, the bus in a thread. A bus thread runs about
16 whole cycles/s here, so ``--rate`` whole cycles/s cannot be driven: the cycles up to the offer
are run beforehand (relay and runner caught up before timing starts), then ``SignContract`` is
sent at a steady ``--rate`` per second for ``--seconds``. Each signature makes its contract
visible (publication date 12 Nov 2026 passed); its latency runs from the command's return until
``search`` (``on`` = 10 Mar 2027, its AGB code) finds it, searched by a checker thread as soon as
the runner's batch holding the event has committed (a wrapper around this runner instance's
``_apply``; a wrapper around this relay's ``_read`` times the stages). One run per
``--relay-poll`` value (default: the product's setting), each after a floor: a message published
with ``js.publish`` (ack awaited) at the same rate to a scratch stream, received by a durable
consumer's long-polling fetch.
Printed: p50/p99/max (target p99 <= 100 ms) and the stages: waiting for the relay's poll, relay
read to runner receipt (read, CloudEvent, publish with fsync, delivery, decode), apply + commit,
commit to found.

Rebuild (``--rebuild-events``, default 1,000,000). ``rebuild_from_stream`` of the care finder
into a fresh SQLite read store, against the floor: an ephemeral ack-less pull consumer as the
rebuild's own (fetch 1,000) reading the same messages doing nothing, measured before and after.
The rebuild ends when a fetch stays empty for 1 s (``rebuild._IDLE_S``) and the generation is
swapped in; the time of its last apply is printed too. Target: <= 120 s for 1M events.

``--profile PREFIX`` adds, after the figures, one cProfile run of each projection's apply (event
loop and the runner's worker-thread calls) and one of the rebuild, writes PREFIX-<name>.prof and
prints the costliest functions. Figures are for comparing runs on one machine, not targets for
tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import logging
import math
import os
import pstats
import queue
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

import psycopg
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, PubAck, StorageType, StreamConfig
from store_throughput import AT, PACK, Assessment, assessment, cycle_commands, run_cycle

import care_contracts.projections.rebuild as rebuild_module
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.projections.base import Projection
from care_contracts.projections.care_finder.projection import ENTRIES, CareFinderProjection
from care_contracts.projections.care_finder.query import CareFinderQuery, search
from care_contracts.projections.database import (
    PostgresReadDatabase,
    ReadDatabase,
    SqliteReadDatabase,
)
from care_contracts.projections.events import ProjectedEvent
from care_contracts.projections.rebuild import rebuild_from_stream
from care_contracts.projections.registry import all_projections
from care_contracts.projections.runner import SUBJECTS, ProjectionRunner
from care_contracts.projections.state import (
    Applied,
    ProjectionState,
    active_state,
    apply_batch,
    states,
)
from care_contracts.services.bootstrap import Services, build
from care_contracts.services.clock import FixedClock
from care_contracts.services.commands.base import Command, CommandContext
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.contracts import SignContract
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.events.envelope import event_id
from care_contracts.services.nats.connect import connect_once
from care_contracts.services.nats.embedded import EmbeddedNatsServer
from care_contracts.services.nats.streams import ensure_stream
from care_contracts.services.policy.loader import load_catalog
from care_contracts.services.relay.publisher import Outgoing, outgoing
from care_contracts.services.relay.relay import ConnectFactory, Relay
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.group_commit import GroupCommitter
from care_contracts.services.store.metadata import Actor

T = TypeVar("T")
DAY = AT.date()  # the care finder is asked for the day the bench's commands are decided
AGB_BASE = 30_000_000  # store_throughput's cycle n is AGB code 30_000_000 + n, "Kliniek n"
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FILL_WINDOW = 4000
REBUILD_FETCH = 1000  # rebuild._FETCH
REBUILD_IDLE_S = 1.0  # rebuild._IDLE_S
SIGNED = "nl.care-contracts.contract.signed.v1"
CONTRACT_PREFIX = "nl.care-contracts.contract."


# --- small helpers -----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def preconnected(nc: Client, url: str) -> ConnectFactory:
    """A runner's connection, opened before the timing starts (later ones as the runner does)."""
    ready = [nc]

    async def connect() -> Client:
        return ready.pop() if ready else await connect_once(url)

    return connect


async def wait_until(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.05)


# --- the template: real cycles, as the relay publishes them -----------------------------------


@dataclass(frozen=True)
class Template:
    """The template store's log as published: (NATS subject, CloudEvent), in log order."""

    events: tuple[tuple[str, dict[str, Any]], ...]
    cycles: int
    seconds: float


def record_template(settings: Settings, catalog: PolicyCatalog, cycles: int) -> Template:
    store = ContractingStore(settings)
    bus = CommandBus(
        store, FixedClock(AT), catalog, all_handlers(), committer=GroupCommitter(store)
    )
    plan = assessment(catalog.get(PACK))
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            for _ in pool.map(lambda n: run_cycle(bus, n, plan), range(cycles)):
                pass
        total = store.recorder.max_notification_id() or 0
        messages = outgoing(store, store.recorder.select_notifications(start=1, limit=total))
    finally:
        store.close()
    events = tuple((m.subject, json.loads(m.payload)) for m in messages)
    return Template(events, cycles, time.perf_counter() - started)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _rewrite(value: Any, mapping: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, list):
        return [_rewrite(item, mapping) for item in value]
    if isinstance(value, dict):
        return {key: _rewrite(item, mapping) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Shape:
    """One template event as its JSON text, cut where a copy differs: ``slots[i]`` (a mapping
    key, ``ID`` or ``POSITION``) goes between ``pieces[i]`` and ``pieces[i + 1]``."""

    subject: str
    type: str
    aggregate_id: str
    version: int
    agb: str | None
    pieces: tuple[str, ...]
    slots: tuple[str, ...]


@dataclass(frozen=True)
class Replica:
    """One event of one copy, ready to publish."""

    subject: str
    payload: bytes
    id: str
    position: int
    type: str
    aggregate_id: str
    agb: str | None


ID, POSITION = "\0id", "\0position"  # slots that are no mapping key
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_POSITION = re.compile(r'"position":(\d+)')


class Replicas:
    """Copies of the template log, each with its own ids, provider names and AGB codes.

    Copy k gives every UUID of the template (but event ids) k as its last group, "Kliniek n"
    and AGB code 30_000_000 + n to those of cycle k * cycles + n, and recomputes ``id`` and
    ``position``. Events are built by filling precompiled JSON text (``Shape``); the first copy
    is checked against a plain rewrite of the parsed events.
    """

    def __init__(self, template: Template) -> None:
        self.template = template
        uuids = {
            text
            for _, event in template.events
            for key, value in event.items()
            if key != "id"
            for text in _strings(value)
            if UUID_TEXT.fullmatch(text)
        }
        self._uuids = sorted(uuids)
        if len({u[:24] for u in self._uuids}) != len(self._uuids):
            raise SystemExit("two template UUIDs share their first four groups")
        keys = set(self._mapping(0))
        self._shapes = [_shape(subject, event, keys) for subject, event in template.events]
        self._check()

    def _mapping(self, copy: int) -> dict[str, str]:
        suffix = f"{copy:012x}"  # in place of the last group: cheap, and one-to-one (checked)
        mapping = {u: u[:24] + suffix for u in self._uuids}
        for n in range(self.template.cycles):
            m = copy * self.template.cycles + n
            mapping[f"Kliniek {n}"] = f"Kliniek {m}"
            mapping[f"{AGB_BASE + n:08d}"] = f"{AGB_BASE + m:08d}"
        return mapping

    def events(self, count: int) -> Iterator[Replica]:
        """The first ``count`` events of the copies, one copy after another."""
        size = len(self._shapes)
        for copy in range(math.ceil(count / size)):
            values = self._mapping(copy)
            for index, shape in enumerate(self._shapes):
                position = copy * size + index + 1
                if position > count:
                    return
                aggregate_id = values[shape.aggregate_id]
                values[ID] = event_id(uuid.UUID(aggregate_id), shape.version)
                values[POSITION] = str(position)
                parts = [shape.pieces[0]]
                for slot, piece in zip(shape.slots, shape.pieces[1:], strict=True):
                    parts += (values[slot], piece)
                yield Replica(
                    shape.subject,
                    "".join(parts).encode(),
                    values[ID],
                    position,
                    shape.type,
                    aggregate_id,
                    None if shape.agb is None else values[shape.agb],
                )

    def _check(self) -> None:
        """Copy 1 built from the shapes equals copy 1 rewritten from the parsed events."""
        size = len(self._shapes)
        mapping = self._mapping(1)
        built = self.events(2 * size)
        for _ in range(size):
            next(built)
        for index, (replica, (_, original)) in enumerate(
            zip(built, self.template.events, strict=True)
        ):
            expected = _rewrite(original, mapping)
            expected["id"] = event_id(uuid.UUID(expected["subject"]), original["aggregateversion"])
            expected["position"] = size + index + 1
            if json.loads(replica.payload) != expected:
                raise SystemExit(f"replica of template event {index} is wrong: {replica}")


def _shape(subject: str, event: dict[str, Any], keys: set[str]) -> Shape:
    text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    cuts = [
        (m.start(1), m.end(1), ID if m.group(1) == event["id"] else m.group(1))
        for m in _QUOTED.finditer(text)
        if m.group(1) == event["id"] or m.group(1) in keys
    ]
    position = _POSITION.search(text)
    if position is None or int(position.group(1)) != event["position"]:
        raise SystemExit(f"no position {event['position']} in {text}")
    cuts = sorted([*cuts, (position.start(1), position.end(1), POSITION)])
    pieces, slots, at = [], [], 0
    for start, end, slot in cuts:
        pieces.append(text[at:start])
        slots.append(slot)
        at = end
    pieces.append(text[at:])
    agb = event["data"].get("agb_enterprise") if event["type"].startswith(CONTRACT_PREFIX) else None
    return Shape(
        subject,
        event["type"],
        event["subject"],
        int(event["aggregateversion"]),
        agb,
        tuple(pieces),
        tuple(slots),
    )


@dataclass
class Filled:
    """What a stream holds: its events, its contracts, and the last contract signed in it."""

    events: int
    contracts: int
    last_signed: str
    last_signed_agb: str
    seconds: float


# --- servers and streams -----------------------------------------------------------------------


def fast_fill_config(store_dir: Path) -> str:
    """A ``jetstream`` block without ``sync_interval`` (the later block replaces the product's):
    the server's default, fsync every two minutes. For filling only."""
    return f"jetstream {{\n  store_dir: {json.dumps(str(store_dir))}\n}}"


def effective_sync(server: EmbeddedNatsServer) -> str:
    with urllib.request.urlopen(f"{server.monitor_url}/varz", timeout=5) as response:
        config = json.load(response)["jetstream"]["config"]
    if config.get("sync_always"):
        return "always (fsync before every ack, the product's setting)"
    return f"every {config.get('sync_interval', 0) / 1e9:.0f} s (the server's default)"


async def fill_stream(url: str, settings: Settings, replicas: Replicas, count: int) -> Filled:
    """A new stream (``ensure_stream``) holding the first ``count`` replica events."""
    nc = await connect_once(url)
    js = nc.jetstream(timeout=30, publish_async_max_pending=FILL_WINDOW)
    await ensure_stream(js, settings)
    contracts: dict[str, str] = {}
    last_signed = ""
    started = time.perf_counter()
    pending: list[asyncio.Future[PubAck]] = []
    try:
        for replica in replicas.events(count):
            if replica.type.startswith(CONTRACT_PREFIX):
                known = contracts.get(replica.aggregate_id, "")
                contracts[replica.aggregate_id] = replica.agb or known
                if replica.type == SIGNED:
                    last_signed = replica.aggregate_id
            headers = {  # the relay's (publish_batch): the stream keeps them with the message
                "Nats-Msg-Id": replica.id,
                "Nats-Expected-Stream": settings.stream_name,
                "Nats-Expected-Last-Sequence": str(replica.position - 1),
            }
            pending.append(
                await js.publish_async(replica.subject, replica.payload, headers=headers)
            )
            if len(pending) >= 10 * FILL_WINDOW:
                await _acked(pending)
                pending = []
        await _acked(pending)
        seconds = time.perf_counter() - started
        info = await js.stream_info(settings.stream_name)
        if info.state.messages != count or info.state.last_seq != count:
            raise SystemExit(f"{settings.stream_name} holds {info.state.messages}, not {count}")
    finally:
        await nc.close()
    return Filled(count, len(contracts), last_signed, contracts.get(last_signed, ""), seconds)


async def _acked(pending: Sequence[asyncio.Future[PubAck]]) -> None:
    for ack in await asyncio.gather(*pending):
        if not isinstance(ack, PubAck) or ack.duplicate:
            raise SystemExit(f"fill: unexpected ack {ack!r}")


@contextlib.contextmanager
def nats_server(store_dir: Path, *, fast: bool) -> Iterator[EmbeddedNatsServer]:
    config = fast_fill_config(store_dir) if fast else ""
    server = EmbeddedNatsServer(store_dir, start_timeout_s=180, extra_config=config)
    with server:
        yield server


def filled_stream(store_dir: Path, settings: Settings, replicas: Replicas, count: int) -> Filled:
    """Fill ``count`` events on a fast-sync server, then stop it."""
    with nats_server(store_dir, fast=True) as server:
        sync = effective_sync(server)
        filled = asyncio.run(fill_stream(server.url, settings, replicas, count))
    rate = count / filled.seconds
    print(
        f"  filled {settings.stream_name}: {count} events, {filled.contracts} contracts,"
        f" {filled.seconds:.1f} s ({rate:.0f} events/s; server sync {sync})",
        flush=True,
    )
    return filled


async def delete_stream(url: str, name: str) -> None:
    nc = await connect_once(url)
    try:
        await nc.jetstream(timeout=30).delete_stream(name)
    finally:
        await nc.close()


# --- read stores -------------------------------------------------------------------------------


@contextlib.contextmanager
def read_store(backend: str, tmp: Path, dsn: str | None) -> Iterator[ReadDatabase]:
    """A fresh read store: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        # As open_read_database opens the product's read models: commits not synced one by one.
        sqlite = SqliteReadDatabase(
            tmp / f"read-{uuid.uuid4().hex[:8]}.sqlite", durable_commits=False
        )
        try:
            yield sqlite
        finally:
            sqlite.close()
        return
    assert dsn is not None
    schema = f"cc_bench_{uuid.uuid4().hex[:12]}"
    postgres = PostgresReadDatabase(dsn, schema, durable_commits=False)  # as open_read_database
    try:
        yield postgres
    finally:
        postgres.close()
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def live_state(db: ReadDatabase, name: str) -> ProjectionState | None:
    found = [s for s in states(db) if s.name == name and s.active]
    return found[0] if found else None


def verify(db: ReadDatabase, projection: Projection, filled: Filled) -> None:
    """The projection reached the stream's end, applied every event once, and is live."""
    state = live_state(db, projection.name)
    if state is None:
        raise SystemExit(f"{projection.name}: no live generation")
    if (state.last_sequence, state.applied_events, state.status) != (
        filled.events,
        filled.events,
        "live",
    ):
        raise SystemExit(f"{projection.name}: ended at {state}, stream has {filled.events}")
    if projection.name == CareFinderProjection.name:
        verify_care_finder(db, filled)


def verify_care_finder(db: ReadDatabase, filled: Filled) -> None:
    with db.reading() as cur:
        state = active_state(cur, CareFinderProjection.name)
        assert state is not None
        entries = int(cur.scalar(f"SELECT COUNT(*) FROM {state.tables[ENTRIES]}"))
    found = search(db, CareFinderQuery(on=DAY, agb=filled.last_signed_agb)).items
    if entries != filled.contracts or [str(i.contract_id) for i in found] != [filled.last_signed]:
        raise SystemExit(
            f"care finder: {entries} entries for {filled.contracts} contracts;"
            f" search by {filled.last_signed_agb} found {found}"
        )


# --- apply rate --------------------------------------------------------------------------------


def runner_settings(url: str, stream: str, args: argparse.Namespace, tag: str) -> Settings:
    return Settings(
        nats_url=url,
        stream_name=stream,
        projection_batch_size=args.batch,
        projection_poll_interval_s=args.projection_poll,
        projection_consumer_prefix="bench",
        instance_id=tag,
    )


async def floor_run(url: str, settings: Settings, expected: int) -> float:
    """Seconds for a durable pull consumer configured as the runner's to fetch and ack every
    message, doing nothing else; checked by its ack floor afterwards."""
    nc = await connect_once(url)
    js = nc.jetstream(timeout=30)
    name = f"bench-floor-{uuid.uuid4().hex[:8]}"
    batch = settings.projection_batch_size
    try:
        started = time.perf_counter()
        await js.add_consumer(
            settings.stream_name,
            ConsumerConfig(
                durable_name=name,
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=1,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=settings.projection_ack_wait_s,
                max_ack_pending=max(1000, 2 * batch),
                filter_subject=SUBJECTS,
            ),
        )
        subscription = await js.pull_subscribe_bind(durable=name, stream=settings.stream_name)
        done = 0
        while done < expected:
            messages = await subscription.fetch(batch, timeout=settings.projection_poll_interval_s)
            for message in messages:
                await message.ack()
            done += len(messages)
        seconds = time.perf_counter() - started
        await nc.flush()

        async def all_acked() -> bool:
            info = await js.consumer_info(settings.stream_name, name)
            return info.ack_floor is not None and info.ack_floor.stream_seq == expected

        await wait_until(all_acked, 10, f"the floor's ack floor to reach {expected}")
        await js.delete_consumer(settings.stream_name, name)
    finally:
        await nc.close()
    return seconds


async def projection_run(
    projection: Projection,
    db: ReadDatabase,
    url: str,
    settings: Settings,
    expected: int,
    wrap: Callable[[ProjectionRunner], None] | None = None,
) -> float:
    """Seconds for a ``ProjectionRunner`` to take a fresh projection to the stream's end."""
    nc = await connect_once(url)
    runner = ProjectionRunner(projection, db, preconnected(nc, url), settings)
    if wrap is not None:
        wrap(runner)
    try:
        started = time.perf_counter()
        position = 0
        while position < expected:
            applied = await runner.run_once()
            if applied is None:
                raise SystemExit(f"{projection.name}: a fetch came back empty at {position}")
            position = applied.state.last_sequence
        seconds = time.perf_counter() - started
    finally:
        await runner.close()
    admin = await connect_once(url)
    try:
        await admin.jetstream(timeout=30).delete_consumer(settings.stream_name, runner.consumer)
    finally:
        await admin.close()
    return seconds


@dataclass
class ApplyResult:
    backend: str
    projection: str
    floors: list[float] = field(default_factory=list)
    runs: list[float] = field(default_factory=list)


def apply_phase(
    url: str, stream: str, filled: Filled, args: argparse.Namespace, tmp: Path
) -> list[ApplyResult]:
    backends = ["sqlite"] + (["postgres"] if args.postgres_dsn else [])
    results = []
    for backend in backends:
        for name, projection in all_projections().items():
            result = ApplyResult(backend, name)
            for round_ in range(1, args.rounds + 1):
                tag = f"{backend}-{round_}"
                settings = runner_settings(url, stream, args, tag)
                floor = asyncio.run(floor_run(url, settings, filled.events))
                with read_store(backend, tmp, args.postgres_dsn) as db:
                    run = asyncio.run(projection_run(projection, db, url, settings, filled.events))
                    verify(db, projection, filled)
                result.floors.append(floor)
                result.runs.append(run)
                print(
                    f"  {backend:<8} {name:<12} round {round_}: floor"
                    f" {filled.events / floor:8.0f} events/s, projection"
                    f" {filled.events / run:8.0f} events/s",
                    flush=True,
                )
            results.append(result)
    return results


def report_apply(results: Sequence[ApplyResult], events: int, args: argparse.Namespace) -> None:
    print(f"\n== apply rate: {events} events from the stream's start, batch {args.batch}")
    print("   (median of each; floor = durable pull consumer, fetch + explicit ack, nothing else)")
    print(f"   {'backend':<9}{'projection':<13}{'floor ev/s':>11}{'proj ev/s':>11}{'ratio':>7}")
    for r in results:
        floor = events / statistics.median(r.floors)
        rate = events / statistics.median(r.runs)
        verdict = "ok" if rate / floor >= 0.5 else "MISSED"
        print(
            f"   {r.backend:<9}{r.projection:<13}{floor:11.0f}{rate:11.0f}{rate / floor:7.2f}"
            f"  (target >= 0.50: {verdict})"
        )


# --- rebuild -----------------------------------------------------------------------------------


async def rebuild_floor(url: str, stream: str, expected: int) -> float:
    """Seconds for an ephemeral ack-less pull consumer, as the rebuild's, to read every message."""
    nc = await connect_once(url)
    js = nc.jetstream(timeout=30)
    try:
        started = time.perf_counter()
        consumer = await js.add_consumer(
            stream,
            ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=1,
                ack_policy=AckPolicy.NONE,
                filter_subject=SUBJECTS,
                inactive_threshold=60.0,
            ),
        )
        subscription = await js.pull_subscribe_bind(consumer=consumer.name or "", stream=stream)
        done = 0
        while done < expected:
            done += len(await subscription.fetch(REBUILD_FETCH, timeout=REBUILD_IDLE_S))
        seconds = time.perf_counter() - started
        await js.delete_consumer(stream, consumer.name or "")
    finally:
        await nc.close()
    if done != expected:
        raise SystemExit(f"rebuild floor read {done} messages, the stream holds {expected}")
    return seconds


@dataclass
class RebuildResult:
    events: int
    seconds: float
    last_applied_s: float
    floors: list[float]


async def rebuild_run(url: str, stream: str, db: ReadDatabase) -> tuple[float, float]:
    """Seconds for ``rebuild_from_stream`` of the care finder, and until its last apply."""
    nc = await connect_once(url)
    js = nc.jetstream(timeout=30)
    last_applied: list[float] = []

    def progress(done: int, total: int) -> None:
        if done >= total and not last_applied:
            last_applied.append(time.perf_counter())

    try:
        started = time.perf_counter()
        await rebuild_from_stream(CareFinderProjection(), db, js, stream, progress=progress)
        seconds = time.perf_counter() - started
    finally:
        await nc.close()
    return seconds, (last_applied or [time.perf_counter()])[0] - started


def rebuild_phase(url: str, stream: str, filled: Filled, tmp: Path) -> RebuildResult:
    floors = [asyncio.run(rebuild_floor(url, stream, filled.events))]
    print(f"  rebuild floor: {filled.events / floors[0]:.0f} events/s", flush=True)
    with read_store("sqlite", tmp, None) as db:
        seconds, last_applied = asyncio.run(rebuild_run(url, stream, db))
        verify(db, CareFinderProjection(), filled)
    print(f"  rebuild: {seconds:.1f} s ({filled.events / seconds:.0f} events/s)", flush=True)
    floors.append(asyncio.run(rebuild_floor(url, stream, filled.events)))
    print(f"  rebuild floor: {filled.events / floors[1]:.0f} events/s", flush=True)
    return RebuildResult(filled.events, seconds, last_applied, floors)


def report_rebuild(r: RebuildResult) -> None:
    floor = statistics.median(r.floors)
    print(f"\n== rebuild of the care finder from {r.events} events (SQLite read store)")
    print(f"   rebuild_from_stream     {r.seconds:8.1f} s  {r.events / r.seconds:9.0f} events/s")
    print(
        f"     of which to its last apply {r.last_applied_s:5.1f} s;"
        f" the rest: {REBUILD_IDLE_S:.0f} s of empty fetch (end of stream) and the swap"
    )
    floors = ", ".join(f"{s:.1f} s" for s in r.floors)
    print(
        f"   floor (ack-less read)   {floor:8.1f} s  {r.events / floor:9.0f} events/s"
        f"  (before, after: {floors})"
    )
    print(f"   rebuild / floor rate    {floor / r.seconds:8.2f}")
    scaled = r.seconds * 1_000_000 / r.events
    verdict = "ok" if scaled <= 120 else "MISSED"
    print(f"   target <= 120 s for 1,000,000 events: {scaled:.1f} s scaled ({verdict})")


# --- latency -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offered:
    """An offered contract, its provider's AGB code, and who signs it (the cycle's provider)."""

    contract_id: str
    agb: str
    signer: Actor


def offer(bus: CommandBus, n: int, plan: Assessment) -> Offered:
    """Cycle ``n`` of ``store_throughput`` up to the offer: everything but the signature."""
    ids: dict[str, str] = {}
    for actor, make in cycle_commands(n, plan):
        command: Command = make(ids)
        if isinstance(command, SignContract):
            return Offered(ids["contract_id"], f"{AGB_BASE + n:08d}", actor)
        outcome = bus.execute(command, CommandContext(actor=actor))
        for key in ("application_id", "contract_id"):
            value = (outcome.result or {}).get(key)
            if isinstance(value, str):
                ids[key] = value
    raise SystemExit(f"cycle {n} has no SignContract")


@dataclass
class Stamps:
    """perf_counter() moments, written by the hooks and threads of one latency run."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    returned: dict[str, float] = field(default_factory=dict)  # contract -> command returned
    position: dict[str, int] = field(default_factory=dict)  # contract -> its event's position
    read: dict[int, float] = field(default_factory=dict)  # position -> relay read started
    received: dict[str, float] = field(default_factory=dict)  # contract -> runner apply started
    committed: dict[str, float] = field(default_factory=dict)  # contract -> batch committed
    found: dict[str, float] = field(default_factory=dict)  # contract -> search found it


def hook_relay(relay: Relay, stamps: Stamps) -> None:
    """Time when each position's read starts (this instance only)."""
    read = relay._read

    def timed_read(position: int, limit: int) -> list[Outgoing]:
        started = time.perf_counter()
        batch = read(position, limit)
        with stamps.lock:
            for message in batch:
                stamps.read[message.position] = started
        return batch

    relay._read = timed_read  # type: ignore[method-assign]


def hook_runner(runner: ProjectionRunner, stamps: Stamps, found: queue.Queue[str | None]) -> None:
    """Time each signature's batch (start, commit) and hand its contract to the checker."""
    apply = runner._apply

    def timed_apply(events: Sequence[ProjectedEvent]) -> Applied:
        started = time.perf_counter()
        applied = apply(events)
        committed = time.perf_counter()
        signed = [str(e.aggregate_id) for e in events if e.type == "contract.signed.v1"]
        with stamps.lock:
            for contract in signed:
                stamps.received[contract] = started
                stamps.committed[contract] = committed
        for contract in signed:
            found.put(contract)
        return applied

    runner._apply = timed_apply  # type: ignore[method-assign]


def checker(
    db: ReadDatabase, agb: Mapping[str, str], todo: queue.Queue[str | None], s: Stamps
) -> None:
    """Search for each committed contract by its AGB code until the care finder lists it."""
    while (contract := todo.get()) is not None:
        deadline = time.perf_counter() + 5
        query = CareFinderQuery(on=DAY, agb=agb[contract])
        while time.perf_counter() < deadline:
            if any(str(item.contract_id) == contract for item in search(db, query).items):
                with s.lock:
                    s.found[contract] = time.perf_counter()
                break
            time.sleep(0.002)


def drive(bus: CommandBus, contracts: Sequence[Offered], rate: float, stamps: Stamps) -> float:
    """``SignContract`` at ``rate`` per second, each timed at its return; the achieved rate."""
    started = time.perf_counter() + 0.05
    for index, contract in enumerate(contracts):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        outcome = bus.execute(
            SignContract(contract_id=uuid.UUID(contract.contract_id), vecozo_ref="VZ-1"),
            CommandContext(actor=contract.signer),
        )
        returned = time.perf_counter()
        with stamps.lock:
            stamps.returned[contract.contract_id] = returned
            stamps.position[contract.contract_id] = outcome.events[0].position or 0
    return len(contracts) / (time.perf_counter() - started)


@dataclass
class LatencyResult:
    relay_poll_s: float
    projection_poll_s: float
    relay_batch: int
    achieved_rate: float
    latencies: list[float]
    stages: dict[str, list[float]]
    floor: list[float]


STAGES = (
    "command return -> relay read (waiting for the relay's poll)",
    "relay read -> runner receipt (read, CloudEvent, publish, fsync, ack, delivery, decode)",
    "runner receipt -> commit (apply_batch)",
    "commit -> found by search",
)


def stage_times(stamps: Stamps) -> tuple[list[float], dict[str, list[float]]]:
    latencies: list[float] = []
    stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for contract, returned in stamps.returned.items():
        found = stamps.found.get(contract)
        read = stamps.read.get(stamps.position[contract])
        if found is None or read is None:
            raise SystemExit(f"contract {contract} never showed up in the care finder")
        latencies.append(found - returned)
        moments = (returned, read, stamps.received[contract], stamps.committed[contract], found)
        for stage, before, after in zip(STAGES, moments, moments[1:], strict=False):
            stages[stage].append(after - before)
    return latencies, stages


async def transport_floor(url: str, settings: Settings, rate: float, count: int) -> list[float]:
    """Seconds from ``js.publish`` (ack awaited) to receipt by a long-polling durable consumer,
    at ``rate`` per second, on a scratch stream of its own."""
    nc = await connect_once(url)
    js = nc.jetstream(timeout=30)
    stream, durable = "BENCH_LATENCY_FLOOR", "bench-latency-floor"
    await js.add_stream(
        StreamConfig(name=stream, subjects=["bench-ping.>"], storage=StorageType.FILE)
    )
    sent: dict[int, float] = {}
    received: dict[int, float] = {}
    try:
        await js.add_consumer(
            stream,
            ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.EXPLICIT),
        )
        subscription = await js.pull_subscribe_bind(durable=durable, stream=stream)

        async def consume() -> None:
            while len(received) < count:
                with contextlib.suppress(TimeoutError):
                    messages: list[Msg] = await subscription.fetch(
                        settings.projection_batch_size,
                        timeout=settings.projection_poll_interval_s,
                    )
                    for message in messages:
                        received[int(message.data)] = time.perf_counter()
                        await message.ack()

        consumer = asyncio.create_task(consume())
        started = time.perf_counter()
        for index in range(count):
            await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
            sent[index] = time.perf_counter()
            await js.publish(f"bench-ping.{index}", str(index).encode())
        await asyncio.wait_for(consumer, 10)
    finally:
        with contextlib.suppress(Exception):
            await js.delete_stream(stream)
        await nc.close()
    return [received[i] - sent[i] for i in range(count)]


async def latency_run(
    services: Services,
    db: ReadDatabase,
    url: str,
    settings: Settings,
    contracts: Sequence[Offered],
    rate: float,
) -> LatencyResult:
    """The relay and the care finder's runner catch up, then the signatures go out at ``rate``."""
    floor = await transport_floor(url, settings, rate, min(len(contracts), int(rate * 10)))
    stamps = Stamps()
    todo: queue.Queue[str | None] = queue.Queue()
    agb = {c.contract_id: c.agb for c in contracts}
    relay = Relay(services.store, url, settings)
    runner = ProjectionRunner(CareFinderProjection(), db, url, settings)
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(relay.run_forever(stop)),
        asyncio.create_task(runner.run_forever(stop)),
    ]
    try:
        target = services.store.recorder.max_notification_id() or 0

        async def caught_up() -> bool:
            state = await asyncio.to_thread(live_state, db, CareFinderProjection.name)
            return state is not None and state.last_position >= target

        await wait_until(caught_up, 600, "the care finder to catch up before timing")
        hook_relay(relay, stamps)
        hook_runner(runner, stamps, todo)
        check = threading.Thread(target=checker, args=(db, agb, todo, stamps), daemon=True)
        check.start()
        achieved = await asyncio.to_thread(drive, services.bus, contracts, rate, stamps)

        async def all_found() -> bool:
            with stamps.lock:
                return len(stamps.found) == len(contracts)

        await wait_until(all_found, 30, "every signed contract in the care finder")
        todo.put(None)
        check.join()
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    latencies, stages = stage_times(stamps)
    return LatencyResult(
        settings.relay_poll_interval_s,
        settings.projection_poll_interval_s,
        settings.relay_batch_size,
        achieved,
        latencies,
        stages,
        floor,
    )


def latency_phase(
    url: str, catalog: PolicyCatalog, args: argparse.Namespace, tmp: Path
) -> list[LatencyResult]:
    per_run = math.ceil(args.rate * args.seconds)
    base = Settings(
        data_dir=tmp / "latency",
        nats_url=url,
        stream_name="BENCH_LATENCY",
        projection_batch_size=args.batch,
        projection_poll_interval_s=args.projection_poll,
        instance_id="bench-latency",
    )
    services = build(base, clock=FixedClock(AT))
    plan = assessment(catalog.get(PACK))
    started = time.perf_counter()
    count = per_run * len(args.relay_poll)
    with ThreadPoolExecutor(max_workers=4) as pool:
        offered = list(pool.map(lambda n: offer(services.bus, n, plan), range(count)))
    print(
        f"  latency: {count} contracts offered beforehand in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    results = []
    try:
        asyncio.run(create_stream(url, base))
        with read_store("sqlite", tmp, None) as db:
            for index, poll in enumerate(args.relay_poll):
                settings = base.model_copy(update={"relay_poll_interval_s": poll})
                contracts = offered[index * per_run : (index + 1) * per_run]
                run = latency_run(services, db, url, settings, contracts, args.rate)
                result = asyncio.run(run)
                results.append(result)
                p99 = percentile(result.latencies, 0.99) * 1000
                print(f"  latency run, relay poll {poll} s: p99 {p99:.1f} ms", flush=True)
    finally:
        services.close()
        asyncio.run(delete_stream(url, base.stream_name))
    return results


async def create_stream(url: str, settings: Settings) -> None:
    nc = await connect_once(url)
    try:
        await ensure_stream(nc.jetstream(timeout=30), settings)
    finally:
        await nc.close()


def report_latency(results: Sequence[LatencyResult], args: argparse.Namespace, sync: str) -> None:
    for r in results:
        ms = [s * 1000 for s in r.latencies]
        floor = [s * 1000 for s in r.floor]
        print(
            f"\n== latency: SignContract return -> listed by the care finder's search,"
            f" {len(ms)} commands at {args.rate:g}/s (achieved {r.achieved_rate:.1f}/s)"
        )
        print(
            f"   settings: relay_poll_interval_s {r.relay_poll_s}, projection_poll_interval_s"
            f" {r.projection_poll_s}, relay_batch_size {r.relay_batch},"
            f" projection_batch_size {args.batch}; nats-server sync {sync}; SQLite store and"
            " read store; one process"
        )
        print(f"   {'':<22}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}")
        print(_row("end to end", ms))
        print(_row("floor (publish->fetch)", floor))
        verdict = "ok" if percentile(ms, 0.99) <= 100 else "MISSED"
        print(
            f"   p99 target <= 100 ms: {verdict}; end to end / floor at p50:"
            f" {percentile(ms, 0.5) / percentile(floor, 0.5):.1f} x"
        )
        print("   stages:")
        for stage, seconds in r.stages.items():
            print(_row("", [s * 1000 for s in seconds]) + f"  {stage}")


def _row(label: str, ms: Sequence[float]) -> str:
    return (
        f"   {label:<22}{percentile(ms, 0.5):9.1f}{percentile(ms, 0.99):9.1f}{max(ms):9.1f}"
        f"{statistics.fmean(ms):9.1f}"
    )


# --- profiles ----------------------------------------------------------------------------------


class Profiles:
    """cProfile of the event-loop thread plus every call handed to a worker thread."""

    def __init__(self) -> None:
        self.main = cProfile.Profile()
        self.threads: list[cProfile.Profile] = []

    def wrap(self, function: Callable[..., T]) -> Callable[..., T]:
        def profiled(*args: Any, **kwargs: Any) -> T:
            profile = cProfile.Profile()
            self.threads.append(profile)
            return profile.runcall(function, *args, **kwargs)

        return profiled

    def write(self, path: str, events: int, top: int = 20) -> None:
        stats = pstats.Stats(self.main)
        for profile in self.threads:
            stats.add(profile)
        stats.dump_stats(path)
        rows: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
        total = sum(own for _, _, own, _, _ in rows.values())
        print(f"\n   cProfile written to {path}; {top} costliest functions by own time:")
        print(f"   {'own us/ev':>9} {'cum us/ev':>9} {'calls':>9}  function")
        ranked = sorted(rows.items(), key=lambda item: item[1][2], reverse=True)
        for (file, line, function), (_, calls, own, cumulative, _) in ranked[:top]:
            where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if line else file
            print(
                f"   {own / events * 1e6:9.2f} {cumulative / events * 1e6:9.2f} {calls:9d}"
                f"  {function} ({where})"
            )
        print(f"   {total / events * 1e6:9.2f} us/event in all (profiler overhead included)")


async def profiled_apply(
    projection: Projection, db: ReadDatabase, url: str, settings: Settings, expected: int
) -> Profiles:
    profiles = Profiles()

    def wrap(runner: ProjectionRunner) -> None:
        runner._apply = profiles.wrap(runner._apply)  # type: ignore[method-assign]

    profiles.main.enable()
    try:
        await projection_run(projection, db, url, settings, expected, wrap)
    finally:
        profiles.main.disable()
    return profiles


async def profiled_rebuild(url: str, stream: str, db: ReadDatabase) -> Profiles:
    profiles = Profiles()
    timed = profiles.wrap(apply_batch)
    with mock.patch.object(rebuild_module, "apply_batch", timed):
        profiles.main.enable()
        try:
            await rebuild_run(url, stream, db)
        finally:
            profiles.main.disable()
    return profiles


def profile_apply(
    url: str, stream: str, filled: Filled, args: argparse.Namespace, tmp: Path
) -> None:
    for name, projection in all_projections().items():
        settings = runner_settings(url, stream, args, "profile")
        with read_store("sqlite", tmp, None) as db:
            profiles = asyncio.run(profiled_apply(projection, db, url, settings, filled.events))
            verify(db, projection, filled)
        print(f"\n== profile: one extra apply run of {name} (SQLite), {filled.events} events")
        profiles.write(f"{args.profile}-apply-{name}.prof", filled.events)


def profile_rebuild(
    url: str, stream: str, filled: Filled, args: argparse.Namespace, tmp: Path
) -> None:
    with read_store("sqlite", tmp, None) as db:
        profiles = asyncio.run(profiled_rebuild(url, stream, db))
        verify(db, CareFinderProjection(), filled)
    print(f"\n== profile: one extra rebuild of the care finder, {filled.events} events")
    profiles.write(f"{args.profile}-rebuild.prof", filled.events)


# --- main --------------------------------------------------------------------------------------


def run_apply(replicas: Replicas, args: argparse.Namespace, tmp: Path) -> None:
    stream = "BENCH_APPLY"
    store_dir = tmp / "nats"
    settings = Settings(data_dir=tmp / "data", stream_name=stream)
    print(f"\napply rate: a stream of {args.events} events", flush=True)
    filled = filled_stream(store_dir, settings, replicas, args.events)
    with nats_server(store_dir, fast=False) as server:
        print(f"  measuring on {server.url}, sync {effective_sync(server)}", flush=True)
        results = apply_phase(server.url, stream, filled, args, tmp)
        report_apply(results, filled.events, args)
        if args.profile:
            profile_apply(server.url, stream, filled, args, tmp)
        asyncio.run(delete_stream(server.url, stream))


def run_rebuild(replicas: Replicas, args: argparse.Namespace, tmp: Path) -> None:
    stream = "BENCH_REBUILD"
    store_dir = tmp / "nats"
    settings = Settings(data_dir=tmp / "data", stream_name=stream)
    print(f"\nrebuild: a stream of {args.rebuild_events} events", flush=True)
    filled = filled_stream(store_dir, settings, replicas, args.rebuild_events)
    with nats_server(store_dir, fast=False) as server:
        print(f"  measuring on {server.url}, sync {effective_sync(server)}", flush=True)
        report_rebuild(rebuild_phase(server.url, stream, filled, tmp))
        if args.profile:
            profile_rebuild(server.url, stream, filled, args, tmp)
        asyncio.run(delete_stream(server.url, stream))


def run_latency(catalog: PolicyCatalog, args: argparse.Namespace, tmp: Path) -> None:
    print(f"\nlatency: {args.rate:g} signatures/s for {args.seconds:g} s per run", flush=True)
    with nats_server(tmp / "nats", fast=False) as server:
        sync = effective_sync(server)
        report_latency(latency_phase(server.url, catalog, args, tmp), args, sync)


def main(argv: list[str] | None = None) -> int:
    defaults = Settings.model_fields
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="apply-rate stream size")
    parser.add_argument("--rebuild-events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2, help="floor and projection runs, in turn")
    parser.add_argument(
        "--batch",
        type=int,
        default=defaults["projection_batch_size"].default,
        help="projection_batch_size: messages per fetch and transaction",
    )
    parser.add_argument("--template-cycles", type=int, default=250, help="real cycles to copy")
    parser.add_argument("--rate", type=float, default=20.0, help="SignContract commands per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each latency run")
    parser.add_argument(
        "--relay-poll",
        type=float,
        nargs="+",
        default=[defaults["relay_poll_interval_s"].default],
        help="relay_poll_interval_s of each latency run (default: the product's; give several,"
        " e.g. 0.2 0.02, to compare)",
    )
    parser.add_argument(
        "--projection-poll",
        type=float,
        default=defaults["projection_poll_interval_s"].default,
        help="projection_poll_interval_s: the runner's long-poll (fetch) wait",
    )
    parser.add_argument(
        "--postgres-dsn",
        default=os.environ.get("CARE_CONTRACTS_TEST_POSTGRES_DSN") or None,
        help="also measure the apply rate on PostgreSQL (a fresh schema per run, dropped after)",
    )
    parser.add_argument("--skip-apply", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--profile", metavar="PREFIX", help="cProfile extra apply/rebuild runs")
    args = parser.parse_args(argv)
    if min(args.events, args.rebuild_events, args.rounds, args.template_cycles) < 1:
        parser.error("--events, --rebuild-events, --rounds and --template-cycles must be >= 1")
    if args.rate <= 0 or args.seconds <= 0 or not 1 <= args.batch <= 10_000:
        parser.error("--rate and --seconds must be > 0, --batch 1..10000")
    # The relay and runners log state changes; keep the tables readable.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    catalog = load_catalog()
    print(f"python {sys.version.split()[0]}, pack {PACK.id}@{PACK.version}, {os.cpu_count()} CPUs")
    print(f"projections: {', '.join(all_projections())}")

    with tempfile.TemporaryDirectory(prefix="cc-bench-projections-") as name:
        tmp = Path(name)
        if not (args.skip_apply and args.skip_rebuild):
            template = record_template(
                Settings(data_dir=tmp / "template"), catalog, args.template_cycles
            )
            print(
                f"template: {args.template_cycles} cycles, {len(template.events)} events through"
                f" the CommandBus in {template.seconds:.1f} s (not in any figure)",
                flush=True,
            )
            replicas = Replicas(template)
            if not args.skip_apply:
                run_apply(replicas, args, tmp)
            if not args.skip_rebuild:
                run_rebuild(replicas, args, tmp)
        if not args.skip_latency:
            run_latency(catalog, args, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
