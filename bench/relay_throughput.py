"""Relay throughput: a pre-filled store's backlog acked on JetStream, next to nats-py's own floor.

    python bench/relay_throughput.py [--events N] [--batch N] [--rounds N]
                                     [--sync {always,default}] [--fill-clients N]
                                     [--postgres-dsn DSN] [--profile FILE]

The store is filled with at least ``--events`` real events: whole provider cycles of
``store_throughput.py`` (submit ... sign on the zz-2027-msz pack, every command through the real
``CommandBus`` with its metadata), run by ``--fill-clients`` threads with group commit so the
log interleaves many aggregates as the HTTP API's workers would. Filling is timed and printed,
never part of a figure below.

One embedded nats-server (``EmbeddedNatsServer``: random loopback port, ``sync_interval: always``
as the product runs it; ``--sync default`` re-declares its ``jetstream`` block without it, the
server's default of syncing every two minutes) then takes, ``--rounds`` times in turn, each on a
fresh stream made by ``ensure_stream`` and deleted after the run:

- floor: the backlog's exact messages (subject, ``Nats-Msg-Id`` and ``Nats-Expected-Stream``
  headers, CloudEvent payload), built beforehand with ``publisher.outgoing``, published with plain
  ``js.publish_async`` on a context with ``publish_async_max_pending=--batch`` (never more than
  that in flight, the window sliding), then every ack awaited;
- drained floor: the same messages in batches of ``--batch``, every ack awaited before the next
  batch, the relay's protocol without the relay: the gap to the floor is what draining costs;
- relay: ``Relay.run_once(--batch)`` from position 0 until a short batch (read notifications,
  build CloudEvents, publish, await every ack, save the position), timed from the first call
  until the whole backlog is acked; the connection is opened before, as for the floors.

After every run the stream must hold exactly as many messages as the store has events, or the
bench stops: a broken run never reports a figure. Printed: every run, the best of each kind,
relay / floor (the target is >= 0.8), each run's CPU time in this process per event (the
client's own cost, which a busy disk or a noisy neighbour moves far less than the wall clock),
and where the relay's time goes (timers around its store read, CloudEvent build,
``publish_batch`` and position save, set here on the bench's own instances, never in product
code). ``--profile FILE`` adds one relay run under cProfile (its worker-thread reads included),
writes the stats to FILE and prints the costliest functions.

SQLite always runs (a fresh temporary file); PostgreSQL runs when ``--postgres-dsn`` is given or
``CARE_CONTRACTS_TEST_POSTGRES_DSN`` is set (a fresh schema, dropped afterwards). Figures are for
comparing runs on one machine, not targets for tests.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import math
import os
import pstats
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

import psycopg
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import PubAck
from pydantic import SecretStr
from store_throughput import AT, PACK, assessment, run_cycle

import care_contracts.services.relay.relay as relay_module
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import FixedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.nats.connect import connect_once
from care_contracts.services.nats.embedded import EmbeddedNatsServer
from care_contracts.services.nats.streams import ensure_stream
from care_contracts.services.policy.loader import load_catalog
from care_contracts.services.relay.publisher import Outgoing, outgoing, publish_batch
from care_contracts.services.relay.relay import ConnectFactory, Relay
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.group_commit import GroupCommitter

T = TypeVar("T")
KINDS = ("floor", "drained floor", "relay")
PHASES = (
    "store read",
    "CloudEvent build",
    "publish + acks",
    "position save",
)


# --- timers ------------------------------------------------------------------------------------


@dataclass
class Timers:
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def wrap(self, name: str, function: Callable[..., T]) -> Callable[..., T]:
        def timed(*args: Any, **kwargs: Any) -> T:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed

    def wrap_async(
        self, name: str, function: Callable[..., Awaitable[T]]
    ) -> Callable[..., Awaitable[T]]:
        async def timed(*args: Any, **kwargs: Any) -> T:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed


def instrument_relay(relay: Relay, timers: Timers) -> None:
    """Timers around the relay's per-batch steps, on this instance only (``_read`` is the store
    read and the CloudEvent build, ``_save`` the position's commit)."""
    relay._read = timers.wrap("read + build", relay._read)  # type: ignore[method-assign]
    relay._save = timers.wrap("position save", relay._save)  # type: ignore[method-assign]


