"""Rebuilding a projection beside the live one, from the stream or from the event store.

A rebuild fills a new generation of the projection's tables (``state.begin_generation``) while
the live generation keeps serving queries and taking new events. When the new generation has
reached the end of the stream and is at least as far as the live one, ``state.swap`` makes it live
and drops the old tables, in one transaction: no query sees a half-built model. A rebuild that
fails or is cancelled drops its generation and leaves the live one as it was.

- ``--from-stream``: an ephemeral pull consumer from the stream's first message, without acks
  (a reader, not a subscriber), in fetch order.
- ``--from-store``: the store's notification log, published form and all (``events.from_store``),
  then the stream from the first message after the store's last position (found by bisecting the
  stream on the ``position`` extension) to catch up. Events met twice where the two meet are
  skipped by each projection's per-event idempotency.

Progress is reported as (events done, events expected) to a callback (the CLI draws a bar).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable

import nats.errors
import nats.js.errors
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from care_contracts.projections.base import Projection
from care_contracts.projections.database import ReadDatabase
from care_contracts.projections.events import decode, from_store
from care_contracts.projections.runner import SUBJECTS, stream_sequence
from care_contracts.projections.state import (
    ProjectionState,
    abandon,
    active_state,
    apply_batch,
    begin_generation,
    skip_to,
    swap,
)
from care_contracts.services.clock import Clock, SystemClock
from care_contracts.services.store.application import ContractingStore

__all__ = ["Progress", "StreamReadError", "rebuild_from_store", "rebuild_from_stream"]

Progress = Callable[[int, int], None]
_BATCH = 1000  # events per read request and apply transaction
_IDLE_S = 1.0


def _quiet(done: int, total: int) -> None:
    """No progress display."""


async def rebuild_from_stream(
    projection: Projection,
    db: ReadDatabase,
    js: JetStreamContext,
    stream: str,
    *,
    clock: Clock | None = None,
    progress: Progress = _quiet,
    batch_size: int = _BATCH,
) -> ProjectionState:
    """A new generation built from the whole stream, swapped in; its final state."""
    clock = clock or SystemClock()
    built = await asyncio.to_thread(begin_generation, db, projection, clock.now())
    try:
        return await _catch_up_and_swap(
            projection,
            db,
            js,
            stream,
            built=built,
            start_sequence=1,
            done=0,
            clock=clock,
            progress=progress,
            batch_size=batch_size,
        )
    except BaseException:
        await asyncio.to_thread(abandon, db, projection, built.generation)
        raise


async def rebuild_from_store(
    projection: Projection,
    db: ReadDatabase,
    store: ContractingStore,
    js: JetStreamContext,
    stream: str,
    *,
    clock: Clock | None = None,
    progress: Progress = _quiet,
    page_size: int = 2000,
) -> ProjectionState:
    """A new generation built from the event store, caught up from the stream, swapped in."""
    clock = clock or SystemClock()
    built = await asyncio.to_thread(begin_generation, db, projection, clock.now())
    try:
        total = int(store.recorder.max_notification_id() or 0)
        done, position = 0, 0
        while True:
            notifications = await asyncio.to_thread(
                store.recorder.select_notifications, position + 1, page_size
            )
            if not notifications:
                break
            events = [from_store(store, n) for n in notifications]
            await asyncio.to_thread(
                apply_batch, db, projection, events, clock.now(), generation=built.generation
            )
            position = notifications[-1].id
            done += len(events)
            progress(done, max(total, done))
        start = await _first_sequence_after(js, stream, position)
        await asyncio.to_thread(
            skip_to, db, projection.name, built.generation, start - 1, clock.now()
        )
        return await _catch_up_and_swap(
            projection,
            db,
            js,
            stream,
            built=built,
            start_sequence=start,
            done=done,
            clock=clock,
            progress=progress,
        )
    except BaseException:
        await asyncio.to_thread(abandon, db, projection, built.generation)
        raise


async def _catch_up_and_swap(
    projection: Projection,
    db: ReadDatabase,
    js: JetStreamContext,
    stream: str,
    *,
    built: ProjectionState,
    start_sequence: int,
    done: int,
    clock: Clock,
    progress: Progress,
    batch_size: int = _BATCH,
) -> ProjectionState:
    info = await js.stream_info(stream)
    total = done + max(0, info.state.last_seq - start_sequence + 1)
    consumer = await js.add_consumer(
        stream,
        ConsumerConfig(
            description=f"care-contracts rebuild of {projection.name}",
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=max(1, start_sequence),
            ack_policy=AckPolicy.NONE,
            filter_subject=SUBJECTS,
            inactive_threshold=60.0,
        ),
    )
    name = consumer.name or ""
    reader = _PullReader(js, stream, name, batch_size, _IDLE_S)
    try:
        await reader.start()
        while True:
            messages = await reader.next_batch()
            if not messages:  # the end of the stream, for now
                if await asyncio.to_thread(swap, db, projection, built.generation, clock.now()):
                    progress(max(done, total), max(done, total))
                    return await asyncio.to_thread(_live, db, projection)
                continue  # the live generation is further along: read on
            events = [decode(m.data, stream_sequence(m)) for m in messages]
            await asyncio.to_thread(
                apply_batch, db, projection, events, clock.now(), generation=built.generation
            )
            done += len(events)
            progress(done, max(total, done))
    finally:
        await reader.stop()
        with contextlib.suppress(nats.js.errors.Error, TimeoutError):
            await js.delete_consumer(stream, name)


class StreamReadError(RuntimeError):
    """The stream stopped answering a rebuild's reads, or refused them."""


