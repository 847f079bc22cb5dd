"""In-process command throughput through the real CommandBus, next to eventsourcing's own floor.

    python bench/store_throughput.py [--cycles N] [--clients N] [--contract-events N]
                                     [--postgres-dsn DSN] [--profile FILE]

One cycle is a provider's whole way on the real zz-2027-msz pack: submit, complete, metrics,
every applicable requirement and exclusion ground, approve, offer, sign; each step is one
command through ``CommandBus.execute`` on a ``ContractingStore`` with the default settings.
The floor is a plain eventsourcing ``Application`` with the same persistence settings and the
default mapper and recorder saving a trivial one-event aggregate, measured in the same run.
Printed: commands/s, events/s, their ratio to the floor, where a command's time goes (timers
wrapped around the bus's replay check, the handler, ``store.save`` and inside it the mapper and
the recorder, here in the bench, never in product code), and the time to load a contract of
``--contract-events`` events cold (no aggregate cache) without and with snapshots. A second run
has ``--clients`` threads run cycles at once through a bus with group commit (as the HTTP API's
worker threads will), against the floor saving sequentially and from as many threads.

SQLite always runs (a fresh temporary file); PostgreSQL runs when ``--postgres-dsn`` is given or
``CARE_CONTRACTS_TEST_POSTGRES_DSN`` is set (a fresh schema, dropped afterwards). Figures are for
comparing runs on one machine, not targets for tests.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from pydantic import SecretStr

from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.dates import AMSTERDAM
from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.model import PackRef, Route, RuleKind
from care_contracts.domain.policy.rules import ApplicationProfile, applies_to
from care_contracts.services.clock import FixedClock
from care_contracts.services.commands.applications import (
    ApproveApplication,
    MarkApplicationComplete,
    RecordApplicationMetrics,
    RecordExclusionFinding,
    RecordRequirementOutcome,
    SubmitApplication,
)
from care_contracts.services.commands.base import Command, CommandContext
from care_contracts.services.commands.bus import CommandBus, CommandRegistry
from care_contracts.services.commands.contracts import OfferContract, SignContract
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.policy.loader import load_catalog
from care_contracts.services.settings import Settings, eventsourcing_env
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.group_commit import GroupCommitter
from care_contracts.services.store.metadata import Actor, EventMetadata, Role, recording

PACK = PackRef(id="zz-2027-msz", version="1.1")
MAATWERK = "ZZ-MSZ-CT-MAATWERK"
INTEGRITY = "ZZ-EXCL-NEGATIVE-INTEGRITY"
AT = datetime(2027, 3, 10, 10, 0, tzinfo=AMSTERDAM)
METRICS: dict[str, bool | str | Decimal] = {
    "vecozo_certificate_valid": True,
    "agb_valid_for_term": True,
    "kvk_registered": True,
    "wtza_compliant": True,
    "big_compliant": True,
    "medical_staff_big_registered": True,
    "specialists_rgs_registered": True,
    "nen8009_certified": True,
    "quality_certificate": "hkz",
    "specialist_fte": Decimal("1.5"),
    "institution_kind": "zbc",
}
OFFICER = Actor(role=Role.OFFICER, subject="bench-officer", insurer="zorg-en-zekerheid")
PHASES = (
    "replay check",
    "handler",
    "  of which load",
    "    of which read",
    "save",
    "  of which mapper",
    "  of which insert",
)


# --- timers ------------------------------------------------------------------------------------


@dataclass
class Timers:
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed

    def reset(self) -> None:
        self.seconds.clear()


def instrument(store: ContractingStore, bus: CommandBus, timers: Timers) -> None:
    """Timers around the bus's phases, set on these instances only."""
    bus._replay = timers.wrap("replay check", bus._replay)  # type: ignore[method-assign]
    store.save = timers.wrap("save", store.save)  # type: ignore[method-assign]
    store.repository.get = timers.wrap("  of which load", store.repository.get)  # type: ignore[method-assign]
    mapper = store.mapper
    mapper.to_stored_event = timers.wrap("  of which mapper", mapper.to_stored_event)  # type: ignore[method-assign]
    recorder = store.recorder
    recorder.insert_events = timers.wrap("  of which insert", recorder.insert_events)  # type: ignore[method-assign]
    # The aggregate cache fast-forwards: every cached load still reads the newer events.
    recorder.select_events = timers.wrap("    of which read", recorder.select_events)  # type: ignore[method-assign]


