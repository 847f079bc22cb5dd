"""Connecting to NATS once, quickly and quietly, without nats-py's reconnect buffer.

nats-py 2.16 retries a refused *initial* connect inside ``nats.connect`` and reads
``max_reconnect_attempts=0`` as "retry for ever", so a caller pointed at a dead server would hang.
One retry without a wait gives up after two quick refusals (``NoServersError``); the outer
``wait_for`` bounds a server that accepts but never answers. Callers that must survive outages
(the relay) reconnect themselves, so nothing queued on a dead connection is sent later, out of
order.

``url`` may list several servers, comma-separated (``nats://n1:4222,nats://n2:4222``): the
nodes of a cluster. The connect tries them in turn (nats-py shuffles the list), so a caller
reconnecting after a node died lands on a live one.
"""

from __future__ import annotations

import asyncio
import random

import nats
import nats.errors
from nats.aio.client import Client

__all__ = ["connect_once", "server_urls"]


async def _quiet(_: Exception) -> None:
    """nats-py's default error callback logs every failure; callers report their own."""


def server_urls(url: str) -> list[str]:
    """The servers a NATS URL setting names: one URL, or several separated by commas."""
    urls = [part.strip() for part in url.split(",") if part.strip()]
    if not urls:
        raise ValueError(f"no NATS server URL in {url!r}")
    return urls


async def connect_once(url: str, *, timeout_s: float = 2.0) -> Client:
    """A connection to ``url`` (one server or a comma-separated cluster), or
    ``NoServersError``/``TimeoutError``/``OSError`` quickly.

    nats-py gives up after the first server when reconnecting is off, so the servers are tried
    here, one after the other in random order (spreading instances over the nodes); the last
    failure is raised when none answers.
    """
    servers = server_urls(url)
    random.shuffle(servers)
    failure: BaseException | None = None
    for server in servers:
        try:
            return await asyncio.wait_for(
                nats.connect(
                    server,
                    allow_reconnect=False,
                    max_reconnect_attempts=1,
                    reconnect_time_wait=0,
                    connect_timeout=timeout_s,
                    error_cb=_quiet,
                ),
                2 * timeout_s,
            )
        except (OSError, TimeoutError, nats.errors.Error) as error:
            failure = error
    assert failure is not None
    raise failure
