"""HTTP command throughput and latency of the whole service, next to the in-process bus.

    python bench/http_throughput.py [--cycles 20] [--clients 8] [--rounds 3] [--seconds 20]
                                    [--rate R] [--profile-server FILE]

A cycle is ``store_throughput.py``'s: a provider's whole way on the zz-2027-msz pack (submit,
complete, metrics, every applicable requirement and exclusion ground, approve, offer, sign), one
command a step, 40 commands. Measured in one run:

- in process, the baseline: ``--cycles`` cycles through ``CommandBus.execute`` on a fresh
  ``ContractingStore`` (SQLite), by one thread (``store_throughput.py``'s main figure), then by
  ``--clients`` threads at once through a bus with group commit (as ``bootstrap.build`` sets the
  service's bus up); ``store_throughput.run_cycle``'s loop, each ``execute`` timed;
- over HTTP: ``care-contracts serve --port 0 --clock simulated`` in a process of its own (API on
  uvicorn, relay, projections and its embedded nats-server, as deployed; the load generator here
  never shares its GIL), on a fresh data dir, its clock standing still at the bench's instant in
  the pack's application window. Officer and provider tokens are made beforehand with
  ``open_token_store`` on that data dir. The load generator, httpx2's async client with
  keep-alive connections on loopback, runs ``--cycles`` cycles closed loop with one client, then
  with ``--clients`` clients at once: each client sends a cycle's commands one after the other as
  ``POST``s to their routes (``COMMAND_ROUTES``) with the token of the command's actor, and starts
  the next cycle when one is done.

``--rounds`` times in turn (the machine is shared and noisy; the medians count), in-process and
HTTP runs alternate; before every HTTP run the service is idle (its relay and every projection
caught up with the store). Then, open loop at half the HTTP peak (or ``--rate`` commands/s) for
``--seconds``: a command is due every 1/rate s whether or not earlier ones were answered (it goes
to a cycle waiting for its next step, else a new cycle starts), and its latency runs from when it
was due to its answer, so a slow server is not hidden by sending less (no coordinated omission).

After every run the store's ``stored_events`` must have grown by exactly the events the commands'
answers reported (one or more per command), every answer must be a 2xx, and every cycle must end
with a contract (and the service must have logged every command), or the bench stops: no figure
comes from a broken run. Printed: each run's commands/s; latency p50/p99/max as the client saw it
and, over HTTP, as the service's own request log has it (``duration_ms``: middleware in to response
out, so the rest is transport, uvicorn and the load generator); CPU per command (the server's
python process, its nats-server, and the load generator: were it saturated, the HTTP figure would
be its own); the medians; HTTP / in process at the same concurrency and HTTP peak / in-process
peak (target >= 0.5); p50/p99/max at half the peak (target p99 <= 50 ms).

``--profile-server FILE`` samples the server with py-spy (all threads, idle ones too, without
pausing it; collapsed stacks in FILE) during one more ``--clients`` run, left out of the medians,
and prints where the wall time of its event loop thread, of its request threads and of its relay
and projection threads went.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import math
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx2
from store_throughput import AT, PACK, Assessment, assessment, cycle_commands

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.api.commands import COMMAND_ROUTES, CommandRoute
from care_contracts.services.api.tokens import TokenGrant, TokenStore, open_token_store
from care_contracts.services.clock import FixedClock
from care_contracts.services.commands.base import Command, CommandContext
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.policy.loader import load_catalog
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.group_commit import GroupCommitter
from care_contracts.services.store.metadata import Actor, Role

ROUTES: dict[type[Command], CommandRoute] = {route.command: route for route in COMMAND_ROUTES}
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
SETTLE_TIMEOUT_S = 120.0
START_TIMEOUT_S = 60.0
Step = tuple[Actor, Callable[[dict[str, str]], Command]]


# --- runs --------------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least ``fraction`` of the values at or below."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Run:
    """One measured run: what was sent, what the store gained, what it cost."""

    kind: str
    clients: int
    commands: int = 0
    events: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, one per command
    send_lags: list[float] = field(default_factory=list)  # open loop: sent after it was due
    cpu: float = 0.0  # seconds of this process (the bus in process; the load generator)
    server_cpu: float | None = None  # seconds of the server's python process
    nats_cpu: float | None = None  # seconds of its nats-server
    settled_s: float | None = None  # relay and projections caught up this long after the run
    in_app: list[float] = field(default_factory=list)  # ms, the service's own request log

    @property
    def rate(self) -> float:
        return self.commands / self.seconds

    def latency_ms(self, fraction: float) -> float:
        return percentile(sorted(self.latencies), fraction) * 1000


def stored_events(sqlite_path: Path) -> int:
    """Events in the store's table, read beside whoever writes it (WAL)."""
    connection = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        return int(connection.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])
    finally:
        connection.close()