def instrument_store(store: ContractingStore, timers: Timers) -> None:
    """A timer around the recorder's notification query (the relay's store read)."""
    recorder = store.recorder
    recorder.select_notifications = timers.wrap("store read", recorder.select_notifications)  # type: ignore[method-assign]


class Profiles:
    """cProfile of the event-loop thread plus every call the relay hands to a worker thread."""

    def __init__(self) -> None:
        self.main = cProfile.Profile()
        self.threads: list[cProfile.Profile] = []

    def wrap(self, function: Callable[..., T]) -> Callable[..., T]:
        def profiled(*args: Any, **kwargs: Any) -> T:
            profile = cProfile.Profile()
            self.threads.append(profile)
            return profile.runcall(function, *args, **kwargs)

        return profiled

    def stats(self) -> pstats.Stats:
        stats = pstats.Stats(self.main)
        for profile in self.threads:
            stats.add(profile)
        return stats


# --- filling the store -------------------------------------------------------------------------


def fill(settings: Settings, catalog: PolicyCatalog, events: int, clients: int) -> float:
    """Whole cycles through the bus until the store holds >= ``events`` events; the seconds."""
    store = ContractingStore(settings)
    committer = GroupCommitter(store)
    bus = CommandBus(store, FixedClock(AT), catalog, all_handlers(), committer=committer)
    plan = assessment(catalog.get(PACK))
    started = time.perf_counter()
    try:
        _, per_cycle, _ = run_cycle(bus, 0, plan)
        cycles = math.ceil(events / per_cycle)
        with ThreadPoolExecutor(max_workers=clients) as pool:
            for _ in pool.map(lambda n: run_cycle(bus, n, plan), range(1, cycles)):
                pass
    finally:
        store.close()
    return time.perf_counter() - started


# --- runs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One timed run: wall-clock seconds, and this process's CPU seconds (all its threads)."""

    seconds: float
    cpu_seconds: float

    @classmethod
    def since(cls, started: float, cpu_started: float) -> Run:
        return cls(time.perf_counter() - started, time.process_time() - cpu_started)


def preconnected(nc: Client, url: str) -> ConnectFactory:
    """The relay's connection, opened before the timing starts (later ones as the relay does)."""
    ready = [nc]

    async def connect() -> Client:
        return ready.pop() if ready else await connect_once(url)

    return connect


async def run_relay(store: ContractingStore, settings: Settings, url: str, timers: Timers) -> Run:
    """From the first ``run_once`` until the backlog is acked and the position saved."""
    nc = await connect_once(url)
    relay = Relay(store, preconnected(nc, url), settings)
    instrument_relay(relay, timers)
    batch = settings.relay_batch_size
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        while await relay.run_once(batch) == batch:
            pass
        run = Run.since(started, cpu_started)
    finally:
        await relay.close()
    stored = store.recorder.max_notification_id()
    if relay.position() != stored:
        raise SystemExit(f"relay: position {relay.position()} saved, the store ends at {stored}")
    return run


async def run_profiled_relay(
    store: ContractingStore, settings: Settings, url: str, profiles: Profiles
) -> None:
    nc = await connect_once(url)
    relay = Relay(store, preconnected(nc, url), settings)
    relay._read = profiles.wrap(relay._read)  # type: ignore[method-assign]
    relay._save = profiles.wrap(relay._save)  # type: ignore[method-assign]
    batch = settings.relay_batch_size
    profiles.main.enable()
    try:
        while await relay.run_once(batch) == batch:
            pass
    finally:
        profiles.main.disable()
        await relay.close()


