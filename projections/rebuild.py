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

import nats.js.errors
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

__all__ = ["Progress", "rebuild_from_store", "rebuild_from_stream"]

Progress = Callable[[int, int], None]
_FETCH = 1000
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
    try:
        subscription = await js.pull_subscribe_bind(consumer=name, stream=stream)
        while True:
            try:
                messages = await subscription.fetch(_FETCH, timeout=_IDLE_S)
            except TimeoutError:  # the end of the stream, for now
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
        with contextlib.suppress(nats.js.errors.Error, TimeoutError):
            await js.delete_consumer(stream, name)


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
