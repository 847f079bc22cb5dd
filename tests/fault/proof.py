"""The scale-out fault proof: a 3-node NATS cluster, PostgreSQL, two service instances, faults.

Three nats-server processes form a JetStream cluster on free loopback ports; two
``care-contracts serve`` processes share one PostgreSQL event store (a schema of this run's own)
and each keep their read models in a schema of their own; the stream has 3 replicas. Worker
threads drive whole lifecycles over HTTP, command by command across both instances. Then:

1. the node that leads the stream is SIGKILLed, and restarted after a phase;
2. the instance that holds the relay lease is SIGKILLed, and restarted after a phase.

Afterwards both instances' simulated clocks move past the open offers' signing deadline, so both
deadline watchers race to expire them. The proof checks, and reports as violations:

- every accepted command's events are in the store under its command id;
- every stored event is on the stream exactly once by id, each aggregate's in version order;
- two instances given the same stale version accept one command and refuse the other;
- each open offer expired exactly once, each signed contract never;
- both instances' read models reach the stream's end and hold the same rows.

It measures and prints the stream leader's failover (kill to a new leader, and to the first
message stored after the kill), the relay takeover (kill to the lease held by the other
instance, and to the first message stored after the kill), and commands accepted per second
before, during and after each fault. Nothing is asserted on time.

Run it alone: ``.venv/bin/python -m tests.fault.proof --phase-seconds 20`` (from the repository,
with ``CARE_CONTRACTS_TEST_POSTGRES_DSN`` set); ``tests/fault/test_scale_out.py`` runs it in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx2
import psycopg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.api.tokens import TokenGrant, TokenStore, open_token_store
from care_contracts.services.audit.history import history
from care_contracts.services.bootstrap import build
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.applications import (
    MarkApplicationComplete,
    RecordApplicationMetrics,
)
from care_contracts.services.events.envelope import event_id
from care_contracts.services.nats.connect import connect_once
from care_contracts.services.policy.loader import load_catalog
from care_contracts.services.relay.lease import DEFAULT_BUCKET
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.metadata import Role
from tests.fault.cluster import NatsCluster
from tests.fault.instances import ServiceInstance
from tests.fault.load import CommandLog, FailoverSteps, LoadResult, run_load
from tests.integration.lifecycle_steps import (
    GZSP_MAATWERK_METRICS,
    provider_actor,
    submission,
)

__all__ = ["ProofReport", "run_proof"]

START = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)  # applications are open; offers sign by 2026
PAST_THE_DEADLINES = datetime(2027, 1, 20, 8, 0, tzinfo=UTC)
STREAM = "CONTRACTING"  # the settings' default: the cluster is this run's own
_POLL_S = 0.05
_SETTLE_TIMEOUT_S = 120.0
_CONFLICT_PAIRS = 8
_CONFLICT_CODES = {"aggregate_version_mismatch", "concurrent_write_conflict"}  # 412, 409


@dataclass
class ProofReport:
    phase_s: float
    workers: int
    lease_ttl_s: float
    figures: dict[str, float | int | str] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"fault proof: 3 nats-server nodes (stream R3, sync_interval always), PostgreSQL,"
            f" 2 instances; {self.workers} load workers, {self.phase_s:g} s phases,"
            f" relay lease TTL {self.lease_ttl_s:g} s",
        ]
        out += [f"  {key}: {value}" for key, value in self.figures.items()]
        out.append("  commands accepted per second:")
        out += [f"    {phase:<32} {rate:8.1f}" for phase, rate in self.rates.items()]
        out.append(
            "  violations: none"
            if not self.violations
            else "  VIOLATIONS:\n" + "\n".join(f"    - {v}" for v in self.violations)
        )
        return out


# --- observing the cluster ------------------------------------------------------------------


Probe = Callable[[Any], Awaitable[bool]]


async def _poll(
    urls: str, probe: Probe, timeout_s: float, since: float | None = None
) -> float | None:
    """Seconds from ``since`` (default: now) until ``probe(js)`` is true, reconnecting across
    node deaths; None on timeout."""
    started = time.monotonic() if since is None else since
    nc = None
    try:
        while time.monotonic() - started < timeout_s:
            try:
                if nc is None:
                    nc = await connect_once(urls, timeout_s=1)
                if await probe(nc.jetstream(timeout=1)):
                    return time.monotonic() - started
            except Exception:  # a dead node, no leader yet, a timeout: look again
                if nc is not None:
                    await nc.close()
                nc = None
            await asyncio.sleep(_POLL_S)
        return None
    finally:
        if nc is not None:
            await nc.close()


def _stream_info(urls: str) -> tuple[str | None, int]:
    """The stream's leader (server name) and last sequence."""
    found: list[tuple[str | None, int]] = []

    async def probe(js: Any) -> bool:
        info = await js.stream_info(STREAM)
        found.append((info.cluster.leader if info.cluster else None, info.state.last_seq))
        return True

    asyncio.run(_poll(urls, probe, 30))
    if not found:
        raise RuntimeError("the stream's info could not be read within 30 s")
    return found[-1]


