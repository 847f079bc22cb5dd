"""Feeding one projection from the stream: its own durable pull consumer, explicit acks, in order.

Each round fetches up to ``projection_batch_size`` messages (one fetch is one ordered list; they
are applied in that order, never concurrently), decodes them, applies them and the new position
in one read-store transaction (``state.apply_batch``), and only then acks each message. A crash
before the commit redelivers the batch; a crash after it redelivers messages the position skips.

The read store, not the consumer, is the checkpoint (the consumer's ack floor can be ahead of a
restored or deleted read store): on every (re)connect the runner recreates its durable consumer,
``<projection_consumer_prefix>-<projection>-<instance_id>``, to start at the stored sequence + 1.

Several service instances may share one read store (PostgreSQL): each has its own consumer and
reads the whole stream, and ``apply_batch`` serialises their batches on the projection's state
row and skips what another instance applied first, so every event is applied once, in stream
order, whichever instance gets there first; an instance that dies costs nothing but its reads.
The server forgets a consumer unused for a week (``inactive_threshold``).

Failures:

- NATS or the read store unavailable: log once, back off (doubling, capped), reconnect and resume
  from the stored position. Nothing is acked that was not applied.
- An event the projection cannot apply (undecodable, invalid data, out of order): the projection
  stops with ``status == "failed"``, the error in its state row (``projections status``), a log
  line and ``error``; the event is never skipped. Other projections and the command side go on.
  After a fix, a restart (or a rebuild) resumes from the same event.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence
from datetime import datetime

import nats.errors
import nats.js.errors
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from care_contracts.projections.base import Projection, ProjectionError
from care_contracts.projections.database import ReadDatabase, ReadStoreError
from care_contracts.projections.events import ProjectedEvent, UndecodableEvent, decode
from care_contracts.projections.state import (
    Applied,
    ProjectionState,
    apply_batch,
    ensure_projection,
    mark_failed,
)
from care_contracts.services.clock import Clock, SystemClock
from care_contracts.services.relay.relay import ConnectFactory, connect_factory
from care_contracts.services.settings import Settings

__all__ = ["CANNOT_APPLY", "ProjectionRunner", "consumer_name", "stream_sequence"]

log = structlog.get_logger("care_contracts.projections")

CANNOT_APPLY = (ProjectionError, UndecodableEvent, ValidationError)
_UNAVAILABLE = (nats.errors.Error, OSError, TimeoutError, ReadStoreError)
_CLOSE_TIMEOUT_S = 2.0
_INACTIVE_THRESHOLD_S = 7 * 24 * 3600.0  # the server drops a consumer unused this long
SUBJECTS = "contracting.>"
_V1_ACK_TOKENS = 9


def consumer_name(settings: Settings, projection: Projection) -> str:
    """``<prefix>-<projection>-<instance>``, in the characters a durable name allows."""
    instance = re.sub(r"[^A-Za-z0-9_-]+", "-", settings.instance_id).strip("-") or "instance"
    return f"{settings.projection_consumer_prefix}-{projection.name.replace('_', '-')}-{instance}"


class ProjectionRunner:
    """Keeps one projection up to date with the stream."""

    def __init__(
        self,
        projection: Projection,
        db: ReadDatabase,
        nats_url_or_connect: str | ConnectFactory,
        settings: Settings,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.projection = projection
        self.db = db
        self.settings = settings
        self._connect = (
            connect_factory(nats_url_or_connect)
            if isinstance(nats_url_or_connect, str)
            else nats_url_or_connect
        )
        self._clock: Clock = clock or SystemClock()
        self._nc: Client | None = None
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._status: str | None = None
        self.error: str | None = None
        self.last_event_time: datetime | None = None  # of the last event applied
        self._log = log.bind(projection=projection.name, stream=settings.stream_name)

    @property
    def status(self) -> str | None:
        """None before the first round, then caught_up, behind, unavailable or failed."""
        return self._status

    @property
    def consumer(self) -> str:
        return consumer_name(self.settings, self.projection)

    async def run_once(self, max_batch: int | None = None) -> Applied | None:
        """Fetch, apply and ack one batch; None when nothing arrived within the poll interval.

        Raises ``ProjectionError``/``UndecodableEvent``/``ValidationError`` for an event that
        cannot be applied (after recording it as the projection's failure), and what made NATS
        or the read store unavailable (after dropping the connection).
        """
        limit = max_batch or self.settings.projection_batch_size
        try:
            subscription = await self._subscribe()
            try:
                messages = await subscription.fetch(
                    limit, timeout=self.settings.projection_poll_interval_s
                )
            except TimeoutError:
                self._change("caught_up")
                return None
            events = [_decode(message) for message in messages]
            applied = await asyncio.to_thread(self._apply, events)
            for message in messages:
                await message.ack()
        except CANNOT_APPLY as error:
            await self._fail(error)
            raise
        except _UNAVAILABLE:
            await self._disconnect()
            raise
        if applied.state.last_event_time is not None:
            self.last_event_time = applied.state.last_event_time
        self._change("caught_up" if len(messages) < limit else "behind")
        return applied

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Rounds until ``stop`` is set or an event cannot be applied; backs off while down."""
        failures = 0
        try:
            while not stop.is_set():
                try:
                    await self.run_once()
                except CANNOT_APPLY:
                    return  # recorded and logged by run_once; never skipped
                except Exception as error:
                    if stop.is_set():
                        return  # the connection closed because the service is stopping
                    failures += 1
                    delay = min(
                        self.settings.relay_backoff_max_s,
                        self.settings.relay_poll_interval_s * 2 ** (failures - 1),
                    )
                    self._unavailable(error, delay)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    continue
                failures = 0
        finally:
            await self.close()

    async def close(self) -> None:
        await self._disconnect()

    def _apply(self, events: Sequence[ProjectedEvent]) -> Applied:
        return apply_batch(self.db, self.projection, events, self._clock.now())

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        if self._subscription is not None and self._nc is not None and self._nc.is_connected:
            return self._subscription
        await self._disconnect()
        state = await asyncio.to_thread(
            ensure_projection, self.db, self.projection, self._clock.now()
        )
        self._nc = await self._connect()
        js = self._nc.jetstream(timeout=self.settings.relay_ack_timeout_s)
        await self._recreate_consumer(js, state)
        self._subscription = await js.pull_subscribe_bind(
            durable=self.consumer, stream=self.settings.stream_name
        )
        self._log.info(
            "projection.subscribed",
            consumer=self.consumer,
            generation=state.generation,
            from_sequence=state.last_sequence + 1,
        )
        return self._subscription

    async def _recreate_consumer(self, js: JetStreamContext, state: ProjectionState) -> None:
        """The durable consumer, (re)started right after the read store's position."""
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_consumer(self.settings.stream_name, self.consumer)
        start = state.last_sequence + 1
        await js.add_consumer(
            self.settings.stream_name,
            ConsumerConfig(
                durable_name=self.consumer,
                description=f"care-contracts projection {self.projection.name}",
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=start,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self.settings.projection_ack_wait_s,
                max_ack_pending=max(1000, 2 * self.settings.projection_batch_size),
                filter_subject=SUBJECTS,
                inactive_threshold=_INACTIVE_THRESHOLD_S,
            ),
        )

    async def _fail(self, error: Exception) -> None:
        self.error = f"{type(error).__name__}: {error}"
        self._status = "failed"
        self._log.error("projection.failed", error=self.error)
        with contextlib.suppress(ReadStoreError, LookupError):
            state = await asyncio.to_thread(
                ensure_projection, self.db, self.projection, self._clock.now()
            )
            await asyncio.to_thread(
                mark_failed,
                self.db,
                self.projection.name,
                state.generation,
                self.error,
                self._clock.now(),
            )
        await self._disconnect()

    def _unavailable(self, error: Exception, retry_in_s: float) -> None:
        if self._status == "unavailable":
            return
        self._status = "unavailable"
        self._log.warning(
            "projection.unavailable",
            error=f"{type(error).__name__}: {error}",
            retry_in_s=retry_in_s,
        )

    def _change(self, status: str) -> None:
        if self._status == status:
            return
        before, self._status = self._status, status
        if status == "caught_up" or before in (None, "unavailable"):
            self._log.info(f"projection.{status}")

    async def _disconnect(self) -> None:
        nc, self._nc, self._subscription = self._nc, None, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), _CLOSE_TIMEOUT_S)


def _decode(message: Msg) -> ProjectedEvent:
    return decode(message.data, stream_sequence(message))


def stream_sequence(message: Msg) -> int:
    """A JetStream message's stream sequence, read from its ack subject.

    ``$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>``:
    one token, where nats-py's ``metadata`` builds two dataclasses and a datetime per message
    (about a tenth of a projection's time per event). Any other form (a JetStream domain's
    longer subject) goes to nats-py's parser.
    """
    tokens = (message.reply or "").split(".")
    if len(tokens) == _V1_ACK_TOKENS and tokens[0] == "$JS" and tokens[1] == "ACK":
        return int(tokens[5])
    return message.metadata.sequence.stream
