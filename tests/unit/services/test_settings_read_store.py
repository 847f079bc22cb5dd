"""Where the read models live: the event store's PostgreSQL schema, or one of their own."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from care_contracts.projections.database import PostgresReadDatabase, open_read_database
from care_contracts.services.settings import Settings

DSN = SecretStr("postgresql://postgres@127.0.0.1:5432/postgres")


def test_read_models_share_the_event_stores_schema_unless_given_their_own() -> None:
    shared = Settings(postgres_dsn=DSN, postgres_schema="contracting")
    own = Settings(postgres_dsn=DSN, postgres_schema="contracting", read_store_schema="rm_a")

    shared_db, own_db = open_read_database(shared), open_read_database(own)

    assert isinstance(shared_db, PostgresReadDatabase)
    assert isinstance(own_db, PostgresReadDatabase)
    assert (shared_db.schema, own_db.schema) == ("contracting", "rm_a")
    assert own.postgres_schema == "contracting"  # the events (and tokens) stay where they are


def test_the_read_store_schema_comes_from_the_environment_and_is_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARE_CONTRACTS_READ_STORE_SCHEMA", "instance_b")
    assert Settings(postgres_dsn=DSN).read_models_schema == "instance_b"
    with pytest.raises(ValidationError, match="read_store_schema"):
        Settings(postgres_dsn=DSN, read_store_schema="Not-A-Schema")