def timed_registry(timers: Timers) -> CommandRegistry:
    registry = CommandRegistry()
    source = all_handlers()
    for command_type in source.command_types:
        registry.handles(command_type)(timers.wrap("handler", source.handler_for(command_type)))
    return registry


# --- the cycle ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    hard: tuple[str, ...]
    soft: tuple[str, ...]
    grounds: tuple[str, ...]


def assessment(pack: ResolvedPack) -> Assessment:
    profile = ApplicationProfile(sub_type="zbc", is_new_provider=False, route=Route.APPLICATION)
    applicable = [r for r in pack.requirements if applies_to(r.applies, profile)]
    return Assessment(
        hard=tuple(r.code for r in applicable if r.kind is RuleKind.HARD),
        soft=tuple(r.code for r in applicable if r.kind is RuleKind.SOFT),
        grounds=tuple(
            g.code
            for g in pack.exclusion_grounds
            if g.code != INTEGRITY and applies_to(g.applies, profile)
        ),
    )


def cycle_commands(
    n: int, plan: Assessment
) -> Iterator[tuple[Actor, Callable[[dict[str, str]], Command]]]:
    """The commands of cycle ``n``; later ones read ids from earlier results."""
    agb = f"{30_000_000 + n:08d}"
    provider = Actor(role=Role.PROVIDER, subject=agb)  # a provider acts on its own AGB code only
    yield (
        provider,
        lambda _: SubmitApplication(
            agb_enterprise=agb,
            kvk="12345678",
            name=f"Kliniek {n}",
            city="Goes",
            postcode="4461 AB",
            insurer="zorg-en-zekerheid",
            year=2027,
            care_type="msz",
            sub_type="zbc",
            is_new_provider=False,
        ),
    )
    yield OFFICER, lambda ids: MarkApplicationComplete(application_id=ids["application_id"])
    yield (
        OFFICER,
        lambda ids: RecordApplicationMetrics(
            application_id=ids["application_id"], metrics=METRICS, evidence="officer check"
        ),
    )
    for code in plan.hard:
        yield (
            OFFICER,
            lambda ids, code=code: RecordRequirementOutcome(
                application_id=ids["application_id"], code=code, evidence="register look-up"
            ),
        )
    for code in plan.soft:
        yield (
            OFFICER,
            lambda ids, code=code: RecordRequirementOutcome(
                application_id=ids["application_id"],
                code=code,
                outcome="met",
                evidence="declaration",
                motivation="declaration checked against the policy text",
            ),
        )
    for code in plan.grounds:
        yield (
            OFFICER,
            lambda ids, code=code: RecordExclusionFinding(
                application_id=ids["application_id"],
                code=code,
                present=False,
                subject="provider",
                evidence="register and file check",
            ),
        )
    yield (
        OFFICER,
        lambda ids: ApproveApplication(
            application_id=ids["application_id"], contract_type=MAATWERK
        ),
    )
    yield OFFICER, lambda ids: OfferContract(application_id=ids["application_id"])
    yield provider, lambda ids: SignContract(contract_id=ids["contract_id"], vecozo_ref="VZ-1")


def run_cycle(bus: CommandBus, n: int, plan: Assessment) -> tuple[int, int, dict[str, str]]:
    ids: dict[str, str] = {}
    commands = events = 0
    for actor, build in cycle_commands(n, plan):
        outcome = bus.execute(build(ids), CommandContext(actor=actor))
        for key in ("application_id", "contract_id"):
            value = (outcome.result or {}).get(key)
            if isinstance(value, str):
                ids[key] = value
        commands += 1
        events += len(outcome.events)
    if not ids.get("contract_id"):
        raise RuntimeError(f"cycle {n} made no contract")
    return commands, events, ids


# --- the floor ---------------------------------------------------------------------------------


class Ping(Aggregate):
    @event("Pinged")
    def __init__(self) -> None:
        pass