async def run_floor(
    messages: Sequence[Outgoing], settings: Settings, url: str, *, drained: bool
) -> Run:
    """Publishing ``messages`` with plain ``publish_async`` until every ack is in."""
    window = settings.relay_batch_size
    nc = await connect_once(url)
    js = nc.jetstream(timeout=settings.relay_ack_timeout_s, publish_async_max_pending=window)
    # The relay's exact headers: its Nats-Msg-Id and publish_batch's Nats-Expected-Stream.
    headers = [{**m.headers, "Nats-Expected-Stream": settings.stream_name} for m in messages]
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        if drained:
            for first in range(0, len(messages), window):
                chunk = range(first, min(first + window, len(messages)))
                await _publish(js, messages, headers, chunk)
        else:
            await _publish(js, messages, headers, range(len(messages)))
        run = Run.since(started, cpu_started)
    finally:
        await nc.close()
    return run


async def _publish(
    js: JetStreamContext,
    messages: Sequence[Outgoing],
    headers: Sequence[dict[str, str]],
    indexes: range,
) -> None:
    futures = [
        await js.publish_async(messages[i].subject, messages[i].payload, headers=headers[i])
        for i in indexes
    ]
    for ack in await asyncio.gather(*futures):
        if not isinstance(ack, PubAck) or ack.duplicate:
            raise SystemExit(f"floor: unexpected ack {ack!r}")


async def on_fresh_stream(
    admin: JetStreamContext,
    settings: Settings,
    name: str,
    expected: int,
    run: Callable[[Settings], Awaitable[T]],
) -> T:
    """``run`` against a new stream ``name``; checks it then holds ``expected`` messages."""
    stream_settings = settings.model_copy(update={"stream_name": name})
    await ensure_stream(admin, stream_settings)
    try:
        result = await run(stream_settings)
        info = await admin.stream_info(name)
        if info.state.messages != expected:
            raise SystemExit(
                f"{name}: the stream holds {info.state.messages} messages, expected {expected}"
            )
    finally:
        await admin.delete_stream(name)
    return result


# --- one backend -------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    events: int
    fill_seconds: float
    build_seconds: float
    payload_bytes: int
    runs: dict[str, list[Run]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    phases: dict[str, float] = field(default_factory=dict)

    def best(self, kind: str) -> float:
        """The best events/s of ``kind``."""
        return self.events / min(run.seconds for run in self.runs[kind])

    def cpu_us(self, run: Run) -> float:
        return run.cpu_seconds / self.events * 1e6


def run_backend(
    name: str, settings: Settings, catalog: PolicyCatalog, url: str, args: argparse.Namespace
) -> Result:
    print(f"\n{name}: filling the store with >= {args.events} events ...", flush=True)
    fill_seconds = fill(settings, catalog, args.events, args.fill_clients)
    store = ContractingStore(settings)
    try:
        total = store.recorder.max_notification_id() or 0
        started = time.perf_counter()
        messages = outgoing(store, store.recorder.select_notifications(start=1, limit=total))
        build_seconds = time.perf_counter() - started
        if len(messages) != total or total < args.events:
            raise SystemExit(f"{len(messages)} notifications read, {total} stored")
        payload = sum(len(m.payload) for m in messages)
        result = Result(name, total, fill_seconds, build_seconds, payload)
        profile = args.profile if name == "SQLite" else None
        asyncio.run(measure(result, store, messages, settings, url, args.rounds, profile))
    finally:
        store.close()
    return result


def runner(
    kind: str,
    store: ContractingStore,
    messages: Sequence[Outgoing],
    url: str,
    timers: Timers,
) -> Callable[[Settings], Awaitable[Run]]:
    if kind == "relay":
        return lambda settings: run_relay(store, settings, url, timers)
    drained = kind == "drained floor"
    return lambda settings: run_floor(messages, settings, url, drained=drained)


async def measure(
    result: Result,
    store: ContractingStore,
    messages: Sequence[Outgoing],
    settings: Settings,
    url: str,
    rounds: int,
    profile: str | None,
) -> None:
    """Floor, drained floor and relay in turn, ``rounds`` times, each on a fresh stream."""
    timers = Timers()
    instrument_store(store, timers)
    admin_nc = await connect_once(url)
    admin = admin_nc.jetstream(timeout=10)
    # The relay calls publish_batch through its module's global: timed there, for these rounds.
    timed_publish = timers.wrap_async("publish + acks", publish_batch)
    try:
        with mock.patch.object(relay_module, "publish_batch", timed_publish):
            for round_ in range(1, rounds + 1):
                for kind in KINDS:
                    name = f"BENCH_{kind.replace(' ', '_').upper()}_{round_}"
                    run = runner(kind, store, messages, url, timers)
                    done = await on_fresh_stream(admin, settings, name, result.events, run)
                    result.runs[kind].append(done)
                    rate = result.events / done.seconds
                    print(f"  round {round_} {kind:<14}{rate:9.0f} events/s", flush=True)
        result.phases = dict(timers.seconds)
        if profile:
            profiles = Profiles()
            await on_fresh_stream(
                admin,
                settings,
                "BENCH_PROFILE",
                result.events,
                lambda s: run_profiled_relay(store, s, url, profiles),
            )
            write_profile(profiles, profile, result.events)
    finally:
        await admin_nc.close()


# --- output ------------------------------------------------------------------------------------


def write_profile(profiles: Profiles, path: str, events: int, top: int = 20) -> None:
    stats = profiles.stats()
    stats.dump_stats(path)
    rows: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for _, _, tt, _, _ in rows.values())
    print(f"\n  cProfile of one extra relay run (written to {path}), {top} costliest by own time:")
    print(f"    {'own us/ev':>9} {'cum us/ev':>9} {'calls':>9}  function")
    ranked = sorted(rows.items(), key=lambda item: item[1][2], reverse=True)
    for (file, line, function), (_, calls, tt, ct, _) in ranked[:top]:
        where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if line else file
        own, cumulative = tt / events * 1e6, ct / events * 1e6
        print(f"    {own:9.2f} {cumulative:9.2f} {calls:9d}  {function} ({where})")
    print(f"    {total / events * 1e6:9.2f} us/event in all (profiler overhead included)")