def verify(run: Run, before: int, after: int) -> None:
    """The store holds exactly the events the accepted commands reported: no fake figures."""
    if after - before != run.events or run.events < run.commands:
        raise RuntimeError(
            f"{run.kind}: the store gained {after - before} events, the answers reported "
            f"{run.events} for {run.commands} commands"
        )


# --- in process --------------------------------------------------------------------------------


def in_process(
    catalog: PolicyCatalog, plan: Assessment, cycles: int, clients: int, data_dir: Path
) -> Run:
    """``cycles`` cycles through the bus on a fresh store by ``clients`` threads at once, with
    group commit when more than one (as the service's bus)."""
    settings = Settings(data_dir=data_dir)
    store = ContractingStore(settings)
    committer = GroupCommitter(store) if clients > 1 else None
    bus = CommandBus(store, FixedClock(AT), catalog, all_handlers(), committer=committer)
    run = Run("in process", clients)
    numbers = itertools.count(1)
    lock = threading.Lock()
    failures: list[BaseException] = []

    def client(count: int) -> None:
        try:
            for _ in range(count):
                with lock:
                    n = next(numbers)
                bus_cycle(bus, n, plan, run, lock)
        except Exception as error:  # raised below, after every thread has stopped
            failures.append(error)

    try:
        client(1)  # warm-up: adapters, caches, the connection; not in the figures
        before = stored_events(settings.sqlite_path)
        run.commands = run.events = 0
        run.latencies.clear()
        shares = [cycles // clients + (i < cycles % clients) for i in range(clients)]
        threads = [threading.Thread(target=client, args=(share,)) for share in shares]
        cpu, started = time.process_time(), time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        run.seconds = time.perf_counter() - started
        run.cpu = time.process_time() - cpu
        if failures:
            raise failures[0]
        verify(run, before, stored_events(settings.sqlite_path))
    finally:
        store.close()
    return run


def bus_cycle(bus: CommandBus, n: int, plan: Assessment, run: Run, lock: threading.Lock) -> None:
    """``store_throughput.run_cycle``, each command timed."""
    ids: dict[str, str] = {}
    for actor, build in cycle_commands(n, plan):
        started = time.perf_counter()
        outcome = bus.execute(build(ids), CommandContext(actor=actor))
        elapsed = time.perf_counter() - started
        for key in ("application_id", "contract_id"):
            value = (outcome.result or {}).get(key)
            if isinstance(value, str):
                ids[key] = value
        with lock:
            run.commands += 1
            run.events += len(outcome.events)
            run.latencies.append(elapsed)
    if not ids.get("contract_id"):
        raise RuntimeError(f"cycle {n} made no contract")


# --- the service -------------------------------------------------------------------------------


@dataclass
class Server:
    """``care-contracts serve`` in its own process, on a free loopback port."""

    process: subprocess.Popen[str]
    url: str
    data_dir: Path
    log_path: Path

    @classmethod
    def start(cls, data_dir: Path, log_path: Path) -> Server:
        command = [
            sys.executable,
            "-c",
            "from care_contracts.services.cli import main; main()",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--clock",
            "simulated",
            "--clock-start",
            AT.strftime("%Y-%m-%dT%H:%M:%S%z"),
        ]
        with log_path.open("w") as log:  # its JSON log, a line per request, as deployed
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
        assert process.stdout is not None
        watchdog = threading.Timer(START_TIMEOUT_S, process.kill)  # a hung start ends the read
        watchdog.start()
        try:
            for line in process.stdout:  # ends when the process does
                found = re.search(r"API\s+(http://\S+)/v1", line)
                if found:
                    return cls(process, found.group(1), data_dir, log_path)
        finally:
            watchdog.cancel()
        process.wait()
        raise RuntimeError(f"the service did not start within {START_TIMEOUT_S} s; see {log_path}")

    def cpu_seconds(self) -> tuple[float, float]:
        """User + system CPU so far of the server's process and of its child (nats-server)."""
        pid = self.process.pid
        tasks = Path(f"/proc/{pid}/task").glob("*/children")  # nats-server: from a worker thread
        children = [int(child) for task in tasks for child in task.read_text().split()]
        return _cpu(pid), sum(_cpu(child) for child in children)

    def settle(self) -> float:
        """Wait until the relay and every projection have caught up with the store; how long."""
        started = time.perf_counter()
        events = self.data_dir / "events.sqlite"
        read = self.data_dir / "readmodels.sqlite"
        while True:
            last = _scalar(events, "SELECT MAX(rowid) FROM stored_events")  # the position
            relay = _scalar(events, "SELECT MIN(position) FROM relay_position")
            applied = _scalar(read, "SELECT MIN(last_position) FROM projection_state WHERE active")
            if last is None:
                raise RuntimeError("the service has stored no event")
            if relay is not None and applied is not None and min(relay, applied) >= last:
                return time.perf_counter() - started
            if time.perf_counter() - started > SETTLE_TIMEOUT_S:
                raise RuntimeError(f"not caught up: store {last}, relay {relay}, read {applied}")
            time.sleep(0.05)

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def command_durations(self, offset: int) -> list[float]:
        """``duration_ms`` of the commands the service logged after ``offset``: the time from its
        middleware taking the request to the response leaving it."""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            lines = log.read().decode().splitlines()
        durations = []
        for line in lines:
            if '"command"' in line and '"duration_ms"' in line:
                entry = json.loads(line)
                if entry.get("event") == "request" and entry.get("command"):
                    durations.append(float(entry["duration_ms"]))
        return durations

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _scalar(path: Path, sql: str) -> int | None:
    """The query's value; None when it has none or its table is not made yet."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        value = connection.execute(sql).fetchone()[0]
    except sqlite3.OperationalError as error:
        if "no such table" not in str(error):
            raise
        return None
    finally:
        connection.close()
    return None if value is None else int(value)


class Tokens:
    """A bearer token per actor of the cycles, made in the service's data dir before use."""

    def __init__(self, store: TokenStore, plan: Assessment) -> None:
        self._store = store
        self._plan = plan
        self._headers: dict[tuple[str, str, str | None], dict[str, str]] = {}

    def for_cycles(self, numbers: Iterable[int]) -> None:
        for n in numbers:
            for actor, _ in cycle_commands(n, self._plan):
                self._make(actor)

    def _make(self, actor: Actor) -> None:
        key = (str(actor.role), actor.subject, actor.insurer)
        if key in self._headers:
            return
        grant = TokenGrant(
            role=actor.role,
            subject=actor.subject,
            agb=actor.subject if actor.role is Role.PROVIDER else None,
            insurer=actor.insurer,
        )
        token = self._store.create(grant, AT).token
        self._headers[key] = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        }

    def header(self, actor: Actor) -> dict[str, str]:
        return self._headers[(str(actor.role), actor.subject, actor.insurer)]


