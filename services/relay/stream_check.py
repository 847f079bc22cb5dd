"""Store against stream: every stored event in the stream exactly once, by id; repair the gaps.

``stored_events(store)`` pages through the store's notification log and gives each event's stable
id (``envelope.event_id``, the relay's ``Nats-Msg-Id``) with its position, aggregate and version.
``read_stream(js, stream)`` reads every message's ``Nats-Msg-Id`` through an ordered consumer
that delivers headers only, from the first message to the last one there when the read began.
``compare`` names the stored events the stream lacks, the ids it holds more than once, ids the
store does not know and messages without an id. ``repair`` publishes the missing events in
position order, each with its ``Nats-Msg-Id``, so nothing already there is duplicated.

A republish the server drops as a duplicate (``PubAck.duplicate``) counts as present only when
the message it points at is still in the stream. Within the duplicate window the server also
remembers the ids of messages deleted since (verified on nats-server 2.15.1: republishing a
deleted message's id returns ``duplicate=True`` with the deleted sequence and stores nothing); such
an event cannot be republished under its id until the window has passed, and is reported as
``blocked``, not as repaired.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from uuid import UUID

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy, StreamInfo
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict

from care_contracts.services.events.envelope import event_id, to_cloudevent
from care_contracts.services.store.application import ContractingStore

__all__ = [
    "PAGE_SIZE",
    "BlockedEvent",
    "DuplicateEvent",
    "ForeignMessage",
    "StoredEventRef",
    "StreamCheckReport",
    "StreamMessageRef",
    "StreamReadError",
    "check_stream",
    "compare",
    "read_stream",
    "repair",
    "stored_events",
]

PAGE_SIZE = 1000
MSG_ID_HEADER = "Nats-Msg-Id"
_IDLE_TIMEOUT_S = 10.0


class StreamReadError(RuntimeError):
    """The stream stopped delivering before its last message was read."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class StoredEventRef(_Frozen):
    event_id: str
    position: int
    aggregate_id: UUID
    version: int
    topic: str


class StreamMessageRef(_Frozen):
    sequence: int
    event_id: str | None


class DuplicateEvent(_Frozen):
    event_id: str
    sequences: tuple[int, ...]
    position: int | None  # None when the store does not know the id


class ForeignMessage(_Frozen):
    """A message whose id names no stored event (another store's, or written by hand)."""

    sequence: int
    event_id: str | None


class BlockedEvent(_Frozen):
    """A missing event the server refused as a duplicate of a message no longer in the stream."""

    event: StoredEventRef
    duplicate_of_sequence: int


class StreamCheckReport(_Frozen):
    stream: str
    stored: int
    messages: int
    missing: tuple[StoredEventRef, ...]
    duplicates: tuple[DuplicateEvent, ...]
    foreign: tuple[ForeignMessage, ...]
    repaired: tuple[StoredEventRef, ...] = ()
    blocked: tuple[BlockedEvent, ...] = ()

    @property
    def still_missing(self) -> tuple[StoredEventRef, ...]:
        done = {e.event_id for e in self.repaired}
        return tuple(e for e in self.missing if e.event_id not in done)

    @property
    def ok(self) -> bool:
        """Every stored event is in the stream exactly once (after any repair)."""
        return not self.still_missing and not self.duplicates


def stored_events(store: ContractingStore, page_size: int = PAGE_SIZE) -> Iterator[StoredEventRef]:
    """Every stored event's id, position, aggregate and version, in position order."""
    start = 1
    while True:
        page = store.recorder.select_notifications(start=start, limit=page_size)
        for notification in page:
            aggregate_id = UUID(str(notification.originator_id))
            version = notification.originator_version
            yield StoredEventRef(
                event_id=event_id(aggregate_id, version),
                position=notification.id,
                aggregate_id=aggregate_id,
                version=version,
                topic=notification.topic,
            )
        if len(page) < page_size:
            return
        start = page[-1].id + 1