def report(r: Result, args: argparse.Namespace, sync: str) -> None:
    per_event = r.payload_bytes / r.events
    print(f"\n== {r.name}: {r.events} events, {per_event:.0f} B per CloudEvent payload")
    print(f"  in flight (window)   {args.batch:>9}   (--batch; the relay's relay_batch_size)")
    print(f"  nats-server sync     {sync}")
    print(
        f"  fill                 {r.fill_seconds:9.1f} s ({r.events / r.fill_seconds:.0f} events/s,"
        f" CommandBus, {args.fill_clients} clients; not in any ratio)"
    )
    print(
        f"  read + build all     {r.build_seconds:9.2f} s (the floor's messages, before its timing)"
    )
    rounds = "".join(f"{f'round {i}':>10}" for i in range(1, len(r.runs["relay"]) + 1))
    print(f"  events/s            {rounds}{'best':>10}")
    for kind in KINDS:
        rates = "".join(f"{r.events / run.seconds:10.0f}" for run in r.runs[kind])
        print(f"    {kind:<16}{rates}{r.best(kind):10.0f}")
    print(f"  client CPU us/event {rounds}{'least':>10}   (this process, all threads)")
    for kind in KINDS:
        cpu = [r.cpu_us(run) for run in r.runs[kind]]
        print(f"    {kind:<16}{''.join(f'{us:10.1f}' for us in cpu)}{min(cpu):10.1f}")
    floor, drained, relay = (r.best(kind) for kind in KINDS)
    print(f"  relay / floor        {relay / floor:9.2f}   (target >= 0.80)")
    print(f"  relay / drained      {relay / drained:9.2f}   (the relay's own work per batch)")
    print(f"  drained / floor      {drained / floor:9.2f}   (what draining every batch costs)")
    relay_seconds = sum(run.seconds for run in r.runs["relay"])
    phases = dict(r.phases)
    phases["CloudEvent build"] = phases.get("read + build", 0.0) - phases.get("store read", 0.0)
    accounted = sum(phases.get(phase, 0.0) for phase in PHASES)
    phases["rest"] = relay_seconds - accounted
    events = r.events * len(r.runs["relay"])
    print("  relay time per event (us), where it goes (all relay rounds):")
    for phase in (*PHASES, "rest"):
        us = phases.get(phase, 0.0) / events * 1e6
        print(f"    {phase:<18}{us:9.2f}  {phases.get(phase, 0.0) / relay_seconds:6.1%}")
    print(f"    {'total':<18}{relay_seconds / events * 1e6:9.2f}")
    print("    (rest: thread hand-offs of the store calls, position load, the loop)")