# --- the load generator ------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON as a client writes it: a decimal as a number (``metrics`` takes str | bool |
    Decimal, so a decimal sent as a string would arrive as a string)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def request_of(command: Command) -> tuple[str, bytes]:
    """The command's route and JSON body, as ``tests/integration/api/http_steps.py`` sends it."""
    route = ROUTES[type(command)]
    body: dict[str, Any] = json.loads(json.dumps(command.model_dump(), default=_plain))
    path = "/v1" + route.path
    if route.id_field is not None:
        path = path.replace("{id}", str(body.pop(route.id_field)))
    return path, json.dumps(body).encode() if body else b""


@dataclass
class Cycle:
    """One provider's cycle under way: its commands and the ids earlier answers gave."""

    n: int
    steps: list[Step]
    ids: dict[str, str] = field(default_factory=dict)
    done: int = 0

    @property
    def finished(self) -> bool:
        return self.done == len(self.steps)


class Load:
    """One async client with keep-alive connections to the service."""

    def __init__(self, url: str, tokens: Tokens, plan: Assessment) -> None:
        limits = httpx2.Limits(max_connections=256, max_keepalive_connections=256)
        self.client = httpx2.AsyncClient(base_url=url, limits=limits, timeout=60)
        self.tokens = tokens
        self.plan = plan

    def cycle(self, n: int) -> Cycle:
        return Cycle(n, list(cycle_commands(n, self.plan)))

    async def step(self, cycle: Cycle, run: Run) -> None:
        """Send the cycle's next command; check and count its answer."""
        actor, build = cycle.steps[cycle.done]
        path, body = request_of(build(cycle.ids))
        response = await self.client.post(path, content=body, headers=self.tokens.header(actor))
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"cycle {cycle.n}: {path} -> {response.status_code} {response.text}")
        document = response.json()
        for key in ("application_id", "contract_id"):
            value = (document.get("result") or {}).get(key)
            if isinstance(value, str):
                cycle.ids[key] = value
        cycle.done += 1
        run.commands += 1
        run.events += len(document["events"])
        if cycle.finished and not cycle.ids.get("contract_id"):
            raise RuntimeError(f"cycle {cycle.n} made no contract")

    async def closed_loop(self, run: Run, numbers: Iterator[int], cycles: int) -> None:
        """``run.clients`` clients, each sending a cycle's commands one after the other."""
        remaining = iter(range(cycles))

        async def client() -> None:
            for _ in remaining:
                cycle = self.cycle(next(numbers))
                while not cycle.finished:
                    started = time.perf_counter()
                    await self.step(cycle, run)
                    run.latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(client() for _ in range(run.clients)))

    async def open_loop(
        self, run: Run, numbers: Sequence[int], rate: float, seconds: float
    ) -> None:
        """A command due every 1/rate s; its latency from when it was due to its answer."""
        waiting: deque[Cycle] = deque()
        fresh = iter(numbers)
        answered = asyncio.Event()
        in_flight: set[asyncio.Task[None]] = set()
        failures: list[BaseException] = []

        async def send(cycle: Cycle, due: float) -> None:
            run.send_lags.append(time.perf_counter() - due)
            try:
                await self.step(cycle, run)
            except Exception as error:  # raised by the loop below, which stops sending
                failures.append(error)
                return
            run.latencies.append(time.perf_counter() - due)
            if not cycle.finished:
                waiting.append(cycle)
                answered.set()

        async def next_cycle() -> Cycle:
            while not waiting:
                n = next(fresh, None)
                if n is not None:
                    return self.cycle(n)
                answered.clear()  # every prepared cycle is waiting for an answer
                await answered.wait()
            return waiting.popleft()

        started = time.perf_counter() + 0.05
        for k in range(round(rate * seconds)):
            due = started + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if failures:
                raise failures[0]
            task = asyncio.create_task(send(await next_cycle(), due))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        await asyncio.gather(*in_flight)
        if failures:
            raise failures[0]

    async def close(self) -> None:
        await self.client.aclose()


