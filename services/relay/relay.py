"""The outbox relay: the store's notification log, published to JetStream after a durable position.

Each round reads up to ``relay_batch_size`` notifications after the saved position, publishes
them in log order (``publisher.publish_batch``: acks pipelined, every one awaited,
``duplicate=True`` is success) and only then saves the new position; a partly acked batch saves
the position just below its first failure. Nothing after that failure is on the stream (each
message carries ``Nats-Expected-Last-Sequence``, so the server refuses every message after one
it refused or never got), so the retry from it keeps the log order: while nothing but the relay
writes to the stream, it holds the log in position order, each aggregate's events in version
order, across refusals, timeouts, dropped connections and restarts. A crash between the acks
and the save re-publishes at most that batch, which JetStream drops as duplicates inside the
stream's ``duplicate_window``. PostgreSQL commits notification ids in order (eventsourcing's
table lock on insert), so "after the position" never skips a late commit.

Commands never wait for the relay: it only reads the store and writes its own position row.
While NATS is down or refuses, the relay backs off exponentially up to ``relay_backoff_max_s``
and logs once per state change (``relay.connected``, ``relay.unavailable``, ``relay.caught_up``),
then catches up. It connects without nats-py's reconnect (``allow_reconnect=False``) and
reconnects itself after any failure, so nothing queued on a dead connection is sent later out of
order. ``lag()`` reports how far behind it is.

``run_forever`` publishes only while it holds the ``RelayLease`` on the stream's name (holder
``settings.instance_id``, TTL ``settings.relay_lease_ttl_s``), so several service instances can
share one store: it acquires the lease before its first batch, renews it whenever a third of the
TTL has passed since the last confirmation (checked before every batch, so a batch starts at most
a third of the TTL after the lease was confirmed), and on a failed renewal stops publishing at
once and goes back to acquiring. A relay that dies stops renewing; the bucket's TTL removes its
entry and a waiting relay takes over, reloading the shared position first. A clean stop releases
the lease. It logs each lease state change once: ``relay.lease_acquired``, ``relay.lease_waiting``
(someone else holds it), ``relay.lease_lost``, ``relay.lease_released``. The lease is fenced by
time only: should two relays ever overlap (a holder paused beyond the TTL), JetStream drops the
re-published events as duplicates by ``Nats-Msg-Id`` and the position never moves back, but each
is the other's foreign writer: an event may then land after later ones, which the publisher logs
as ``relay.out_of_order``.
``run_once`` publishes one batch without the lease (tests, tools).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import nats
import nats.errors
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext

from care_contracts.services.clock import Clock, SystemClock
from care_contracts.services.nats.connect import connect_once
from care_contracts.services.relay.lease import DEFAULT_BUCKET, RelayLease
from care_contracts.services.relay.position import RelayPosition
from care_contracts.services.relay.publisher import (
    Outgoing,
    PublishFailed,
    outgoing,
    publish_batch,
)
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore

__all__ = ["ConnectFactory", "Relay", "RelayLag", "connect_factory"]

ConnectFactory = Callable[[], Awaitable[Client]]
_CLOSE_TIMEOUT_S = 2.0
_CONNECT_TIMEOUT_S = 2.0
# What "NATS is unavailable" looks like: refused or dropped connections, timeouts, no responders,
# a missing stream, server-side API errors (all nats-py errors), and unacked batches.
_UNAVAILABLE = (nats.errors.Error, OSError, TimeoutError, PublishFailed)

log = structlog.get_logger("care_contracts.relay")


@dataclass(frozen=True)
class RelayLag:
    """How far the relay is behind the store: events not yet acked, and the oldest one's age."""

    events: int
    seconds: float


def connect_factory(url: str) -> ConnectFactory:
    """Connect to ``url`` without nats-py's reconnect and its buffer (the relay reconnects)."""

    async def connect() -> Client:
        return await connect_once(url, timeout_s=_CONNECT_TIMEOUT_S)

    return connect


