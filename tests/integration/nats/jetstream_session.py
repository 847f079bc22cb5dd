"""Small helpers for sync tests that talk to JetStream through nats-py."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from care_contracts.services.nats.streams import ensure_stream
from care_contracts.services.settings import Settings

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


@contextmanager
def own_stream(
    settings: Settings, nats_url: str, prefix: str, **updates: Any
) -> Iterator[Settings]:
    """``settings`` with a stream of this test's own on ``nats_url``: ensured, then deleted."""
    own = settings.model_copy(
        update={
            "nats_url": nats_url,
            "stream_name": f"{prefix}_{uuid.uuid4().hex[:8].upper()}",
            **updates,
        }
    )
    run(_ensure_stream(own))
    try:
        yield own
    finally:
        delete_stream(nats_url, own.stream_name)


async def _ensure_stream(settings: Settings) -> None:
    async with jetstream(settings.nats_url or "") as (_, js):
        await ensure_stream(js, settings)
