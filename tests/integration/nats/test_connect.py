"""Connecting to a NATS URL setting that lists the nodes of a cluster."""

from __future__ import annotations

import asyncio
import socket

import nats.errors
import pytest

from care_contracts.services.nats.connect import connect_once, server_urls

pytestmark = pytest.mark.nats


def _dead_url() -> str:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"nats://127.0.0.1:{port}"


def test_a_url_setting_names_one_server_or_a_comma_separated_list() -> None:
    assert server_urls("nats://a:4300") == ["nats://a:4300"]
    assert server_urls(" nats://a:4300, nats://b:4300 ,nats://c:4300,") == [
        "nats://a:4300",
        "nats://b:4300",
        "nats://c:4300",
    ]
    with pytest.raises(ValueError, match="no NATS server URL"):
        server_urls(" , ")


def test_a_dead_node_in_the_list_is_passed_over_for_a_live_one(nats_url: str) -> None:
    listed = f"{_dead_url()},{nats_url},{_dead_url()}"

    async def connect_many() -> set[str]:
        reached = set()
        for _ in range(12):  # the order is random: each try may start at a dead node
            nc = await connect_once(listed, timeout_s=1)
            reached.add(f"nats://{nc.connected_url.netloc}" if nc.connected_url else "")
            await nc.close()
        return reached

    assert asyncio.run(connect_many()) == {nats_url}


def test_no_live_node_is_a_quick_connection_error() -> None:
    with pytest.raises(nats.errors.NoServersError):
        asyncio.run(connect_once(f"{_dead_url()},{_dead_url()}", timeout_s=1))
