"""The whole service, started as ``serve`` starts it, on a free port with its own embedded NATS."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from care_contracts.services.runtime import ServiceRuntime, Started
from care_contracts.services.settings import Settings

START = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)


@dataclass
class RunningService:
    runtime: ServiceRuntime
    started: Started
    settings: Settings


@pytest.fixture
def service(tmp_path: Path) -> Iterator[RunningService]:
    settings = Settings(data_dir=tmp_path / "data", snapshot_interval=0, relay_poll_interval_s=0.05)
    runtime = ServiceRuntime(settings, port=0, simulated_start=START)
    ready = threading.Event()
    found: list[Started] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(runtime.run(on_started=lambda s: (found.append(s), ready.set())))
        except BaseException as error:  # surfaced below
            failure.append(error)
            ready.set()

    thread = threading.Thread(target=run, name="service", daemon=True)
    thread.start()
    assert ready.wait(30), "the service did not start within 30 s"
    if failure:
        raise failure[0]
    yield RunningService(runtime, found[0], settings)
    runtime.request_stop()
    thread.join(30)
    assert not thread.is_alive(), "the service did not stop within 30 s"