def over_http(
    run: Run,
    server: Server,
    loop: asyncio.AbstractEventLoop,
    load: Callable[[], Coroutine[Any, Any, None]],
) -> Run:
    """Run ``load`` on an idle service; count the store's events and both sides' CPU."""
    server.settle()
    before = stored_events(server.data_dir / "events.sqlite")
    log_offset = server.log_size()
    (server_cpu, nats_cpu), cpu = server.cpu_seconds(), time.process_time()
    started = time.perf_counter()
    loop.run_until_complete(load())
    run.seconds = time.perf_counter() - started
    run.cpu = time.process_time() - cpu
    after_server, after_nats = server.cpu_seconds()
    run.server_cpu, run.nats_cpu = after_server - server_cpu, after_nats - nats_cpu
    verify(run, before, stored_events(server.data_dir / "events.sqlite"))
    run.settled_s = server.settle()
    run.in_app = server.command_durations(log_offset)
    if len(run.in_app) != run.commands:
        raise RuntimeError(f"the service logged {len(run.in_app)} of {run.commands} commands")
    return run


# --- server profile ----------------------------------------------------------------------------

# Categories of a sampled stack: the first whose marker is in it. Request threads are anyio's
# workers running a request's sync code (dependencies, the endpoint and so the bus).
REQUEST_PHASES = (
    ("waiting for the group commit's leader", ("GroupCommitter.save",), ("_lead",)),
    ("leading a group commit: SQLite COMMIT", ("commit (eventsourcing/sqlite",), ()),
    ("leading a group commit: mapper, chain, INSERTs", ("_lead",), ()),
    ("token look-up (access.sqlite)", ("TokenStore.resolve",), ()),
    ("loading the aggregate", ("Repository.get",), ()),
    ("command handler and bus", ("CommandBus.execute",), ()),
    ("waking the event loop", ("_write_to_self", "call_soon_threadsafe"), ()),
)
LOOP_PHASES = (
    ("HTTP protocol (uvicorn, h11)", ("h11", "httptools"), ()),
    ("NATS client (relay, projections)", ("nats/",), ()),
    ("request log (structlog)", ("structlog",), ()),
    ("metrics (prometheus_client)", ("prometheus_client",), ()),
    ("FastAPI dependencies, thread hand-offs", ("solve_dependencies", "run_in_threadpool"), ()),
    ("responses (JSON, headers)", ("serialize_response", "JSONResponse", "Response.__call__"), ()),
    ("BaseHTTPMiddleware (app.middleware)", ("BaseHTTPMiddleware", "_correlate_and_log"), ()),
    ("routing, other starlette/fastapi", ("starlette/", "fastapi/"), ()),
    ("relay, projections (asyncio side)", ("relay", "projections"), ()),
)
Phases = tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]


