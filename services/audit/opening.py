"""Open an existing store for reading, never creating one.

``ContractingStore`` creates its data folder and tables when opened, which is right for the service
and wrong for an auditor: pointing ``verify`` at a mistyped path must not leave an empty, "clean"
store behind. So the place is checked first (the SQLite file and its tables, read-only; or the
PostgreSQL schema's tables in ``information_schema``) and the store is then opened with table
creation off and snapshots off (audit reads replay events only).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from care_contracts.services.audit.errors import NoEventStore, UnreadableEventStore
from care_contracts.services.settings import APP_NAME, Settings
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.recorders import ChainedSQLiteApplicationRecorder

__all__ = ["existing_store", "open_existing_store", "store_location"]

_SQLITE_TABLES = ("stored_events", ChainedSQLiteApplicationRecorder.chain_table)
_POSTGRES_TABLES = (f"{APP_NAME}_events", f"{APP_NAME}_chain")


def store_location(settings: Settings) -> str:
    """Where the settings point, for messages (a PostgreSQL DSN without its password)."""
    if settings.postgres_dsn is None:
        return str(settings.sqlite_path)
    parts = conninfo_to_dict(settings.postgres_dsn.get_secret_value())
    host = parts.get("host") or "127.0.0.1"
    port = parts.get("port") or "5432"
    database = parts.get("dbname") or "postgres"
    return f"postgresql://{host}:{port}/{database} schema {settings.postgres_schema}"


def open_existing_store(settings: Settings) -> ContractingStore:
    """The store the settings point at, if one exists there (``EventStoreUnavailable`` if not)."""
    if settings.postgres_dsn is None:
        _check_sqlite(settings.sqlite_path)
    else:
        _check_postgres(settings, settings.postgres_dsn.get_secret_value())
    try:
        return ContractingStore(
            settings.model_copy(update={"snapshot_interval": 0}), create_tables=False
        )
    except Exception as error:
        raise UnreadableEventStore(
            f"cannot open the event store at {store_location(settings)}: {error}"
        ) from error


@contextmanager
def existing_store(settings: Settings) -> Iterator[ContractingStore]:
    store = open_existing_store(settings)
    try:
        yield store
    finally:
        store.close()


def _check_sqlite(path: Path) -> None:
    if not path.is_file():
        raise NoEventStore(f"no event store at {path}")
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables = {name for (name,) in rows}
    except sqlite3.Error as error:
        raise UnreadableEventStore(f"cannot read the event store at {path}: {error}") from error
    missing = [t for t in _SQLITE_TABLES if t not in tables]
    if missing:
        raise NoEventStore(f"no event store at {path} (no table {', '.join(missing)})")


def _check_postgres(settings: Settings, dsn: str) -> None:
    where = store_location(settings)
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = %s AND table_name = ANY(%s)",
                (settings.postgres_schema, list(_POSTGRES_TABLES)),
            ).fetchall()
    except psycopg.Error as error:
        raise UnreadableEventStore(f"cannot read the event store at {where}: {error}") from error
    tables = {name for (name,) in rows}
    missing = [t for t in _POSTGRES_TABLES if t not in tables]
    if missing:
        raise NoEventStore(f"no event store at {where} (no table {', '.join(missing)})")
