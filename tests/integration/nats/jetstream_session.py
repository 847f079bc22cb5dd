"""Small helpers for sync tests that talk to JetStream through nats-py."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

T = TypeVar("T")

TIMEOUT_S = 10.0


def run(coroutine: Coroutine[Any, Any, T], timeout_s: float = TIMEOUT_S) -> T:
    """Run one coroutine to completion, bounded."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout_s))


@contextlib.asynccontextmanager
async def jetstream(url: str) -> AsyncIterator[tuple[Client, JetStreamContext]]:
    nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        yield nc, nc.jetstream(timeout=2)
    finally:
        await nc.close()


def delete_stream(url: str, name: str) -> None:
    async def delete() -> None:
        async with jetstream(url) as (_, js):
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(name)

    run(delete())