@dataclass
class Profile:
    """Wall time (samples) by phase: the event loop thread, request threads, relay/projections."""

    loop: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    background: Counter[str] = field(default_factory=Counter)


def read_profile(collapsed: Path) -> Profile:
    profile = Profile()
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        leaf = frames[-1]
        if "WorkerThread.run" in stack:
            if "Queue.get" not in stack:  # a worker waiting for work is not a request's
                profile.requests[_phase(stack, REQUEST_PHASES, leaf)] += int(count)
        elif "_WorkItem.run" in stack:  # asyncio.to_thread: the relay's and projections' I/O
            owner = "relay" if "Relay" in stack else "projections" if "Projection" in stack else ""
            verb = "COMMIT/BEGIN" if "transaction" in leaf or "commit" in leaf else "other"
            profile.background[f"{owner or 'other'}: {verb}"] += int(count)
        elif "run_forever" in stack:
            idle = leaf.startswith(("select (selectors", "EpollSelector.select"))
            name = "idle (waiting in select)" if idle else _phase(stack, LOOP_PHASES, leaf)
            profile.loop[name] += int(count)
    return profile


def _phase(stack: str, phases: Phases, leaf: str) -> str:
    for name, markers, unless in phases:
        if any(m in stack for m in markers) and not any(u in stack for u in unless):
            return name
    return f"other ({leaf.partition(' (')[0]})"


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start_profiler(server: Server, target: Path) -> subprocess.Popen[bytes] | None:
    tool = py_spy()
    if tool is None:
        print("--profile-server: no py-spy (pip install py-spy); not profiled")
        return None
    command = [tool, "record", "--idle", "--threads", "--nonblocking", "--format", "raw"]
    command += ["--output", str(target), "--pid", str(server.process.pid)]
    profiler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)  # attached
    return profiler


def stop_profiler(profiler: subprocess.Popen[bytes], target: Path) -> Profile:
    profiler.send_signal(signal.SIGINT)
    profiler.wait(60)
    return read_profile(target)


# --- report ------------------------------------------------------------------------------------


def report_run(label: str, run: Run) -> None:
    print(
        f"  {label:<26}{run.rate:8.1f} commands/s  {run.commands} commands,"
        f" {run.events} events, {run.seconds:.1f} s"
    )
    details = []
    if run.latencies:
        details.append(
            f"latency ms p50 {run.latency_ms(0.5):.1f} p99 {run.latency_ms(0.99):.1f}"
            f" max {run.latency_ms(1.0):.1f}"
        )
    if run.in_app:
        app = sorted(run.in_app)
        details.append(
            f"in the service ms p50 {percentile(app, 0.5):.1f} p99 {percentile(app, 0.99):.1f}"
            f" max {app[-1]:.1f} (its request log: middleware in to response out)"
        )
    per = 1000 / run.commands
    if run.server_cpu is not None and run.nats_cpu is not None:
        details.append(
            f"CPU ms/command server {run.server_cpu * per:.2f} ({run.server_cpu / run.seconds:.0%}"
            f" of a core) nats-server {run.nats_cpu * per:.2f} load generator {run.cpu * per:.2f}"
            f" ({run.cpu / run.seconds:.0%})"
        )
    else:
        details.append(
            f"CPU ms/command {run.cpu * per:.2f} ({run.cpu / run.seconds:.0%} of a core)"
        )
    if run.settled_s is not None:
        details.append(f"read side caught up {run.settled_s:.1f} s after")
    for detail in details:
        print(f"  {'':<26}{detail}")