def _lease_holder(urls: str) -> str | None:
    holders: list[str | None] = []

    async def probe(js: Any) -> bool:
        kv = await js.key_value(DEFAULT_BUCKET)
        try:
            entry = await kv.get(STREAM)
        except Exception:
            holders.append(None)
            return True
        holders.append(json.loads(entry.value or b"{}").get("holder"))
        return True

    asyncio.run(_poll(urls, probe, 30))
    return holders[-1] if holders else None


def _new_leader(killed: str) -> Probe:
    async def probe(js: Any) -> bool:
        info = await js.stream_info(STREAM)
        return info.cluster is not None and info.cluster.leader not in (None, killed)

    return probe


def _stream_holds_more_than(count: int) -> Probe:
    """With exactly-once publishing: every event stored before the kill, and one more."""

    async def probe(js: Any) -> bool:
        return bool((await js.stream_info(STREAM)).state.last_seq > count)

    return probe


def _lease_moved_from(killed: str) -> Probe:
    async def probe(js: Any) -> bool:
        kv = await js.key_value(DEFAULT_BUCKET)
        entry = await kv.get(STREAM)
        holder = json.loads(entry.value or b"{}").get("holder")
        return holder is not None and holder != killed

    return probe


def _measure(urls: str, since: float, probes: dict[str, Probe]) -> dict[str, float | None]:
    """Each probe's time from ``since`` until it holds, all watched at once."""

    async def watch() -> list[float | None]:
        return await asyncio.gather(*(_poll(urls, p, 60, since) for p in probes.values()))

    return dict(zip(probes, asyncio.run(watch()), strict=True))


def _replicas(urls: str) -> dict[str, int]:
    """Replicas of the stream and of the lease bucket: on a cluster, both must survive a node."""
    found: dict[str, int] = {}

    async def probe(js: Any) -> bool:
        for name in (STREAM, f"KV_{DEFAULT_BUCKET}"):
            found[name] = (await js.stream_info(name)).config.num_replicas
        return True

    asyncio.run(_poll(urls, probe, 30))
    return found


def _stream_messages(urls: str) -> list[tuple[int, str, dict[str, Any]]]:
    """(sequence, Nats-Msg-Id, CloudEvent) of every message, in stream order."""

    async def read() -> list[tuple[int, str, dict[str, Any]]]:
        nc = await connect_once(urls, timeout_s=2)
        try:
            js = nc.jetstream(timeout=5)
            last = (await js.stream_info(STREAM)).state.last_seq
            subscription = await js.pull_subscribe(
                "contracting.>",
                stream=STREAM,
                config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL),
            )
            messages: list[tuple[int, str, dict[str, Any]]] = []
            while not messages or messages[-1][0] < last:
                for message in await subscription.fetch(1000, timeout=5):
                    headers = message.headers or {}
                    messages.append(
                        (
                            message.metadata.sequence.stream,
                            headers.get("Nats-Msg-Id", ""),
                            json.loads(message.data),
                        )
                    )
            await subscription.unsubscribe()
            return messages
        finally:
            await nc.close()

    return asyncio.run(read())


# --- the store and the read models ----------------------------------------------------------


