"""The read-model database: SQLite by default, PostgreSQL when configured, one small SQL surface.

Projections write plain SQL that both backends accept (``INSERT … ON CONFLICT … DO UPDATE``,
window functions, ``?`` placeholders); ``Cursor`` turns ``?`` into psycopg's ``%s`` on PostgreSQL.
Driver errors surface as ``ReadStoreError`` (``sqlite3.Error`` and ``psycopg.Error`` never leave
this module). A write transaction takes the database's write lock first (SQLite ``BEGIN
IMMEDIATE``; on PostgreSQL the caller locks its projection's state row), so two writers of one
projection serialise instead of interleaving.

SQLite: one file, WAL, ``synchronous=FULL`` (a read model is rebuilt from the stream, but a lost
commit with a kept position would be a silent gap). PostgreSQL: the event store's DSN unless the
read store has its own, tables in the configured schema.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import psycopg

from care_contracts.services.settings import Settings

__all__ = [
    "Cursor",
    "Dialect",
    "PostgresReadDatabase",
    "ReadDatabase",
    "ReadStoreError",
    "Row",
    "SqliteReadDatabase",
    "open_read_database",
]

Dialect = Literal["sqlite", "postgres"]
Row = tuple[Any, ...]
_DRIVER_ERRORS = (sqlite3.Error, psycopg.Error)


class ReadStoreError(RuntimeError):
    """The read-model database failed or refused a statement."""


class _DbApiCursor(Protocol):
    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...
    def executemany(self, sql: Any, params: Any, /) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...


class Cursor:
    """A cursor inside one transaction, with ``?`` placeholders on both backends."""

    def __init__(self, raw: _DbApiCursor, dialect: Dialect) -> None:
        self._raw = raw
        self.dialect: Dialect = dialect

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgres" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        try:
            self._raw.execute(self._sql(sql), tuple(params))
        except _DRIVER_ERRORS as error:
            raise ReadStoreError(f"{type(error).__name__}: {error}") from error
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        try:
            self._raw.executemany(self._sql(sql), [tuple(r) for r in rows])
        except _DRIVER_ERRORS as error:
            raise ReadStoreError(f"{type(error).__name__}: {error}") from error

    def fetchall(self) -> list[Row]:
        return [tuple(r) for r in self._raw.fetchall()]

    def fetchone(self) -> Row | None:
        row = self._raw.fetchone()
        return None if row is None else tuple(row)

    def column_names(self) -> list[str]:
        """The columns of the last query's result."""
        description = getattr(self._raw, "description", None) or ()
        return [str(column[0]) for column in description]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]


class ReadDatabase(Protocol):
    dialect: Dialect

    def transaction(self) -> contextlib.AbstractContextManager[Cursor]:
        """A write transaction: committed when the block ends, rolled back when it raises."""

    def reading(self) -> contextlib.AbstractContextManager[Cursor]:
        """A read-only snapshot for queries."""

    def close(self) -> None: ...


class SqliteReadDatabase:
    """The read models in one SQLite file; one connection per thread."""

    dialect: Dialect = "sqlite"

    def __init__(self, path: Path, *, durable_commits: bool = True) -> None:
        self.path = path
        self._synchronous = "FULL" if durable_commits else "NORMAL"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # WAL once per file, before any thread connects: switching the mode takes a lock that
        # does not wait for the busy handler, so concurrent first connections could fail on it.
        try:
            with contextlib.closing(sqlite3.connect(path, timeout=30)) as first:
                if str(first.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                    first.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as error:
            raise ReadStoreError(f"cannot open {path}: {error}") from error

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False, timeout=30
                )
                connection.execute(f"PRAGMA synchronous={self._synchronous}")
            except sqlite3.Error as error:
                raise ReadStoreError(f"cannot open {self.path}: {error}") from error
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Cursor]:
        connection = self._connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise ReadStoreError(f"cannot begin a write: {error}") from error
        try:
            yield Cursor(connection.cursor(), "sqlite")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            connection.execute("ROLLBACK")
            raise ReadStoreError(f"commit failed: {error}") from error

    @contextlib.contextmanager
    def reading(self) -> Iterator[Cursor]:
        connection = self._connection()
        connection.execute("BEGIN")
        try:
            yield Cursor(connection.cursor(), "sqlite")
        finally:
            connection.execute("ROLLBACK")

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()


class PostgresReadDatabase:
    """The read models in a PostgreSQL schema; a connection per transaction from a small pool."""

    dialect: Dialect = "postgres"

    def __init__(
        self, dsn: str, schema: str = "public", pool_size: int = 4, *, durable_commits: bool = True
    ) -> None:
        self._dsn = dsn
        self.schema = schema
        self._durable_commits = durable_commits
        self._pool: list[psycopg.Connection[Any]] = []
        self._pool_size = pool_size
        self._lock = threading.Lock()

    def _take(self) -> psycopg.Connection[Any]:
        with self._lock:
            while self._pool:
                connection = self._pool.pop()
                if not connection.closed:
                    return connection
        try:
            connection = psycopg.connect(self._dsn, autocommit=False)
            connection.execute(
                psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    psycopg.sql.Identifier(self.schema)
                )
            )
            connection.execute(
                psycopg.sql.SQL("SET search_path TO {}").format(psycopg.sql.Identifier(self.schema))
            )
            if not self._durable_commits:
                connection.execute("SET synchronous_commit = off")
            connection.commit()
        except psycopg.Error as error:
            raise ReadStoreError(f"cannot connect to the read store: {error}") from error
        return connection

    def _give_back(self, connection: psycopg.Connection[Any]) -> None:
        with self._lock:
            if len(self._pool) < self._pool_size and not connection.closed:
                self._pool.append(connection)
                return
        connection.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Cursor]:
        connection = self._take()
        try:
            with connection.cursor() as raw:
                yield Cursor(raw, "postgres")
            try:
                connection.commit()
            except psycopg.Error as error:
                raise ReadStoreError(f"commit failed: {error}") from error
        except BaseException:
            with contextlib.suppress(psycopg.Error):
                connection.rollback()
            raise
        finally:
            self._give_back(connection)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Cursor]:
        connection = self._take()
        try:
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            with connection.cursor() as raw:
                yield Cursor(raw, "postgres")
        finally:
            with contextlib.suppress(psycopg.Error):
                connection.rollback()
            self._give_back(connection)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, []
        for connection in pool:
            connection.close()


def open_read_database(settings: Settings) -> ReadDatabase:
    """The read store the settings name: PostgreSQL (its schema) or SQLite in the data dir.

    Its commits need not reach the disk before they return (SQLite ``synchronous=NORMAL`` in
    WAL mode, PostgreSQL ``synchronous_commit = off``): a projection's position is in the same
    transaction as its rows, so a crash that loses the last commits rewinds both together, and
    the runner, which restarts its consumer at the stored position (not at the consumer's
    acks), applies those events again from the stream. Each commit stays atomic either way.
    The tokens keep durable commits (a revoked token stays revoked).
    """
    dsn = settings.read_store_postgres_dsn()
    if dsn is not None:
        return PostgresReadDatabase(dsn, settings.read_models_schema, durable_commits=False)
    return SqliteReadDatabase(settings.read_store_path, durable_commits=False)