def report_profile(profile: Profile, label: str) -> None:
    print(f"\n== where the server's time went during '{label}' (py-spy, wall time per thread)")
    for title, counter in (
        ("event loop thread (HTTP, middleware, NATS client)", profile.loop),
        ("request threads (anyio workers, while serving a request)", profile.requests),
        ("relay and projection threads (asyncio.to_thread)", profile.background),
    ):
        total = sum(counter.values()) or 1
        print(f"  {title}")
        for name, samples in counter.most_common(10):
            print(f"    {name:<48}{samples / total:7.1%}")


def median_rate(runs: Sequence[Run]) -> float:
    return statistics.median(run.rate for run in runs)


def _latencies(runs: Sequence[Run]) -> str:
    p50 = statistics.median(run.latency_ms(0.5) for run in runs)
    p99 = statistics.median(run.latency_ms(0.99) for run in runs)
    return f"{p50:.1f} / {p99:.1f}"


# --- main --------------------------------------------------------------------------------------


@dataclass
class Rounds:
    sequential: list[Run] = field(default_factory=list)
    concurrent: list[Run] = field(default_factory=list)
    http_one: list[Run] = field(default_factory=list)
    http_many: list[Run] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=20, help="cycles per throughput run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--rounds", type=int, default=3, help="in-process and HTTP runs, in turn")
    parser.add_argument("--seconds", type=float, default=20, help="length of the paced run")
    parser.add_argument("--rate", type=float, help="commands/s of the paced run (default: half)")
    parser.add_argument("--profile-server", type=Path, help="py-spy's collapsed stacks to here")
    args = parser.parse_args(argv)
    if min(args.cycles, args.clients, args.rounds, args.seconds) <= 0:
        parser.error("--cycles, --clients, --rounds and --seconds must be > 0")
    catalog = load_catalog()
    plan = assessment(catalog.get(PACK))
    per_cycle = len(list(cycle_commands(0, plan)))
    print(
        f"python {sys.version.split()[0]}, pack {PACK.id}@{PACK.version}, {per_cycle} commands"
        f" a cycle, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, SQLite"
    )
    with tempfile.TemporaryDirectory(prefix="cc-bench-http-") as tmp:
        measure(Path(tmp), catalog, plan, per_cycle, args)
    return 0


def measure(
    base: Path, catalog: PolicyCatalog, plan: Assessment, per_cycle: int, args: argparse.Namespace
) -> None:
    data_dir = base / "service"
    data_dir.mkdir()
    token_store = open_token_store(Settings(data_dir=data_dir))
    tokens = Tokens(token_store, plan)
    numbers = itertools.count(1)
    warm_up = args.clients
    profiled = args.cycles if args.profile_server else 0
    tokens.for_cycles(range(1, 1 + warm_up + 2 * args.rounds * args.cycles + profiled))
    server = Server.start(data_dir, base / "service.log")
    print(f"service at {server.url} (pid {server.process.pid}), data in {data_dir}")
    loop = asyncio.new_event_loop()
    load = Load(server.url, tokens, plan)
    rounds = Rounds()
    profile: Profile | None = None
    try:
        loop.run_until_complete(load.closed_loop(Run("warm-up", warm_up), numbers, warm_up))
        gc.collect()
        gc.freeze()  # the generator's heap (catalog, stores) is never collected mid-run
        for r in range(1, args.rounds + 1):
            print(f"\n== round {r}")
            for clients, runs in ((1, rounds.sequential), (args.clients, rounds.concurrent)):
                run = in_process(catalog, plan, args.cycles, clients, base / f"in-{r}-{clients}")
                report_run(f"in process, {clients} thread(s)", run)
                runs.append(run)
            one = Run("HTTP", 1)
            over_http(one, server, loop, partial(load.closed_loop, one, numbers, args.cycles))
            report_run("HTTP, 1 client", one)
            rounds.http_one.append(one)
            many = Run("HTTP", args.clients)
            over_http(many, server, loop, partial(load.closed_loop, many, numbers, args.cycles))
            report_run(f"HTTP, {args.clients} clients", many)
            rounds.http_many.append(many)
        if args.profile_server is not None:
            profile = profiled_run(server, loop, load, numbers, args)

        http_peak = max(median_rate(rounds.http_one), median_rate(rounds.http_many))
        rate = args.rate or http_peak / 2
        total = round(rate * args.seconds)
        first = next(numbers)
        paced_numbers = range(first, first + math.ceil(total / per_cycle) + 64)
        tokens.for_cycles(paced_numbers)
        paced = Run("HTTP open loop", 0)
        over_http(
            paced,
            server,
            loop,
            partial(load.open_loop, paced, paced_numbers, rate, args.seconds),
        )
    finally:
        loop.run_until_complete(load.close())
        loop.close()
        token_store.close()
        server.stop()
    print(f"\n== open loop at {rate:.1f} commands/s for {args.seconds:g} s")
    report_run("HTTP, paced", paced)
    lags = sorted(paced.send_lags)
    print(
        f"  {'':<26}sent after due ms p50 {percentile(lags, 0.5) * 1000:.1f}"
        f" p99 {percentile(lags, 0.99) * 1000:.1f} (the load generator's own delay)"
    )
    summary(rounds, paced, args)
    if profile is not None:
        report_profile(profile, f"HTTP, {args.clients} clients")