def _stored_events(store: ContractingStore) -> list[tuple[int, str, UUID, int, str]]:
    """(position, event id, aggregate id, version, topic) of every stored event, in log order."""
    out = []
    start = 1
    while True:
        page = store.recorder.select_notifications(start=start, limit=5000)
        if not page:
            return out
        for n in page:
            aggregate = UUID(str(n.originator_id))
            out.append(
                (
                    n.id,
                    event_id(aggregate, n.originator_version),
                    aggregate,
                    n.originator_version,
                    n.topic,
                )
            )
        start = page[-1].id + 1


def _read_model_rows(dsn: str, schema: str) -> dict[str, list[tuple[str, ...]]]:
    """Every read-model table's rows, sorted; the state table as (name, generation, position)."""
    rows: dict[str, list[tuple[str, ...]]] = {}
    with psycopg.connect(dsn) as connection:
        tables = [
            r[0]
            for r in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        ]
        for table in sorted(tables):
            if table == "projection_state":
                query = (
                    f'SELECT name, generation, last_sequence, status FROM "{schema}".{table}'
                    " WHERE active = 1"
                )
            else:
                query = f'SELECT * FROM "{schema}"."{table}"'
            rows[table] = sorted(
                tuple("" if v is None else str(v) for v in row) for row in connection.execute(query)
            )
    return rows


def _projection_positions(dsn: str, schema: str) -> dict[str, int]:
    with psycopg.connect(dsn) as connection:
        try:
            found = connection.execute(
                f'SELECT name, last_sequence FROM "{schema}".projection_state WHERE active = 1'
            ).fetchall()
        except psycopg.errors.UndefinedTable:
            return {}
    return {name: int(sequence) for name, sequence in found}


