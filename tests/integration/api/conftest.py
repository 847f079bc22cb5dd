"""The HTTP API in-process (FastAPI's TestClient) over real stores, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from care_contracts.projections.database import open_read_database
from care_contracts.services.api.app import create_app
from care_contracts.services.api.context import ApiContext
from care_contracts.services.api.tokens import TokenGrant, TokenStore, open_token_store
from care_contracts.services.bootstrap import build
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.settings import Settings
from care_contracts.services.store.metadata import Role

START = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def api_clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
def api_context(settings: Settings, api_clock: SimulatedClock) -> Iterator[ApiContext]:
    services = build(settings, clock=api_clock)
    read_db = open_read_database(settings)
    tokens = open_token_store(settings)
    yield ApiContext(services=services, read_db=read_db, tokens=tokens)
    tokens.close()
    read_db.close()
    services.close()


@pytest.fixture
def client(api_context: ApiContext) -> Iterator[TestClient]:
    with TestClient(create_app(api_context), raise_server_exceptions=False) as test_client:
        yield test_client


class Tokens:
    def __init__(self, store: TokenStore) -> None:
        self.store = store

    def header(
        self, role: Role, *, agb: str | None = None, insurer: str | None = None
    ) -> dict[str, str]:
        subject = agb or f"{role}-1"
        grant = TokenGrant(role=role, subject=subject, agb=agb, insurer=insurer)
        issued = self.store.create(grant, START)
        return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
def tokens(api_context: ApiContext) -> Tokens:
    return Tokens(api_context.tokens)
