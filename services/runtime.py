"""The whole service in one process: API, relay, projections, deadline watcher, NATS if needed.

``ServiceRuntime`` starts, in order: the embedded nats-server when no NATS URL is configured (its
store in ``DATA_DIR/nats``), the stream, the event store and command bus, the read store and
tokens, then the background tasks (the relay, one runner per projection, the deadline watcher)
and finally the HTTP server. It stops in the reverse order: the HTTP server first stops taking
requests and finishes those in flight (an accepted command is committed before its response is
sent, so none is lost), then the background tasks stop (the relay releases its lease), then the
stores close and the embedded NATS stops.

``/readyz`` reports the event store, NATS (the relay's last state) and each projection (not
failed, and its lag within ``readiness_max_projection_lag_s``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
import uvicorn

from care_contracts.projections.database import ReadDatabase, open_read_database
from care_contracts.projections.registry import all_projections
from care_contracts.projections.runner import ProjectionRunner
from care_contracts.projections.status import projection_statuses
from care_contracts.services.api import metrics
from care_contracts.services.api.app import create_app
from care_contracts.services.api.context import ApiContext, Readiness
from care_contracts.services.api.tokens import TokenStore, open_token_store
from care_contracts.services.bootstrap import Services, build
from care_contracts.services.clock import Clock, SimulatedClock, SystemClock
from care_contracts.services.deadlines.watcher import DeadlineWatcher
from care_contracts.services.nats.connect import connect_once
from care_contracts.services.nats.embedded import EmbeddedNatsServer
from care_contracts.services.nats.streams import ensure_stream
from care_contracts.services.relay.relay import Relay
from care_contracts.services.settings import Settings

__all__ = ["ServiceRuntime", "Started"]

log = structlog.get_logger("care_contracts.service")
BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Started:
    """Where the running service can be reached."""

    api_url: str
    docs_url: str
    nats_url: str
    embedded_nats: bool
    data_dir: str
    clock: str


@dataclass
class ServiceRuntime:
    settings: Settings
    host: str = "127.0.0.1"
    port: int = 8000
    simulated_start: datetime | None = None  # a simulated clock from this instant
    background: list[BackgroundTask] = field(default_factory=list)

    _nats: EmbeddedNatsServer | None = None
    _services: Services | None = None
    _read_db: ReadDatabase | None = None
    _tokens: TokenStore | None = None
    _relay: Relay | None = None
    _runners: list[ProjectionRunner] = field(default_factory=list)
    _server: _Server | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    def request_stop(self) -> None:
        """Stop as SIGTERM would, from any thread (tests, embedding)."""
        if self._server is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._server.exit_gracefully)

    async def run(self, on_started: Callable[[Started], None] | None = None) -> None:
        """Run until SIGTERM/SIGINT (handled by the HTTP server), then stop everything."""
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        try:
            url = await self._start_nats()
            context = await asyncio.to_thread(self._open, url)
            server = _Server(
                uvicorn.Config(
                    create_app(context),
                    host=self.host,
                    port=self.port,
                    log_config=None,
                    access_log=False,
                    timeout_graceful_shutdown=30,
                    lifespan="off",
                )
            )
            tasks = [asyncio.create_task(job(stop)) for job in self._jobs(url)]
            self._server, self._loop = server, asyncio.get_running_loop()
            with contextlib.suppress(RuntimeError, ValueError):  # only the main thread has them
                for signum in (signal.SIGTERM, signal.SIGINT):
                    self._loop.add_signal_handler(signum, server.exit_gracefully)
            serving = asyncio.create_task(server.serve())
            while not server.started and not serving.done():
                await asyncio.sleep(0.05)
            if serving.done():
                await serving  # raises what kept it from starting (e.g. the port is taken)
            port = _bound_port(server) or self.port
            started = Started(
                api_url=f"http://{self.host}:{port}",
                docs_url=f"http://{self.host}:{port}/v1/docs",
                nats_url=url,
                embedded_nats=self._nats is not None,
                data_dir=str(self.settings.data_dir),
                clock="simulated" if context.simulated_clock else "system",
            )
            log.info("service.started", **vars(started))
            if on_started is not None:
                on_started(started)
            await serving
        finally:
            stop.set()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.to_thread(self._close)
            log.info("service.stopped")

    async def _start_nats(self) -> str:
        if self.settings.nats_url:
            url = self.settings.nats_url
        else:
            self._nats = await asyncio.to_thread(
                EmbeddedNatsServer.for_settings(self.settings).start
            )
            url = self._nats.url
        nc = await connect_once(url, timeout_s=5)
        try:
            await ensure_stream(nc.jetstream(), self.settings)
        finally:
            await nc.close()
        return url

    def _open(self, nats_url: str) -> ApiContext:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._services = build(self.settings, clock=self._clock_for_store())
        self._resume_simulated_time(self._services)
        self._read_db = open_read_database(self.settings)
        self._tokens = open_token_store(self.settings)
        self._relay = Relay(self._services.store, nats_url, self.settings)
        self._runners = [
            ProjectionRunner(p, self._read_db, nats_url, self.settings, clock=self._services.clock)
            for p in all_projections().values()
        ]
        return ApiContext(
            services=self._services,
            read_db=self._read_db,
            tokens=self._tokens,
            readiness=[self._nats_ready, *(self._projection_ready(r) for r in self._runners)],
        )

    def _clock_for_store(self) -> Clock:
        if self.simulated_start is None:
            return SystemClock()
        return SimulatedClock(self.simulated_start)

    @staticmethod
    def _resume_simulated_time(services: Services) -> None:
        """A simulated clock never starts before the newest stored decision (time never runs
        backwards for the store, even when ``--clock-start`` is given again on a restart)."""
        clock = services.clock
        last = services.store.recorder.max_notification_id()
        if not isinstance(clock, SimulatedClock) or not last:
            return
        newest = services.store.recorder.select_notifications(start=last, limit=1)
        if newest:
            body = services.store.contracting_mapper.read_body(newest[0])
            stamp = datetime.fromisoformat(body["data"]["timestamp"])
            if stamp > clock.now():
                clock.set(stamp)

    def _jobs(self, nats_url: str) -> list[BackgroundTask]:
        relay, runners, services = self._relay, self._runners, self._services
        assert relay is not None
        assert services is not None
        watcher = DeadlineWatcher(
            services.store, services.bus, services.clock, policies=services.policies
        )
        watch = functools.partial(
            watcher.run_forever, interval_s=self.settings.deadline_watcher_interval_s
        )
        own: list[BackgroundTask] = [relay.run_forever, *(r.run_forever for r in runners)]
        gauges = functools.partial(self._gauges, nats_url=nats_url)
        return [*own, watch, gauges, *self.background]

    async def _gauges(self, stop: asyncio.Event, nats_url: str) -> None:
        """Relay and projection lag into the metrics, every few seconds (a failed reading
        leaves the last values: the readiness checks report an unavailable dependency)."""
        while not stop.is_set():
            with contextlib.suppress(Exception):
                relay = self._relay
                if relay is not None:
                    lag = await asyncio.to_thread(relay.lag)
                    metrics.RELAY_LAG_EVENTS.set(lag.events)
                    metrics.RELAY_LAG_SECONDS.set(lag.seconds)
            with contextlib.suppress(Exception):
                await self._projection_gauges(nats_url)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 5)

    async def _projection_gauges(self, nats_url: str) -> None:
        if self._read_db is None or self._services is None:
            return
        nc = await connect_once(nats_url, timeout_s=2)
        try:
            found = await projection_statuses(
                [r.projection for r in self._runners],
                self._read_db,
                nc.jetstream(timeout=2),
                self.settings.stream_name,
                self._services.clock.now(),
            )
        finally:
            await nc.close()
        for status in found:
            metrics.PROJECTION_LAG_EVENTS.labels(status.name).set(status.lag_events)
            metrics.PROJECTION_LAG_SECONDS.labels(status.name).set(status.lag_seconds)

    def _nats_ready(self) -> Readiness:
        state = None if self._relay is None else self._relay.state
        return Readiness("nats", state != "unavailable", f"relay {state or 'starting'}")

    def _projection_ready(self, runner: ProjectionRunner) -> Callable[[], Readiness]:
        def check() -> Readiness:
            name = f"projection:{runner.projection.name}"
            if runner.status == "failed":
                return Readiness(name, False, runner.error or "failed")
            if runner.status == "behind" and runner.last_event_time is not None:
                clock = self._services.clock if self._services else SystemClock()
                lag = (clock.now() - runner.last_event_time).total_seconds()
                bound = self.settings.readiness_max_projection_lag_s
                if lag > bound:
                    return Readiness(name, False, f"behind by {lag:.0f} s (bound {bound:.0f} s)")
            return Readiness(name, runner.status != "unavailable", runner.status or "starting")

        return check

    def _close(self) -> None:
        for closeable in (self._tokens, self._read_db, self._services):
            if closeable is not None:
                with contextlib.suppress(Exception):
                    closeable.close()
        if self._nats is not None:
            self._nats.stop()


class _Server(uvicorn.Server):
    """uvicorn's server, with signals left to the runtime: uvicorn re-raises a captured SIGTERM
    after its own shutdown, which would end the process before the relay, the projections, the
    stores and the embedded NATS are stopped."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def exit_gracefully(self) -> None:
        log.info("service.stopping")
        self.should_exit = True


def _bound_port(server: uvicorn.Server) -> int | None:
    for listening in getattr(server, "servers", []):
        for sock in getattr(listening, "sockets", []):
            address = sock.getsockname()
            if isinstance(address, tuple) and len(address) >= 2:
                return int(address[1])
    return None
