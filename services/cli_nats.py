"""What the commands that talk to NATS share: options, connecting, and exit 2 when unreachable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import typer
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.errors import NoServersError
from nats.js import JetStreamContext
from rich.markup import escape

from care_contracts.services.cli_options import err, settings_from_options
from care_contracts.services.nats.connect import connect_once
from care_contracts.services.relay.stream_check import StreamReadError
from care_contracts.services.settings import Settings

__all__ = [
    "NatsUnavailable",
    "NatsUrl",
    "StreamName",
    "jetstream_at",
    "nats_url_of",
    "run_nats",
    "stream_settings",
]

T = TypeVar("T")
_CONNECT_TIMEOUT_S = 3.0

NatsUrl = Annotated[
    str | None,
    typer.Option("--nats-url", help="NATS server URL (CARE_CONTRACTS_NATS_URL)."),
]
StreamName = Annotated[
    str | None,
    typer.Option("--stream", help="Stream name (CARE_CONTRACTS_STREAM_NAME, default CONTRACTING)."),
]


class NatsUnavailable(Exception):
    """NATS or the stream cannot be reached: the command exits with code 2."""


@asynccontextmanager
async def jetstream_at(url: str) -> AsyncIterator[JetStreamContext]:
    """A JetStream context on a fresh connection to ``url``, closed afterwards."""
    client = await _connect(url)
    try:
        yield client.jetstream(timeout=5)
    finally:
        await client.close()


async def _connect(url: str) -> Client:
    try:
        return await connect_once(url, timeout_s=_CONNECT_TIMEOUT_S)
    except (NoServersError, OSError, TimeoutError, NatsError) as error:
        raise NatsUnavailable(
            f"cannot reach NATS at {url}: {error or type(error).__name__}"
        ) from error


def run_nats(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine``; NATS or the stream unavailable exits 2 with its message."""
    try:
        return asyncio.run(coroutine)
    except (NatsUnavailable, StreamReadError) as error:
        err.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from error


def stream_settings(
    *, nats_url: str | None, stream: str | None, **store_options: Any
) -> tuple[Settings, str]:
    """Settings from the options of a command that reads the stream, and its NATS URL (exit 2
    with a message when there is none): ``store_options`` are the store's and read store's."""
    settings = settings_from_options(nats_url=nats_url, stream_name=stream, **store_options)
    return settings, nats_url_of(settings)


def nats_url_of(settings: Settings) -> str:
    """The configured NATS URL, or exit 2 saying how to give one."""
    if settings.nats_url is None:
        err.print("[red]no NATS server given:[/red] pass --nats-url or set CARE_CONTRACTS_NATS_URL")
        raise typer.Exit(2)
    return settings.nats_url
