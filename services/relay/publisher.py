"""Stored events as outgoing NATS messages, and one batch published in log order, acks pipelined.

Order. JetStream stores a message only if the stream's last sequence is the message's
``Nats-Expected-Last-Sequence``. A batch goes out in rounds: a round reads the stream's last
sequence (``STREAM.INFO``, one request; one round per batch unless something below happens) and
sends the rest of the batch at once, message *i* of the round expecting that sequence plus *i*.
So a message is stored only if every earlier message of its round was newly stored: after one
that is refused, lost or already on the stream, every later one of the round is refused ("wrong
last sequence", err_code 10071) instead of stored after it. With the relay as the only writer
(its lease), the stream therefore holds the log in position order, each aggregate's events in
version order, whatever is refused, lost or re-published. Verified on nats-server 2.15.1, single
server and 3-node cluster, 500 messages in flight: a refused message, every later one refused.

Rounds. A round ends at its first message without a good ack. A wrong-last-sequence refusal after
progress in the round starts another round from the refused message (the stream is read again);
anything else, or a round without progress, raises ``PublishFailed`` carrying ``acked_through``:
the highest position below the first failure, the only one the relay may save. Nothing after that
failure was stored, so the relay's retry from it keeps the order.

Duplicates. A message whose ``Nats-Msg-Id`` the stream holds (within its ``duplicate_window``) is
acked ``duplicate=True`` and counts as acked, but does not move the last sequence, so the next
new message of its round is refused. (nats-server 2.15.1 checks the expectation before the
duplicate on a single server, after it in a cluster: verified; either works here.) Before the
next round the messages the stream holds right after the duplicate's sequence are read back by
sequence, all at once, and count as acked, unsent, while their ids are the batch's next ones. So
a re-published tail (a relay that died between its acks and its position save, or events
``stream verify --repair`` published ahead of it) costs two rounds, not one per event.

Other writers. A message someone else stores between rounds lies under the relay's next ones.
Stored during a round, it makes the relay's next message refused and the one after it find the
last sequence it expects: the refused event then lands after later ones. Nothing here can prevent
that (``Nats-Expected-Last-Msg-Id`` would, but a 3-node cluster of nats-server 2.15.1 answers its
mismatch in a pipeline with a "critical write error" on every replica: verified); it is logged as
``relay.out_of_order`` (error, with the positions). So nothing else may write to the stream while
the relay publishes: the lease keeps relays apart; run ``stream verify --repair`` while it is off.

Acks. nats-py 2.16's ``publish_async`` loses every error reply (its reply handler raises the
``APIError`` instead of setting it on the future; verified), so a refusal would only show as an
ack timeout. Rounds therefore publish on the context's connection with a reply inbox of their
own: a refusal comes back at once as its ``APIError``; an ack missing after ``ack_timeout_s``
counts as failed. The relay connects without nats-py's reconnect buffer, so nothing queued on a
dead connection is sent later on another.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

import structlog
from eventsourcing.persistence import Notification
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import Header, PubAck
from nats.js.errors import (
    APIError,
    BadRequestError,
    NoStreamResponseError,
    NotFoundError,
    ServerError,
    ServiceUnavailableError,
)

from care_contracts.services.events.envelope import to_cloudevent
from care_contracts.services.store.application import ContractingStore

__all__ = ["Outgoing", "PublishFailed", "outgoing", "publish_batch"]

_MSG_ID = "Nats-Msg-Id"
_EXPECTED_STREAM = "Nats-Expected-Stream"
_EXPECTED_LAST_SEQUENCE = "Nats-Expected-Last-Sequence"
_WRONG_LAST_SEQUENCE = 10071  # JetStream err_code: the last sequence is not the expected one
_NO_RESPONDERS = "503"
_API_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    404: NotFoundError,
    500: ServerError,
    503: ServiceUnavailableError,
}

Outcome = PubAck | BaseException

log = structlog.get_logger("care_contracts.relay")


@dataclass(frozen=True)
class Outgoing:
    """One stored event as it leaves: its log position, NATS subject, headers and JSON body."""

    position: int
    subject: str
    headers: Mapping[str, str]
    payload: bytes

    @property
    def msg_id(self) -> str:
        return self.headers["Nats-Msg-Id"]


class PublishFailed(RuntimeError):
    """Not every message was acked: retry from ``acked_through + 1`` with the same ids."""

    def __init__(self, acked_through: int | None, failed_position: int, cause: BaseException):
        self.acked_through = acked_through
        self.failed_position = failed_position
        self.cause = cause
        reason = type(cause).__name__ + (f": {cause}" if str(cause) else "")
        super().__init__(f"no ack for position {failed_position} ({reason})")


def outgoing(store: ContractingStore, notifications: Iterable[Notification]) -> list[Outgoing]:
    """The CloudEvent message of each notification, in the order given (the log's)."""
    messages = []
    for notification in notifications:
        body = store.contracting_mapper.read_body(notification)
        subject, headers, event = to_cloudevent(
            notification.id,
            body,
            notification.topic,
            UUID(str(notification.originator_id)),
            notification.originator_version,
        )
        payload = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        messages.append(Outgoing(notification.id, subject, headers, payload))
    return messages


async def publish_batch(
    js: JetStreamContext,
    batch: Sequence[Outgoing],
    *,
    ack_timeout_s: float,
    stream: str | None = None,
) -> None:
    """Publish ``batch`` in order and await every ack; ``duplicate=True`` counts as acked.

    ``stream`` is sent as ``Nats-Expected-Stream`` (a subject captured by another stream is
    refused instead of stored there) and names the stream whose last sequence the messages
    expect; without it, the stream that takes the first message's subject. Raises
    ``PublishFailed`` at the first message without a good ack that a new round cannot fix.
    """
    if not batch:
        return
    progress = _Progress(batch)
    try:
        cause = await _publish_rounds(js, progress, stream, ack_timeout_s)
    except Exception as error:  # a request between rounds failed: what was acked stays acked
        cause = error
    if cause is not None:
        raise progress.failed(cause)


@dataclass
class _Progress:
    """A batch under way: its first ``done`` messages are acked."""

    batch: Sequence[Outgoing]
    done: int = 0
    duplicate_at: int | None = None  # the stream sequence the last acked message duplicated

    @property
    def rest(self) -> Sequence[Outgoing]:
        return self.batch[self.done :]

    def take(self, outcomes: Sequence[Outcome]) -> BaseException | None:
        """Count a round's leading acks; the failure that ended them, if any."""
        for outcome in outcomes:
            if not isinstance(outcome, PubAck):
                return outcome
            self.done += 1
            self.duplicate_at = outcome.seq if outcome.duplicate else None
        return None

    def failed(self, cause: BaseException) -> PublishFailed:
        acked_through = self.batch[self.done - 1].position if self.done else None
        return PublishFailed(acked_through, self.batch[self.done].position, cause)


async def _publish_rounds(
    js: JetStreamContext, progress: _Progress, stream: str | None, ack_timeout_s: float
) -> BaseException | None:
    """Rounds until the batch is acked; the failure that stopped them early, if any."""
    name = stream or await js.find_stream_name_by_subject(progress.batch[0].subject)
    while progress.rest:
        last = (await js.stream_info(name)).state.last_seq
        before = progress.done
        if progress.duplicate_at is not None:
            progress.done += await _already_stored(
                js, name, progress.rest, progress.duplicate_at, last
            )
            progress.duplicate_at = None
            if not progress.rest:
                return None
        sent = progress.done
        outcomes = await _publish_chained(js, progress.rest, name, last, ack_timeout_s)
        failure = progress.take(outcomes)
        if failure is None:
            return None
        _check_order(name, progress.rest, outcomes[progress.done - sent :])
        if progress.done == before or not _wrong_last_sequence(failure):
            return failure
    return None


async def _already_stored(
    js: JetStreamContext, stream: str, messages: Sequence[Outgoing], after: int, last: int
) -> int:
    """How many of ``messages`` lie on the stream in order right after sequence ``after``.

    Each sequence up to ``last`` is read once, all requests at once; one that cannot be read
    (deleted, an error) or holds another id ends the count, and its message is sent again.
    """
    count = min(len(messages), last - after)
    if count <= 0:
        return 0
    held = await asyncio.gather(
        *(js.get_msg(stream, seq=after + 1 + i) for i in range(count)), return_exceptions=True
    )
    found = 0
    for message, raw in zip(messages, held, strict=False):
        if isinstance(raw, BaseException) or (raw.headers or {}).get(_MSG_ID) != message.msg_id:
            break
        found += 1
    return found


async def _publish_chained(
    js: JetStreamContext,
    messages: Sequence[Outgoing],
    stream: str,
    last: int,
    timeout_s: float,
) -> list[Outcome]:
    """One round: every message sent, message i expecting ``last + i``; each one's outcome.

    The outcomes are in message order; a failure to send ends them with its error.
    """
    nc: Client = js._nc  # publish_async loses error replies (module docstring)
    inbox = nc.new_inbox()
    loop = asyncio.get_running_loop()
    replies: list[asyncio.Future[Msg]] = [loop.create_future() for _ in messages]

    async def on_reply(msg: Msg) -> None:
        reply = replies[int(msg.subject.rpartition(".")[2])]
        if not reply.done():
            reply.set_result(msg)

    subscription = await nc.subscribe(f"{inbox}.*", cb=on_reply)
    try:
        sent, send_error = await _send(
            nc, messages, stream=stream, last=last, inbox=inbox, timeout_s=timeout_s
        )
        if sent:
            await asyncio.wait(replies[:sent], timeout=timeout_s)
    finally:
        await subscription.unsubscribe()
    outcomes = [_outcome(reply, timeout_s) for reply in replies[:sent]]
    return outcomes if send_error is None else [*outcomes, send_error]


async def _send(
    nc: Client,
    messages: Sequence[Outgoing],
    *,
    stream: str,
    last: int,
    inbox: str,
    timeout_s: float,
) -> tuple[int, BaseException | None]:
    """Send the round (only a full outgoing buffer makes this wait); how many, and any error."""
    sent = 0
    try:
        async with asyncio.timeout(timeout_s):
            for message in messages:
                headers = {
                    **message.headers,
                    _EXPECTED_STREAM: stream,
                    _EXPECTED_LAST_SEQUENCE: str(last + sent),
                }
                await nc.publish(
                    message.subject, message.payload, reply=f"{inbox}.{sent}", headers=headers
                )
                sent += 1
    except Exception as error:  # any failure to send ends the round here
        return sent, error
    return sent, None


def _outcome(reply: asyncio.Future[Msg], timeout_s: float) -> Outcome:
    """The ack in a reply, or the error it carries; a ``TimeoutError`` when none came."""
    if not reply.done():
        return TimeoutError(f"no ack within {timeout_s} s")
    msg = reply.result()
    if msg.headers and msg.headers.get(Header.STATUS) == _NO_RESPONDERS:
        return NoStreamResponseError()
    try:
        response = json.loads(msg.data)
        error = response.get("error")
        if error:
            return _API_ERRORS.get(error.get("code"), APIError)(**error)
        return PubAck.from_response(response)
    except (ValueError, TypeError, KeyError) as unreadable:
        return unreadable


def _check_order(stream: str, messages: Sequence[Outgoing], outcomes: Sequence[Outcome]) -> None:
    """Log loudly if messages after a refused one (the first of ``messages``) were stored.

    Only another writer's message stored during the round lets that happen (module docstring):
    the refused event will land after them, out of log order.
    """
    if not isinstance(outcomes[0], APIError):
        return  # not refused: it may be stored, and then the ones after it are in order
    stored = [
        message.position
        for message, outcome in zip(messages[1:], outcomes[1:], strict=False)
        if isinstance(outcome, PubAck) and not outcome.duplicate
    ]
    if stored:
        log.error(
            "relay.out_of_order",
            stream=stream,
            refused_position=messages[0].position,
            stored_after=len(stored),
            stored_from=stored[0],
            stored_through=stored[-1],
            cause=str(outcomes[0]),
        )


def _wrong_last_sequence(failure: BaseException) -> bool:
    return isinstance(failure, APIError) and failure.err_code == _WRONG_LAST_SEQUENCE