# --- main --------------------------------------------------------------------------------------


def server_config(store_dir: Path, sync: str) -> str:
    """Extra configuration for the embedded server: for ``default``, a ``jetstream`` block
    without ``sync_interval`` (the later block replaces the server's own)."""
    if sync == "always":
        return ""
    return f"jetstream {{\n  store_dir: {json.dumps(str(store_dir))}\n}}"


def effective_sync(server: EmbeddedNatsServer) -> str:
    """The running server's own word on its fsync policy (``/varz``)."""
    with urllib.request.urlopen(f"{server.monitor_url}/varz", timeout=5) as response:
        config = json.load(response)["jetstream"]["config"]
    if config.get("sync_always"):
        return "always (fsync before every ack)"
    return f"every {config.get('sync_interval', 0) / 1e9:.0f} s (the server's default)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="backlog size (at least)")
    parser.add_argument(
        "--batch",
        type=int,
        default=Settings.model_fields["relay_batch_size"].default,
        help="messages in flight: the relay's batch and the floors' window",
    )
    parser.add_argument("--rounds", type=int, default=2, help="runs of each kind, in turn")
    parser.add_argument("--sync", choices=("always", "default"), default="always")
    parser.add_argument("--fill-clients", type=int, default=8, help="threads filling the store")
    parser.add_argument(
        "--postgres-dsn", default=os.environ.get("CARE_CONTRACTS_TEST_POSTGRES_DSN") or None
    )
    parser.add_argument("--profile", help="write a cProfile of one extra SQLite relay run here")
    args = parser.parse_args(argv)
    if not 1 <= args.batch <= 10_000 or args.rounds < 1 or args.events < 1:
        parser.error("--batch must be 1..10000, --rounds and --events at least 1")
    # The relay logs connected/caught_up once per run: keep the table readable.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    catalog = load_catalog()
    print(f"python {sys.version.split()[0]}, pack {PACK.id}@{PACK.version}")

    with tempfile.TemporaryDirectory(prefix="cc-bench-relay-") as tmp:
        nats_dir = Path(tmp) / "nats"
        with EmbeddedNatsServer(nats_dir, extra_config=server_config(nats_dir, args.sync)) as srv:
            sync = effective_sync(srv)
            print(f"nats-server {srv.url} (embedded), sync {sync}")
            settings = Settings(data_dir=Path(tmp) / "data", relay_batch_size=args.batch)
            report(run_backend("SQLite", settings, catalog, srv.url, args), args, sync)
            if args.postgres_dsn:
                run_postgres(args, catalog, srv.url, Path(tmp), sync)
            else:
                print(
                    "\nPostgreSQL skipped: give --postgres-dsn or set"
                    " CARE_CONTRACTS_TEST_POSTGRES_DSN"
                )
    return 0


def run_postgres(
    args: argparse.Namespace, catalog: PolicyCatalog, url: str, tmp: Path, sync: str
) -> None:
    schema = f"cc_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(args.postgres_dsn, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        settings = Settings(
            data_dir=tmp / "pg-data",
            postgres_dsn=SecretStr(args.postgres_dsn),
            postgres_schema=schema,
            relay_batch_size=args.batch,
        )
        result = run_backend(f"PostgreSQL (schema {schema})", settings, catalog, url, args)
        report(result, args, sync)
    finally:
        with psycopg.connect(args.postgres_dsn, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    sys.exit(main())