class _PullReader:
    """Reads an ack-less pull consumer with raw pull requests, two batches in flight.

    nats-py's ``fetch`` waits for each message with a timer task of its own, which made reading
    a million events take about 100 s before anything was applied. Here each request (the
    JetStream API's ``CONSUMER.MSG.NEXT``: up to one batch, expiring after ``idle_s``) is answered
    into one inbox whose callback only appends, and the next request goes out as soon as a batch
    is taken, so reading overlaps applying and at most two batches wait in memory. The server
    serves waiting requests in order, so messages arrive in stream order; a request ends after
    its batch, or early with status 404/408 when the stream has no more for now.
    """

    def __init__(self, js: JetStreamContext, stream: str, consumer: str, batch: int, idle_s: float):
        # nats-py exposes no public handle on the connection and API prefix of a context.
        self._nc = js._nc
        self._subject = f"{js._prefix}.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        self._request_body = json.dumps({"batch": batch, "expires": int(idle_s * 1e9)}).encode()
        self._batch = batch
        self._stall_s = 4 * idle_s + 5  # no answer at all this long: the consumer is gone
        self._messages: list[Msg] = []
        self._open = 0  # requests not yet fulfilled or ended
        self._received = 0  # messages received for the oldest open request
        self._changed = asyncio.Event()
        self._error: str | None = None
        self._inbox = ""
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        self._inbox = self._nc.new_inbox()
        self._subscription = await self._nc.subscribe(self._inbox, cb=self._on_message)
        await self._top_up()

    async def stop(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(nats.errors.Error):
                await self._subscription.unsubscribe()
            self._subscription = None

    async def next_batch(self) -> list[Msg]:
        """The next batch in stream order; [] when the stream has nothing more for now."""
        while True:
            if self._error is not None:
                raise StreamReadError(self._error)
            ended_short = self._open < 2
            if len(self._messages) >= self._batch or (self._messages and ended_short):
                batch = self._messages[: self._batch]
                del self._messages[: self._batch]
                await self._top_up()
                return batch
            if not self._messages and self._open == 0:
                await self._top_up()
                return []
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), self._stall_s)
            except TimeoutError as error:
                raise StreamReadError(
                    f"the stream did not answer a pull request in {self._stall_s:.0f} s"
                ) from error

    async def _top_up(self) -> None:
        while self._open < 2:
            self._open += 1
            await self._nc.publish(self._subject, self._request_body, reply=self._inbox)

    async def _on_message(self, message: Msg) -> None:
        status = message.headers.get("Status") if message.headers else None
        if status is None:
            self._messages.append(message)
            self._received += 1
            if self._received == self._batch:
                self._end_request()
            elif len(self._messages) >= self._batch:
                self._changed.set()
        elif status in ("404", "408"):  # no messages (for now), or the request expired
            self._end_request()
        elif status != "100":  # anything but a heartbeat: the consumer is gone or refused
            description = message.headers.get("Description", "") if message.headers else ""
            self._error = f"pull request refused: {status} {description}".strip()
            self._changed.set()

    def _end_request(self) -> None:
        self._open = max(0, self._open - 1)
        self._received = 0
        self._changed.set()


async def _first_sequence_after(js: JetStreamContext, stream: str, position: int) -> int:
    """The first stream sequence whose event's store position is above ``position``.

    The relay publishes in position order, so positions rise with sequences; a bisection needs
    about 2·log2(n) message reads. Deleted sequences are stepped over (``next_by_subj``).
    """
    info = await js.stream_info(stream)
    low, high = info.state.first_seq, info.state.last_seq + 1
    while low < high:
        middle = (low + high) // 2
        try:
            message = await js.get_msg(stream, seq=middle, subject=SUBJECTS, next=True)
        except nats.js.errors.NotFoundError:
            high = middle
            continue
        if message.seq is None or message.data is None:
            high = middle
            continue
        if int(json.loads(message.data)["position"]) > position:
            high = middle
        else:
            low = int(message.seq) + 1
    return low


def _live(db: ReadDatabase, projection: Projection) -> ProjectionState:
    with db.reading() as cur:
        state = active_state(cur, projection.name)
    if state is None:
        raise LookupError(f"projection {projection.name} has no live generation after the swap")
    return state
