"""The outbox relay: the store's notification log, published to JetStream after a durable position.

Each round reads up to ``relay_batch_size`` notifications after the saved position, publishes
them in log order (``publisher.publish_batch``: every ack awaited, ``duplicate=True`` is
success) and only then saves the new position; a partly acked batch saves the position just
below its first failure. A crash between the acks and the save re-publishes at most that batch,
which JetStream drops as duplicates inside the stream's ``duplicate_window``. PostgreSQL commits
notification ids in order (eventsourcing's table lock on insert), so "after the position" never
skips a late commit.

Commands never wait for the relay: it only reads the store and writes its own position row.
While NATS is down or refuses, the relay backs off exponentially up to ``relay_backoff_max_s``
and logs once per state change (``relay.connected``, ``relay.unavailable``, ``relay.caught_up``),
then catches up. It connects without nats-py's reconnect (``allow_reconnect=False``) and
reconnects itself after any failure, so nothing queued on a dead connection is sent later out of
order. ``lag()`` reports how far behind it is.
"""

from __future__ import annotations

import asyncio
import contextlib
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
        self._log = log.bind(stream=settings.stream_name)

    @property
    def state(self) -> str | None:
        """None before the first round, then connected, caught_up or unavailable."""
        return self._state

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
            batch = await asyncio.to_thread(self._read, position, limit)
            if batch:
                await publish_batch(
                    js,
                    batch,
                    ack_timeout_s=self.settings.relay_ack_timeout_s,
                    stream=self.settings.stream_name,
                )
                await asyncio.to_thread(self._save, batch[-1].position)
        except PublishFailed as failure:
            if failure.acked_through is not None:
                await asyncio.to_thread(self._save, failure.acked_through)
            await self._disconnect()
            raise
        except _UNAVAILABLE:
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
                    await _wait(stop, self.settings.relay_poll_interval_s)
        finally:
            await self.close()

    async def close(self) -> None:
        await self._disconnect()

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
        self._js = self._nc.jetstream(
            timeout=self.settings.relay_ack_timeout_s,
            publish_async_max_pending=self.settings.relay_batch_size,
        )
        return self._js

    async def _disconnect(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
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