def _wait(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


# --- the proof ------------------------------------------------------------------------------


@contextmanager
def _schemas(dsn: str, names: list[str]) -> Iterator[None]:
    """The run's schemas, created (as an operator would) and dropped afterwards."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        for name in names:
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{name}"')
    try:
        yield
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            for name in names:
                connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _conflict_probe(
    steps_a: FailoverSteps, steps_b: FailoverSteps, report: ProofReport
) -> list[tuple[UUID, int]]:
    """Pairs of commands with the same stale version, one to each instance, at once."""
    raced: list[tuple[UUID, int]] = []
    outcomes: Counter[str] = Counter()
    for pair in range(_CONFLICT_PAIRS):
        agb = f"0799{pair:04d}"
        submitted = steps_a.run(submission(agb, "gzsp"), provider_actor(agb))
        completed = steps_a.run(MarkApplicationComplete(application_id=submitted.aggregate_id))
        barrier = threading.Barrier(2)
        results: list[str] = []

        def send(
            steps: FailoverSteps,
            aggregate: UUID = submitted.aggregate_id,
            version: int = completed.version,
            barrier: threading.Barrier = barrier,
            results: list[str] = results,
        ) -> None:
            command = RecordApplicationMetrics(
                application_id=aggregate, metrics=GZSP_MAATWERK_METRICS, evidence="race"
            )
            barrier.wait()
            try:
                steps.run(command, expected_version=version)
                results.append("accepted")
            except Exception as error:
                results.append(getattr(error, "code", type(error).__name__))

        threads = [threading.Thread(target=send, args=(s,)) for s in (steps_a, steps_b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        outcomes.update(results)
        refused = [r for r in results if r != "accepted"]
        if len(results) != 2 or len(refused) != 1 or refused[0] not in _CONFLICT_CODES:
            report.violations.append(f"conflict pair {pair}: {results}, not one accepted")
        raced.append((submitted.aggregate_id, completed.version + 1))
    report.figures["conflicting pairs (one to each instance)"] = f"{_CONFLICT_PAIRS}: " + ", ".join(
        f"{k} {v}" for k, v in sorted(outcomes.items())
    )
    return raced


def run_proof(
    dsn: str, work_dir: Path, *, phase_s: float = 8.0, workers: int = 4, lease_ttl_s: float = 3.0
) -> ProofReport:
    report = ProofReport(phase_s=phase_s, workers=workers, lease_ttl_s=lease_ttl_s)
    run_id = uuid.uuid4().hex[:8]
    schema = f"fault_{run_id}"
    read_schemas = {"a": f"fault_{run_id}_a", "b": f"fault_{run_id}_b"}
    catalog: PolicyCatalog = load_catalog()
    with ExitStack() as stack:
        stack.enter_context(_schemas(dsn, [schema, *read_schemas.values()]))
        cluster = stack.enter_context(NatsCluster(work_dir / "nats"))
        instances = {
            name: ServiceInstance(
                name=name,
                data_dir=work_dir / name,
                postgres_dsn=dsn,
                postgres_schema=schema,
                read_store_schema=read_schema,
                nats_urls=cluster.urls,
                clock_start=START,
                lease_ttl_s=lease_ttl_s,
            )
            for name, read_schema in read_schemas.items()
        }
        for instance in instances.values():
            stack.callback(instance.stop)
            instance.start()
        settings = Settings(
            postgres_dsn=dsn, postgres_schema=schema, aggregate_cache_size=0, nats_url=cluster.urls
        )
        reading = build(settings, clock=SimulatedClock(START))
        stack.callback(reading.close)
        tokens = open_token_store(settings)
        stack.callback(tokens.close)
        _prove(report, cluster, instances, reading.store, tokens, catalog, dsn, read_schemas)
    return report


def _prove(
    report: ProofReport,
    cluster: NatsCluster,
    instances: dict[str, ServiceInstance],
    store: ContractingStore,
    tokens: TokenStore,
    catalog: PolicyCatalog,
    dsn: str,
    read_schemas: dict[str, str],
) -> None:
    clock = SimulatedClock(START)
    api_urls = [(name, instance.api_url) for name, instance in instances.items()]
    log = CommandLog()
    with (
        httpx2.Client(base_url=api_urls[0][1], timeout=30) as a,
        httpx2.Client(base_url=api_urls[1][1], timeout=30) as b,
    ):
        probe_steps = [
            FailoverSteps(None, store, clock, catalog, tokens=tokens, instances=[(n, c)], log=log)  # type: ignore[arg-type]
            for n, c in (("a", a), ("b", b))
        ]
        raced = _conflict_probe(probe_steps[0], probe_steps[1], report)

    stop = threading.Event()
    marks: dict[str, float] = {"load started": time.monotonic()}
    load, threads = run_load(
        workers=report.workers,
        stop=stop,
        api_urls=api_urls,
        store=store,
        tokens=tokens,
        clock=clock,
        catalog=catalog,
        log=log,
    )
    try:
        time.sleep(report.phase_s)

        leader, _ = _stream_info(cluster.urls)
        stored_at_kill = len(_stored_events(store))  # a count: positions may have gaps
        marks["stream leader killed"] = time.monotonic()
        cluster.kill(str(leader))
        took = _measure(
            cluster.urls,
            marks["stream leader killed"],
            {"leader": _new_leader(str(leader)), "grown": _stream_holds_more_than(stored_at_kill)},
        )
        new_leader, grown = took["leader"], took["grown"]
        report.figures["stream leader killed"] = str(leader)
        report.figures["stream leader failover: kill -> new leader (s)"] = _fmt(new_leader)
        report.figures["stream leader failover: kill -> stream past the store at the kill (s)"] = (
            _fmt(grown)
        )
        _sleep_until(marks["stream leader killed"] + report.phase_s)
        cluster.restart(str(leader))
        marks["stream leader restarted"] = time.monotonic()
        time.sleep(report.phase_s)

        holder = _lease_holder(cluster.urls)
        if holder not in instances:
            report.violations.append(f"the relay lease is held by {holder!r}, not an instance")
            return
        stored_at_kill = len(_stored_events(store))  # a count: positions may have gaps
        marks["lease holder killed"] = time.monotonic()
        instances[holder].kill()
        took = _measure(
            cluster.urls,
            marks["lease holder killed"],
            {"lease": _lease_moved_from(holder), "grown": _stream_holds_more_than(stored_at_kill)},
        )
        moved, grown = took["lease"], took["grown"]
        report.figures["relay lease holder killed"] = f"instance {holder}"
        report.figures["relay takeover: kill -> lease held by the other (s)"] = _fmt(moved)
        report.figures["relay takeover: kill -> stream past the store at the kill (s)"] = _fmt(
            grown
        )
        _sleep_until(marks["lease holder killed"] + report.phase_s)
        instances[holder].start()
        marks["instance restarted"] = time.monotonic()
        time.sleep(report.phase_s)
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
        marks["load stopped"] = time.monotonic()

    report.violations += [f"load {e}" for e in load.errors]
    _rates(report, log, marks)
    _settle_and_check(report, cluster, instances, store, tokens, dsn, read_schemas, log, load)
    _check_raced(report, store, raced)


def _rates(report: ProofReport, log: CommandLog, marks: dict[str, float]) -> None:
    accepted = sorted(entry.at for entry in log.snapshot())
    windows = [
        ("before the faults", "load started", "stream leader killed"),
        ("stream leader down, restarting", "stream leader killed", "stream leader restarted"),
        ("between the faults", "stream leader restarted", "lease holder killed"),
        ("lease holder down, restarting", "lease holder killed", "instance restarted"),
        ("after the faults", "instance restarted", "load stopped"),
    ]
    for label, start, end in windows:
        if start in marks and end in marks and marks[end] > marks[start]:
            count = sum(1 for at in accepted if marks[start] <= at < marks[end])
            report.rates[label] = count / (marks[end] - marks[start])
    retried = sum(1 for entry in log.snapshot() if entry.attempts > 1)
    report.figures["commands accepted"] = len(accepted)
    report.figures["commands sent again to the other instance"] = retried


def _settle_and_check(
    report: ProofReport,
    cluster: NatsCluster,
    instances: dict[str, ServiceInstance],
    store: ContractingStore,
    tokens: TokenStore,
    dsn: str,
    read_schemas: dict[str, str],
    log: CommandLog,
    load: LoadResult,
) -> None:
    operator = tokens.create(TokenGrant(role=Role.OPERATOR, subject="fault-proof"), START)
    for instance in instances.values():
        with httpx2.Client(base_url=instance.api_url, timeout=30) as client:
            moved = client.post(
                "/v1/clock",
                json={"to": PAST_THE_DEADLINES.isoformat()},
                headers={"Authorization": f"Bearer {operator.token}"},
            )
            if moved.status_code != 200:
                report.violations.append(f"moving {instance.name}'s clock: {moved.text}")

    def expired_count(contract_id: UUID) -> int:
        return sum(1 for e in history(store, contract_id) if e.topic.endswith("offer_expired"))

    open_offers = list(load.offers_left_open)
    _wait(lambda: all(expired_count(c) >= 1 for c in open_offers), _SETTLE_TIMEOUT_S)
    time.sleep(2 * 0.5)  # two more watcher rounds on each instance: a second expiry would show
    stored = _stored_events(store)
    stream_ok = _wait(lambda: _stream_info(cluster.urls)[1] >= len(stored), _SETTLE_TIMEOUT_S)
    if not stream_ok:
        report.violations.append("the stream did not reach the store's event count")
    last_seq = _stream_info(cluster.urls)[1]

    def caught_up() -> bool:
        positions = [_projection_positions(dsn, schema) for schema in read_schemas.values()]
        return all(p and min(p.values()) >= last_seq for p in positions)

    if not _wait(caught_up, _SETTLE_TIMEOUT_S):
        report.violations.append(
            "read models did not reach the stream's end: "
            + str({n: _projection_positions(dsn, s) for n, s in read_schemas.items()})
        )

    # Every accepted command's events, in the store under its command id.
    by_aggregate: dict[UUID, dict[int, str]] = {}
    for entry in log.snapshot():
        for ref in entry.outcome.events:
            if ref.aggregate_id not in by_aggregate:
                by_aggregate[ref.aggregate_id] = {
                    h.version: h.command_id for h in history(store, ref.aggregate_id)
                }
            stored_command = by_aggregate[ref.aggregate_id].get(ref.version)
            if stored_command != entry.outcome.command_id:
                report.violations.append(
                    f"{entry.outcome.command} {entry.outcome.command_id}: event"
                    f" {ref.aggregate_id}@{ref.version} stored as {stored_command!r}"
                )

    # Every stored event on the stream exactly once, each aggregate in version order.
    messages = _stream_messages(cluster.urls)
    ids = [msg_id for _, msg_id, _ in messages]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    if duplicates:
        report.violations.append(f"{len(duplicates)} event ids twice on the stream")
    missing = {e[1] for e in stored} - set(ids)
    foreign = set(ids) - {e[1] for e in stored}
    if missing or foreign:
        report.violations.append(f"stream vs store: {len(missing)} missing, {len(foreign)} foreign")
    versions: dict[str, list[int]] = defaultdict(list)
    for _, _, body in messages:
        versions[str(body["subject"])].append(int(body["aggregateversion"]))
    out_of_order = [a for a, seen in versions.items() if seen != sorted(seen)]
    if out_of_order:
        report.violations.append(f"{len(out_of_order)} aggregates out of order on the stream")
    replicas = _replicas(cluster.urls)
    if set(replicas.values()) != {3}:
        report.violations.append(f"replicas are not 3: {replicas}")
    report.figures["replicas"] = ", ".join(f"{k} {v}" for k, v in replicas.items())
    report.figures["events stored"] = len(stored)
    report.figures["messages on the stream"] = len(messages)

    # The deadline watchers of both instances: each open offer expired once, no signed one.
    twice = [c for c in open_offers if expired_count(c) != 1]
    signed_expired = [c for c in load.contracts_signed if expired_count(c) != 0]
    if twice:
        report.violations.append(f"{len(twice)} open offers not expired exactly once")
    if signed_expired:
        report.violations.append(f"{len(signed_expired)} signed contracts expired")
    report.figures["contracts signed / offers expired by the watchers"] = (
        f"{len(load.contracts_signed)} / {len(open_offers)}"
    )

    # Both instances' read models: the same rows.
    rows = {name: _read_model_rows(dsn, schema) for name, schema in read_schemas.items()}
    tables = sorted(set(rows["a"]) | set(rows["b"]))
    differing = [t for t in tables if rows["a"].get(t) != rows["b"].get(t)]
    if differing:
        report.violations.append(f"read models differ between the instances in {differing}")
    report.figures["read-model tables compared (rows)"] = ", ".join(
        f"{t} {len(rows['a'].get(t, []))}" for t in tables
    )
    report.figures["instance starts (a, b)"] = f"{instances['a'].starts}, {instances['b'].starts}"


def _check_raced(
    report: ProofReport, store: ContractingStore, raced: list[tuple[UUID, int]]
) -> None:
    for aggregate, expected_version in raced:
        metric_events = [
            e for e in history(store, aggregate) if e.command == "RecordApplicationMetrics"
        ]
        if len(metric_events) != 1 or metric_events[0].version != expected_version:
            report.violations.append(
                f"raced application {aggregate}: {len(metric_events)} metrics events"
            )


def _sleep_until(instant: float) -> None:
    time.sleep(max(0.0, instant - time.monotonic()))


def _fmt(seconds: float | None) -> str:
    return "not within 60 s" if seconds is None else f"{seconds:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase-seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--lease-ttl", type=float, default=3.0)
    parser.add_argument(
        "--dsn",
        default=os.environ.get("CARE_CONTRACTS_TEST_POSTGRES_DSN"),
        help="PostgreSQL (default: CARE_CONTRACTS_TEST_POSTGRES_DSN)",
    )
    args = parser.parse_args(argv)
    if not args.dsn:
        sys.stderr.write("set CARE_CONTRACTS_TEST_POSTGRES_DSN or pass --dsn\n")
        return 2
    with tempfile.TemporaryDirectory(prefix="care-contracts-fault-") as work:
        report = run_proof(
            args.dsn,
            Path(work),
            phase_s=args.phase_seconds,
            workers=args.workers,
            lease_ttl_s=args.lease_ttl,
        )
    sys.stdout.write("\n".join(report.lines()) + "\n")
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
