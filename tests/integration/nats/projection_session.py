"""Helpers for projection tests: publish a store through the relay, run a projection to the end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from care_contracts.projections.base import Projection
from care_contracts.projections.database import ReadDatabase, open_read_database
from care_contracts.projections.runner import ProjectionRunner
from care_contracts.services.clock import Clock
from care_contracts.services.relay.relay import Relay
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore


async def publish_all(store: ContractingStore, settings: Settings) -> int:
    """Relay rounds until every stored event is acked on the settings' stream."""
    relay = Relay(store, settings.nats_url or "", settings)
    published = 0
    try:
        while count := await relay.run_once(500):
            published += count
    finally:
        await relay.close()
    return published


async def project_all(runner: ProjectionRunner) -> int:
    """Runner rounds until a fetch comes back empty; the number of events applied."""
    applied = 0
    while (batch := await runner.run_once()) is not None:
        applied += batch.applied
    return applied


@contextmanager
def read_database(settings: Settings) -> Iterator[ReadDatabase]:
    db = open_read_database(settings)
    try:
        yield db
    finally:
        db.close()


def runner_for(
    projection: Projection, db: ReadDatabase, settings: Settings, clock: Clock
) -> ProjectionRunner:
    fast = settings.model_copy(update={"projection_poll_interval_s": 0.2})
    return ProjectionRunner(projection, db, settings.nats_url or "", fast, clock=clock)