class Relay:
    """Publishes the store's events to the settings' stream, at least once, in log order."""

    def __init__(
        self,
        store: ContractingStore,
        nats_url_or_connect: str | ConnectFactory,
        settings: Settings,
        *,
        clock: Clock | None = None,
        lease_bucket: str = DEFAULT_BUCKET,
    ) -> None:
        self.store = store
        self.settings = settings
        self._connect = (
            connect_factory(nats_url_or_connect)
            if isinstance(nats_url_or_connect, str)
            else nats_url_or_connect
        )
        self._clock: Clock = clock or SystemClock()
        self._positions = RelayPosition(store, settings.stream_name)
        self._position: int | None = None
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._state: str | None = None
        self._log = log.bind(stream=settings.stream_name, holder=settings.instance_id)
        self._lease_bucket = lease_bucket
        self._lease: RelayLease | None = None  # bound to the current connection
        self._lease_state: str | None = None
        self._lease_confirmed_at = 0.0  # time.monotonic() before the last acquire/renew
        self._ahead: tuple[int, int, asyncio.Future[list[Outgoing]]] | None = None

    @property
    def state(self) -> str | None:
        """None before the first round, then connected, caught_up or unavailable."""
        return self._state

    @property
    def lease_state(self) -> str | None:
        """None before ``run_forever`` tried, then acquired, waiting, lost or released."""
        return self._lease_state

    def position(self) -> int:
        """The last acked (and saved) position."""
        if self._position is None:
            self._position = self._positions.load()
        return self._position

    def lag(self) -> RelayLag:
        """Events behind (store max position - relay position) and the oldest one's age in s."""
        position = self._positions.load()
        behind = max(0, (self.store.recorder.max_notification_id() or 0) - position)
        if not behind:
            return RelayLag(0, 0.0)
        oldest = self.store.recorder.select_notifications(start=position + 1, limit=1)
        if not oldest:
            return RelayLag(behind, 0.0)
        stamp = datetime.fromisoformat(
            self.store.contracting_mapper.read_body(oldest[0])["data"]["timestamp"]
        )
        return RelayLag(behind, max(0.0, (self._clock.now() - stamp).total_seconds()))

    async def run_once(self, max_batch: int | None = None) -> int:
        """Publish one batch after the position and save the new position; the count published.

        Raises what made NATS unavailable (``PublishFailed``, nats-py errors, ``OSError``) after
        saving whatever prefix of the batch was acked, and drops the connection.
        """
        limit = max_batch or self.settings.relay_batch_size
        try:
            js = await self._jetstream()
            position = await asyncio.to_thread(self.position)
            batch = await self._take_batch(position, limit)
            if len(batch) == limit:  # behind: build the next batch while this one is acked
                self._read_ahead(batch[-1].position, limit)
            if batch:
                await publish_batch(
                    js,
                    batch,
                    ack_timeout_s=self.settings.relay_ack_timeout_s,
                    stream=self.settings.stream_name,
                )
                await asyncio.to_thread(self._save, batch[-1].position)
        except PublishFailed as failure:
            self._drop_ahead()
            if failure.acked_through is not None:
                await asyncio.to_thread(self._save, failure.acked_through)
            await self._disconnect()
            raise
        except _UNAVAILABLE:
            self._drop_ahead()
            await self._disconnect()
            raise
        if self._state in (None, "unavailable", "failing"):
            self._change("connected", position=self.position())
        if len(batch) < limit:
            self._change("caught_up", position=self.position())
        else:
            self._state = "connected"  # behind: a full batch, more to come
        return len(batch)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Rounds until ``stop`` is set: straight on while behind, polling when caught up,
        backing off (doubling, capped) while NATS is unavailable or the store fails."""
        failures = 0
        batch_size = self.settings.relay_batch_size
        try:
            while not stop.is_set():
                try:
                    if not await self._hold_lease():
                        failures = 0
                        await _wait(stop, self._lease_ttl_s() / 6)
                        continue
                    published = await self.run_once(batch_size)
                except Exception as error:
                    failures += 1
                    delay = min(
                        self.settings.relay_backoff_max_s,
                        self.settings.relay_poll_interval_s * 2 ** (failures - 1),
                    )
                    self._failed(error, delay)
                    await _wait(stop, delay)
                    continue
                failures = 0
                if published < batch_size:
                    await _wait(
                        stop, min(self.settings.relay_poll_interval_s, self._until_renewal())
                    )
            await self._release()  # a clean stop; a cancelled (dying) relay keeps it until the TTL
        finally:
            await self.close()

    async def close(self) -> None:
        self._drop_ahead()
        await self._disconnect()

    def _read_ahead(self, position: int, limit: int) -> None:
        """Start reading (and building the CloudEvents of) the batch after ``position``.

        The build is CPU work and the acks of the batch being published are I/O (an fsync per
        write on the embedded server), so the two overlap. Only a read: the position is still
        saved after the acks, and a read-ahead that does not start at the next round's position
        (a failure, another relay's progress after a lease change) is dropped, never used.
        """
        self._drop_ahead()
        task = asyncio.ensure_future(asyncio.to_thread(self._read, position, limit))
        self._ahead = (position, limit, task)

    async def _take_batch(self, position: int, limit: int) -> list[Outgoing]:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            start, size, task = ahead
            if (start, size) == (position, limit):
                return await task
            task.cancel()
        return await asyncio.to_thread(self._read, position, limit)

    def _drop_ahead(self) -> None:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead[2].cancel()

    async def _hold_lease(self) -> bool:
        """Acquire the lease, or renew it when due; whether this relay may publish now."""
        try:
            js = await self._jetstream()
            started = time.monotonic()
            if self._lease is None:  # a new connection: acquire again (our own lease is kept)
                self._lease = RelayLease(
                    js,
                    key=self.settings.stream_name,
                    holder=self.settings.instance_id,
                    ttl_s=self.settings.relay_lease_ttl_s,
                    bucket=self._lease_bucket,
                    replicas=self.settings.stream_replicas,
                )
                held, acquired = await self._lease.acquire(), True
            elif self._lease.held:
                if self._until_renewal() > 0:
                    return True
                held, acquired = await self._lease.renew(), False
            else:
                held, acquired = await self._lease.acquire(), True
            if held:
                self._lease_confirmed_at = started
                if acquired:
                    self._position = None  # another relay may have moved the shared position
                self._lease_change("acquired", ttl_s=self._lease.ttl_s)
                return True
            if self._lease_state == "acquired":
                self._lease_change("lost", position=self._position)
            elif self._lease_state != "waiting":
                self._lease_change("waiting", current_holder=await self._lease.current_holder())
            return False
        except _UNAVAILABLE:
            await self._disconnect()
            raise

    def _lease_ttl_s(self) -> float:
        return self._lease.ttl_s if self._lease is not None else self.settings.relay_lease_ttl_s

    def _until_renewal(self) -> float:
        due = self._lease_confirmed_at + self._lease_ttl_s() / 3
        return max(0.0, due - time.monotonic())

    async def _release(self) -> None:
        lease = self._lease
        if lease is None or not lease.held:
            return
        with contextlib.suppress(*_UNAVAILABLE):
            await asyncio.wait_for(lease.release(), _CLOSE_TIMEOUT_S)
        self._lease_change("released")

    def _lease_change(self, state: str, **values: object) -> None:
        if self._lease_state == state:
            return
        self._lease_state = state
        log_line = self._log.warning if state == "lost" else self._log.info
        log_line(f"relay.lease_{state}", **values)

    def _read(self, position: int, limit: int) -> list[Outgoing]:
        notifications = self.store.recorder.select_notifications(start=position + 1, limit=limit)
        return outgoing(self.store, notifications)

    def _save(self, position: int) -> None:
        self._positions.save(position)
        self._position = max(position, self._position or 0)

    async def _jetstream(self) -> JetStreamContext:
        if self._nc is not None and self._js is not None and self._nc.is_connected:
            return self._js
        await self._disconnect()
        self._nc = await self._connect()
        self._js = self._nc.jetstream(timeout=self.settings.relay_ack_timeout_s)
        return self._js

    async def _disconnect(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        self._lease = None  # bound to the connection; acquired again on the next one
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), _CLOSE_TIMEOUT_S)

    def _failed(self, error: Exception, retry_in_s: float) -> None:
        unavailable = isinstance(error, _UNAVAILABLE)
        state = "unavailable" if unavailable else "failing"
        cause = error.cause if isinstance(error, PublishFailed) else error
        values = {
            "position": self._position,
            "error": f"{type(error).__name__}: {error}",
            "cause": type(cause).__name__,
            "retry_in_s": retry_in_s,
        }
        if self._state == state:
            return
        self._state = state
        if unavailable:
            self._log.warning("relay.unavailable", **values)
        else:
            self._log.error("relay.failing", exc_info=error, **values)

    def _change(self, state: str, **values: object) -> None:
        if self._state == state:
            return
        self._state = state
        self._log.info(f"relay.{state}", **values)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
