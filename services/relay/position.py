"""The relay's durable position: the last notification id whose publication JetStream acked.

It lives in the store's own database, so it is as durable as the events it points into:
SQLite keeps a ``relay_position`` table in the same file, PostgreSQL
``<schema>.contracting_relay_position``. One row per stream name (several streams may be fed
from one store). ``save`` is one small transaction through the recorder's own datastore and
never moves the position back, so a late or repeated save cannot re-open a published range (it
would only be re-published and dropped as duplicates, but the lag would lie).
"""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.sql import SQL, Identifier

from care_contracts.services.settings import APP_NAME
from care_contracts.services.store.application import ContractingStore

__all__ = ["SQLITE_TABLE", "RelayPosition"]

SQLITE_TABLE = "relay_position"
_POSTGRES_TABLE = f"{APP_NAME}_relay_position"


class RelayPosition:
    """``load()`` and ``save(position)`` of one stream's relay position in the store's database."""

    def __init__(self, store: ContractingStore, stream: str) -> None:
        self.stream = stream
        datastore: Any = getattr(store.recorder, "datastore", None)
        if isinstance(datastore, PostgresDatastore):
            self._datastore: SQLiteDatastore | PostgresDatastore = datastore
            table = SQL("{}.{}").format(Identifier(datastore.schema), Identifier(_POSTGRES_TABLE))
            self._create: Any = SQL(
                "CREATE TABLE IF NOT EXISTS {} (stream text PRIMARY KEY, position bigint NOT NULL)"
            ).format(table)
            self._select: Any = SQL("SELECT position FROM {} WHERE stream = %s").format(table)
            self._upsert: Any = SQL(
                "INSERT INTO {0} AS t (stream, position) VALUES (%s, %s) ON CONFLICT (stream) "
                "DO UPDATE SET position = GREATEST(t.position, EXCLUDED.position)"
            ).format(table)
        elif isinstance(datastore, SQLiteDatastore):
            self._datastore = datastore
            self._create = (
                f"CREATE TABLE IF NOT EXISTS {SQLITE_TABLE} "
                "(stream TEXT PRIMARY KEY, position INTEGER NOT NULL)"
            )
            self._select = f"SELECT position FROM {SQLITE_TABLE} WHERE stream = ?"
            self._upsert = (
                f"INSERT INTO {SQLITE_TABLE} (stream, position) VALUES (?, ?) "
                "ON CONFLICT (stream) DO UPDATE SET position = max(position, excluded.position)"
            )
        else:
            raise TypeError(f"no relay position for a {type(store.recorder).__name__}")
        self._created = False

    def load(self) -> int:
        """The saved position (0 when the relay has never saved one)."""
        self._ensure_table()
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(self._select, (self.stream,))
            row = cursor.fetchone()
        return 0 if row is None else int(row["position"])

    def save(self, position: int) -> None:
        """Record ``position`` unless a higher one is already saved (monotonic)."""
        if position < 0:
            raise ValueError(f"a relay position is never negative, got {position}")
        self._ensure_table()
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(self._upsert, (self.stream, position))

    def _ensure_table(self) -> None:
        if self._created:
            return
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(self._create)
        self._created = True