def profiled_run(
    server: Server,
    loop: asyncio.AbstractEventLoop,
    load: Load,
    numbers: Iterator[int],
    args: argparse.Namespace,
) -> Profile | None:
    """One more ``--clients`` run, sampled by py-spy; not in the medians (sampling costs)."""
    profiler = start_profiler(server, args.profile_server)
    if profiler is None:
        return None
    run = Run("HTTP", args.clients)
    over_http(run, server, loop, partial(load.closed_loop, run, numbers, args.cycles))
    profile = stop_profiler(profiler, args.profile_server)
    print("\n== one more run, sampled by py-spy (not in the medians)")
    report_run(f"HTTP, {args.clients} clients", run)
    return profile


def summary(rounds: Rounds, paced: Run, args: argparse.Namespace) -> None:
    seq, conc = median_rate(rounds.sequential), median_rate(rounds.concurrent)
    one, many = median_rate(rounds.http_one), median_rate(rounds.http_many)
    print(f"\n== medians of {args.rounds} round(s), commands/s")
    print(f"  {'':<24}{'in process':>12}{'HTTP':>10}{'HTTP / in process':>20}")
    print(f"  {'1 client':<24}{seq:12.1f}{one:10.1f}{one / seq:20.2f}")
    print(f"  {f'{args.clients} clients':<24}{conc:12.1f}{many:10.1f}{many / conc:20.2f}")
    print("\n== latency ms, p50 / p99 (medians of the rounds)")
    print(f"  {'':<24}{'in process':>16}{'HTTP':>16}")
    for label, inside, http in (
        ("1 client", rounds.sequential, rounds.http_one),
        (f"{args.clients} clients", rounds.concurrent, rounds.http_many),
    ):
        print(f"  {label:<24}{_latencies(inside):>16}{_latencies(http):>16}")
    in_peak, http_peak = max(seq, conc), max(one, many)
    ratio = http_peak / in_peak
    p99 = paced.latency_ms(0.99)
    print("\n== against the targets")
    print(f"  in-process peak        {in_peak:8.1f} commands/s")
    print(f"  HTTP peak              {http_peak:8.1f} commands/s")
    print(
        f"  HTTP / in process      {ratio:8.2f}      target >= {TARGET_RATIO}"
        f"   {'met' if ratio >= TARGET_RATIO else 'MISSED'}"
    )
    print(
        f"  p99 at {paced.rate:5.1f} commands/s {p99:6.1f} ms   target <= {TARGET_P99_MS:.0f} ms"
        f"   {'met' if p99 <= TARGET_P99_MS else 'MISSED'}"
        f"   (p50 {paced.latency_ms(0.5):.1f} ms, max {paced.latency_ms(1.0):.1f} ms)"
    )


if __name__ == "__main__":
    sys.exit(main())
