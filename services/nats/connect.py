"""Connecting to NATS once, quickly and quietly, without nats-py's reconnect buffer.

nats-py 2.16 retries a refused *initial* connect inside ``nats.connect`` and reads
``max_reconnect_attempts=0`` as "retry for ever", so a caller pointed at a dead server would hang.
One retry without a wait gives up after two quick refusals (``NoServersError``); the outer
``wait_for`` bounds a server that accepts but never answers. Callers that must survive outages
(the relay) reconnect themselves, so nothing queued on a dead connection is sent later, out of
order.
"""

from __future__ import annotations

import asyncio

import nats
from nats.aio.client import Client

__all__ = ["connect_once"]


async def _quiet(_: Exception) -> None:
    """nats-py's default error callback logs every failure; callers report their own."""


async def connect_once(url: str, *, timeout_s: float = 2.0) -> Client:
    """A connection to ``url``, or ``NoServersError``/``TimeoutError``/``OSError`` quickly."""
    return await asyncio.wait_for(
        nats.connect(
            url,
            allow_reconnect=False,
            max_reconnect_attempts=1,
            reconnect_time_wait=0,
            connect_timeout=timeout_s,
            error_cb=_quiet,
        ),
        2 * timeout_s,
    )
