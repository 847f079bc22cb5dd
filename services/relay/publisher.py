"""Stored events as outgoing NATS messages, and one batch published with every ack awaited.

Order: a batch is sent in position order over one connection, and JetStream stores the messages
of one publisher on one stream in arrival order, so each aggregate's events land in version order
(the store's log orders them so). Acks are pipelined (``publish_async``, bounded by the
JetStreamContext's ``publish_async_max_pending``); every future is awaited under
``asyncio.wait_for``, because nats-py 2.16 never resolves one on some server errors. A missing,
failed or timed-out ack raises ``PublishFailed`` carrying ``acked_through``: the highest position
below the first failure, the only one the relay may save. Everything after the first failure is
retried with the same ``Nats-Msg-Id`` values, so a later message that was stored anyway comes back
as ``duplicate=True`` (counted as success) and no message is ever treated as done while one
before it is not. The relay connects without nats-py's reconnect buffer: after a dropped
connection nothing sent later on that connection can be stored ahead of a lost earlier message.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import Notification
from nats.js import JetStreamContext
from nats.js.api import PubAck

from care_contracts.services.events.envelope import to_cloudevent
from care_contracts.services.store.application import ContractingStore

__all__ = ["Outgoing", "PublishFailed", "outgoing", "publish_batch"]


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

    ``stream`` (when given) is sent as ``Nats-Expected-Stream``, so a subject captured by another
    stream is refused instead of stored there. Raises ``PublishFailed`` at the first message
    without a good ack.
    """
    futures: list[asyncio.Future[PubAck]] = []
    send_error: BaseException | None = None
    for message in batch:
        try:
            future = await asyncio.wait_for(
                js.publish_async(
                    message.subject,
                    message.payload,
                    wait_stall=ack_timeout_s,
                    stream=stream,
                    headers=dict(message.headers),
                ),
                ack_timeout_s,
            )
        except Exception as error:  # any failure to send ends the batch here
            send_error = error
            break
        futures.append(future)
    results = await asyncio.gather(
        *(asyncio.wait_for(future, ack_timeout_s) for future in futures), return_exceptions=True
    )
    acked_through: int | None = None
    for message, result in zip(batch, results, strict=False):
        if not isinstance(result, PubAck):
            raise PublishFailed(acked_through, message.position, result)
        acked_through = message.position
    if send_error is not None:
        raise PublishFailed(acked_through, batch[len(futures)].position, send_error)