def floor_settings(settings: Settings, sqlite_path: Path | None) -> dict[str, str]:
    """The store's persistence settings with eventsourcing's own recorder and mapper."""
    env = eventsourcing_env(settings)
    env.pop("APPLICATION_RECORDER_TOPIC")
    env["IS_SNAPSHOTTING_ENABLED"] = "n"
    if sqlite_path is not None:
        env["SQLITE_DBNAME"] = str(sqlite_path)
    return env


class Floor:
    """eventsourcing's own ``save`` of a one-event aggregate, timed in blocks between cycles so
    that both figures see the same moments of a shared, noisy machine."""

    def __init__(self, env: dict[str, str]) -> None:
        self.app: Application[uuid.UUID] = Application(env=env)
        self.saves = 0
        self.seconds = 0.0
        for _ in range(50):  # warm-up
            self._save()

    def _save(self) -> None:
        self.app.save(Ping())

    def run(self, saves: int) -> None:
        started = time.perf_counter()
        for _ in range(saves):
            self._save()
        self.seconds += time.perf_counter() - started
        self.saves += saves

    @property
    def rate(self) -> float:
        return self.saves / self.seconds

    def concurrent_rate(self, saves: int, threads: int) -> float:
        """Saves/s with ``threads`` threads saving at once (eventsourcing has no group commit)."""
        each = max(1, saves // threads)
        workers = [
            threading.Thread(target=lambda: [self.app.save(Ping()) for _ in range(each)])
            for _ in range(threads)
        ]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return each * threads / (time.perf_counter() - started)

    def close(self) -> None:
        self.app.close()


class StoreFloor(Floor):
    """The same trivial save through the ContractingStore itself: its mapper (metadata envelope)
    and recorder (hash chain). The gap between the two floors is what integrity costs; the gap
    from this floor to the command figures is what command handling costs."""

    META = EventMetadata(command_id="floor", command="Ping", correlation_id="floor", actor=OFFICER)

    def __init__(self, settings: Settings) -> None:
        self.app = ContractingStore(settings.model_copy(update={"snapshot_interval": 0}))
        self.saves = 0
        self.seconds = 0.0
        for _ in range(50):
            self._save()

    def _save(self) -> None:
        with recording(self.META):
            self.app.save(Ping())


# --- a long contract ---------------------------------------------------------------------------


def build_long_contract(settings: Settings, catalog: PolicyCatalog, events: int) -> uuid.UUID:
    """One contract with ``events`` events: one bus cycle, then amendments saved 100 at a time."""
    store = ContractingStore(settings)
    try:
        bus = CommandBus(store, FixedClock(AT), catalog, all_handlers())
        _, _, ids = run_cycle(bus, 9_000_000, assessment(catalog.get(PACK)))
        contract_id = uuid.UUID(ids["contract_id"])
        contract = store.repository.get(contract_id)
        assert isinstance(contract, Contract)
        meta = EventMetadata(
            command_id="bench-amendments",
            command="AmendContract",
            correlation_id="bench",
            actor=OFFICER,
        )
        n = contract.version
        while n < events:
            for _ in range(min(100, events - n)):
                n += 1
                contract.amend(at=AT, description=f"amendment {n}", effective_on=date(2027, 6, 1))
            with recording(meta):
                store.save(contract)
        return contract_id
    finally:
        store.close()


def cold_load_seconds(settings: Settings, contract_id: uuid.UUID, repeat: int = 3) -> float:
    store = ContractingStore(settings)
    try:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            store.repository.get(contract_id)
            times.append(time.perf_counter() - started)
        return min(times)
    finally:
        store.close()


# --- one backend -------------------------------------------------------------------------------


@dataclass
class Result:
    commands: int
    events: int
    seconds: float
    floor: float
    store_floor: float
    phases: dict[str, float]
    load_replay: float
    load_snapshot: float
    snapshot_interval: int


def run_backend(
    name: str,
    settings: Settings,
    floor_env: dict[str, str],
    catalog: PolicyCatalog,
    args: argparse.Namespace,
) -> Result:
    timers = Timers()
    store = ContractingStore(settings)
    bus = CommandBus(store, FixedClock(AT), catalog, timed_registry(timers))
    instrument(store, bus, timers)
    plan = assessment(catalog.get(PACK))
    floor = Floor(floor_env)
    store_floor = StoreFloor(settings)
    try:
        for n in range(2):  # warm-up: adapters, caches, connections
            run_cycle(bus, n, plan)
        timers.reset()
        commands = events = 0
        seconds = 0.0
        for n in range(2, 2 + args.cycles):
            started = time.perf_counter()
            c, e, _ = run_cycle(bus, n, plan)
            seconds += time.perf_counter() - started
            commands += c
            events += e
            floor.run(c)  # as many saves as the cycle had commands, right after it
            store_floor.run(c)
        phases = dict(timers.seconds)
        if args.profile and name == "sqlite":  # extra cycles, not in the figures above
            profiler = cProfile.Profile()
            profiler.enable()
            for n in range(2 + args.cycles, 2 + 2 * args.cycles):
                run_cycle(bus, n, plan)
            profiler.disable()
            profiler.dump_stats(args.profile)
    finally:
        floor.close()
        store_floor.close()
        store.close()
    floor_rate = floor.rate

    interval = 100
    snapshotting = settings.model_copy(update={"snapshot_interval": interval})
    contract_id = build_long_contract(snapshotting, catalog, args.contract_events)
    cold = {"aggregate_cache_size": 0}
    load_replay = cold_load_seconds(
        settings.model_copy(update={**cold, "snapshot_interval": 0}), contract_id
    )
    load_snapshot = cold_load_seconds(
        settings.model_copy(update={**cold, "snapshot_interval": interval}), contract_id
    )
    return Result(
        commands,
        events,
        seconds,
        floor_rate,
        store_floor.rate,
        phases,
        load_replay,
        load_snapshot,
        interval,
    )


@dataclass
class ConcurrentResult:
    clients: int
    commands: int
    events: int
    seconds: float
    batches: int
    floor_sequential: float
    floor_concurrent: float


def run_concurrent(
    settings: Settings,
    floor_env: dict[str, str],
    catalog: PolicyCatalog,
    args: argparse.Namespace,
) -> ConcurrentResult:
    """``--clients`` threads run whole cycles at once through one bus with a group committer,
    as the HTTP API's worker threads would; the floor is measured sequentially (eventsourcing's
    ``save`` as it is) and with as many threads saving at once."""
    store = ContractingStore(settings)
    committer = GroupCommitter(store)
    bus = CommandBus(store, FixedClock(AT), catalog, all_handlers(), committer=committer)
    plan = assessment(catalog.get(PACK))
    floor = Floor(floor_env)
    lock = threading.Lock()
    totals = {"commands": 0, "events": 0}
    numbers = itertools.count(1_000_000)
    per_client = max(1, args.cycles // args.clients)

    def client() -> None:
        for _ in range(per_client):
            with lock:
                n = next(numbers)
            c, e, _ = run_cycle(bus, n, plan)
            with lock:
                totals["commands"] += c
                totals["events"] += e

    try:
        run_cycle(bus, next(numbers), plan)  # warm-up
        committer.batches = committer.saves = 0
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        floor.run(totals["commands"])
        floor_concurrent = floor.concurrent_rate(totals["commands"], args.clients)
    finally:
        floor.close()
        store.close()
    return ConcurrentResult(
        args.clients,
        totals["commands"],
        totals["events"],
        seconds,
        committer.batches,
        floor.rate,
        floor_concurrent,
    )


def report_concurrent(name: str, r: ConcurrentResult) -> None:
    commands_s = r.commands / r.seconds
    print(f"\n== {name}, {r.clients} concurrent clients, group commit: {r.commands} commands")
    print(f"  commands/s            {commands_s:9.1f}")
    print(f"  events/s              {r.events / r.seconds:9.1f}")
    print(f"  commands per commit   {r.commands / max(r.batches, 1):9.2f}")
    print(f"  floor saves/s         {r.floor_sequential:9.1f}   (one thread)")
    print(f"  floor saves/s         {r.floor_concurrent:9.1f}   ({r.clients} threads)")
    print(f"  events/s / floor      {r.events / r.seconds / r.floor_sequential:9.2f}")
    print(f"  commands/s / floor    {commands_s / r.floor_sequential:9.2f}")
    print(f"  commands/s / floor at {r.clients} threads {commands_s / r.floor_concurrent:5.2f}")


def report(name: str, r: Result, args: argparse.Namespace) -> None:
    per_cycle = r.commands // args.cycles
    commands_s = r.commands / r.seconds
    events_s = r.events / r.seconds
    print(f"\n== {name}: {args.cycles} cycles x {per_cycle} commands ({r.events} events)")
    print(f"  commands/s            {commands_s:9.1f}")
    print(f"  events/s              {events_s:9.1f}")
    print(f"  floor saves/s         {r.floor:9.1f}   (eventsourcing save, one-event aggregate,")
    print("                                   timed between the cycles, as many as commands)")
    print(f"  events/s / floor      {events_s / r.floor:9.2f}")
    print(f"  commands/s / floor    {commands_s / r.floor:9.2f}")
    print(
        f"  store floor saves/s   {r.store_floor:9.1f}   (the same save through ContractingStore:"
    )
    print("                                   metadata envelope and hash chain)")
    print(f"  store floor / floor   {r.store_floor / r.floor:9.2f}   (what integrity costs)")
    handling = commands_s / r.store_floor
    print(f"  commands/s / store floor {handling:6.2f}   (what command handling costs)")
    print("  time per command (ms), where it goes:")
    total_ms = r.seconds / r.commands * 1000
    for phase in PHASES:
        ms = r.phases.get(phase, 0.0) / r.commands * 1000
        print(f"    {phase:<20}{ms:8.3f}  {ms / total_ms:6.1%}")
    accounted = sum(r.phases.get(p, 0.0) for p in ("replay check", "handler", "save"))
    other_ms = (r.seconds - accounted) / r.commands * 1000
    print(f"    {'bus, rest':<20}{other_ms:8.3f}  {other_ms / total_ms:6.1%}")
    print(f"    {'total':<20}{total_ms:8.3f}")
    print(f"  cold load of a {args.contract_events}-event contract (best of 3):")
    print(f"    full replay         {r.load_replay * 1000:9.1f} ms")
    print(f"    snapshot every {r.snapshot_interval:<4} {r.load_snapshot * 1000:9.1f} ms")
    print(f"    speed-up            {r.load_replay / r.load_snapshot:9.1f} x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--contract-events", type=int, default=10_000)
    parser.add_argument(
        "--postgres-dsn", default=os.environ.get("CARE_CONTRACTS_TEST_POSTGRES_DSN") or None
    )
    parser.add_argument("--profile", help="write a cProfile of the SQLite cycles to this file")
    parser.add_argument(
        "--clients", type=int, default=8, help="threads for the concurrent, group-commit run"
    )
    args = parser.parse_args(argv)
    catalog = load_catalog()
    print(f"python {sys.version.split()[0]}, pack {PACK.id}@{PACK.version}")

    with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        floor = floor_settings(settings, Path(tmp) / "floor.sqlite")
        report("SQLite", run_backend("sqlite", settings, floor, catalog, args), args)
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        floor = floor_settings(settings, Path(tmp) / "floor.sqlite")
        report_concurrent("SQLite", run_concurrent(settings, floor, catalog, args))

    if args.postgres_dsn:
        schema = f"cc_bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(args.postgres_dsn, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        try:
            with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
                settings = Settings(
                    data_dir=Path(tmp) / "data",
                    postgres_dsn=SecretStr(args.postgres_dsn),
                    postgres_schema=schema,
                )
                floor = floor_settings(settings, None)
                result = run_backend("postgres", settings, floor, catalog, args)
                report(f"PostgreSQL (schema {schema})", result, args)
                report_concurrent("PostgreSQL", run_concurrent(settings, floor, catalog, args))
        finally:
            with psycopg.connect(args.postgres_dsn, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    else:
        print("\nPostgreSQL skipped: give --postgres-dsn or set CARE_CONTRACTS_TEST_POSTGRES_DSN")
    return 0


if __name__ == "__main__":
    sys.exit(main())