async def read_stream(
    js: JetStreamContext, stream: str
) -> tuple[StreamInfo, list[StreamMessageRef]]:
    """Each message's stream sequence and ``Nats-Msg-Id``, up to the last one when called.

    Raises ``nats.js.errors.NotFoundError`` when there is no such stream.
    """
    info = await js.stream_info(stream)
    total, last = info.state.messages, info.state.last_seq
    found: list[StreamMessageRef] = []
    if total == 0:
        return info, found
    subscription = await js.subscribe(
        ">",
        stream=stream,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
        headers_only=True,
    )
    try:
        while True:
            try:
                msg = await subscription.next_msg(timeout=_IDLE_TIMEOUT_S)
            except NatsTimeoutError as error:
                raise StreamReadError(
                    f"stream {stream!r} delivered {len(found)} of {total} messages, then nothing"
                    f" for {_IDLE_TIMEOUT_S} s"
                ) from error
            sequence = msg.metadata.sequence.stream
            if sequence > last:
                break  # published after the read began
            found.append(StreamMessageRef(sequence=sequence, event_id=_msg_id(msg)))
            if sequence == last or msg.metadata.num_pending == 0 or len(found) >= total:
                break
    finally:
        await subscription.unsubscribe()
    return info, found


def compare(
    stream: str, stored: Iterable[StoredEventRef], messages: Iterable[StreamMessageRef]
) -> StreamCheckReport:
    """What the stream lacks, holds twice, or holds that the store does not know."""
    by_id = {event.event_id: event for event in stored}
    sequences: defaultdict[str, list[int]] = defaultdict(list)
    foreign: list[ForeignMessage] = []
    count = 0
    for message in messages:
        count += 1
        if message.event_id is None or message.event_id not in by_id:
            foreign.append(ForeignMessage(sequence=message.sequence, event_id=message.event_id))
        if message.event_id is not None:
            sequences[message.event_id].append(message.sequence)
    missing = tuple(e for e in by_id.values() if e.event_id not in sequences)
    duplicates = tuple(
        DuplicateEvent(
            event_id=identifier,
            sequences=tuple(seqs),
            position=by_id[identifier].position if identifier in by_id else None,
        )
        for identifier, seqs in sequences.items()
        if len(seqs) > 1
    )
    return StreamCheckReport(
        stream=stream,
        stored=len(by_id),
        messages=count,
        missing=tuple(sorted(missing, key=lambda e: e.position)),
        duplicates=tuple(sorted(duplicates, key=lambda d: d.sequences[0])),
        foreign=tuple(foreign),
    )


async def repair(
    js: JetStreamContext, store: ContractingStore, report: StreamCheckReport
) -> StreamCheckReport:
    """Publish the report's missing events in position order, each under its own id."""
    repaired: list[StoredEventRef] = []
    blocked: list[BlockedEvent] = []
    for missing in sorted(report.missing, key=lambda e: e.position):
        subject, headers, payload = _envelope(store, missing)
        ack = await js.publish(subject, payload, headers=headers, stream=report.stream)
        if not ack.duplicate or await _holds(js, report.stream, ack.seq, missing.event_id):
            repaired.append(missing)
        else:
            blocked.append(BlockedEvent(event=missing, duplicate_of_sequence=ack.seq))
    return report.model_copy(update={"repaired": tuple(repaired), "blocked": tuple(blocked)})


async def check_stream(
    js: JetStreamContext, store: ContractingStore, stream: str, *, fix: bool = False
) -> StreamCheckReport:
    """Compare (and with ``fix``, repair) the store with the stream."""
    stored = list(stored_events(store))
    _, messages = await read_stream(js, stream)
    report = compare(stream, stored, messages)
    if fix and report.missing:
        report = await repair(js, store, report)
    return report


def _envelope(store: ContractingStore, event: StoredEventRef) -> tuple[str, dict[str, str], bytes]:
    (notification,) = store.recorder.select_notifications(
        start=event.position, limit=1, stop=event.position
    )
    body = store.contracting_mapper.read_body(notification)
    subject, headers, cloudevent = to_cloudevent(
        notification.id, body, notification.topic, event.aggregate_id, event.version
    )
    if headers[MSG_ID_HEADER] != event.event_id:  # the log changed under us: never guess
        raise RuntimeError(f"position {event.position} no longer holds event {event.event_id}")
    payload = json.dumps(cloudevent, separators=(",", ":"), ensure_ascii=False).encode()
    return subject, headers, payload


async def _holds(js: JetStreamContext, stream: str, sequence: int, identifier: str) -> bool:
    try:
        msg = await js.get_msg(stream, seq=sequence)
    except NotFoundError:
        return False
    return (msg.headers or {}).get(MSG_ID_HEADER) == identifier


def _msg_id(msg: Msg) -> str | None:
    return (msg.headers or {}).get(MSG_ID_HEADER)
