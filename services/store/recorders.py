"""Application recorders that also write the hash chain and the command log, atomically.

eventsourcing passes ``save(**kwargs)`` down to the recorder inside the insert transaction; a
``command_record`` kwarg becomes a row of the command log in that same transaction, so a command
is recorded exactly when its events are. A second record with the same command id violates the
primary key and rolls the whole transaction back (the idempotent-retry race).

On SQLite the recorder also trims what eventsourcing 9.5.6 spends around each statement (most
of what a command cost beyond a plain save was this, not the database): connections keep their
prepared statements, the reads of events, chain and command log run as one statement without
``BEGIN … ROLLBACK``, and the insert transaction is begun and ended without context managers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
)
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from care_contracts.services.store.chain import (
    GENESIS,
    ChainLink,
    CommandRecord,
    as_uuid,
    link_hash,
)

__all__ = [
    "ChainReader",
    "ChainedPostgresApplicationRecorder",
    "ChainedSQLiteApplicationRecorder",
    "StatementCachingSQLitePool",
    "command_rows",
]


def command_rows(
    kwargs: dict[str, Any], positions: Sequence[int]
) -> list[tuple[CommandRecord, list[int]]]:
    """Each command record with the positions of its own events.

    ``command_record=`` covers every event of the save; ``command_records=[(record, n), ...]``
    (a group commit) gives each record the next ``n`` events, in order.
    """
    single: CommandRecord | None = kwargs.get("command_record")
    if single is not None:
        return [(single, list(positions))]
    rows = []
    offset = 0
    for record, count in kwargs.get("command_records") or ():
        rows.append((record, list(positions[offset : offset + count])))
        offset += count
    return rows


def _links(
    prev: str, positions: Sequence[int], stored_events: Sequence[StoredEvent]
) -> list[ChainLink]:
    links = []
    for position, stored in zip(positions, stored_events, strict=True):
        originator_id = as_uuid(stored.originator_id)
        digest = link_hash(prev, position, stored)
        links.append(ChainLink(position, originator_id, stored.originator_version, prev, digest))
        prev = digest
    return links


class ChainReader:
    """What ``verify``, ``history`` and the idempotency check read besides the events."""

    def select_chain(self, after: int, limit: int) -> list[ChainLink]:
        raise NotImplementedError

    def select_command(self, command_id: str) -> CommandRecord | None:
        raise NotImplementedError

    def select_links(self, originator_id: UUID) -> list[ChainLink]:
        """One aggregate's chain rows in version order (indexed)."""
        raise NotImplementedError


def _link(row: Any) -> ChainLink:
    return ChainLink(
        row["notification_id"],
        UUID(str(row["originator_id"])),
        row["originator_version"],
        row["prev_hash"],
        row["hash"],
    )


class StatementCachingSQLitePool(SQLiteConnectionPool):
    """eventsourcing's SQLite connection pool, whose connections keep their prepared statements.

    eventsourcing 9.5.6 opens each connection with ``cached_statements=True``: a cache of *one*
    statement. A save runs BEGIN, INSERT, SELECT, INSERT … in turn, so every statement was parsed
    and planned again each time (20-100 µs apiece, more than the statements themselves). The
    connections are otherwise the same as eventsourcing's: autocommit, WAL, ``sqlite3.Row``.
    """

    STATEMENT_CACHE_SIZE = 128  # the sqlite3 module's own default; we run a few dozen statements

    @classmethod
    def like(cls, pool: SQLiteConnectionPool) -> StatementCachingSQLitePool:
        """A pool with the settings of ``pool`` (which has not connected yet)."""
        return cls(
            db_name=pool.db_name,
            lock_timeout=pool.lock_timeout,
            pool_size=pool.pool_size,
            max_overflow=pool.max_overflow,
            pool_timeout=pool.pool_timeout,
            max_age=pool.max_age,
            pre_ping=pool.pre_ping,
        )

    def _create_connection(self) -> SQLiteConnection:
        # eventsourcing's SQLiteConnectionPool._create_connection, but for cached_statements.
        try:
            connection = sqlite3.connect(
                database=self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,  # autocommit: transactions are begun explicitly
                cached_statements=self.STATEMENT_CACHE_SIZE,
                timeout=self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT,
            )
        except (sqlite3.Error, TypeError) as error:
            raise InterfaceError(error) from error
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            mode = connection.execute("PRAGMA journal_mode;").fetchone()[0]
            if mode.lower() != "wal":
                connection.execute("PRAGMA journal_mode=WAL;")
                self.journal_mode_was_changed_to_wal = True
            self.is_journal_mode_wal = True
        connection.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=connection, max_age=self.max_age)


# sqlite3's errors as eventsourcing's, as eventsourcing's SQLiteTransaction maps them (most
# specific first): callers catch eventsourcing's IntegrityError and friends, never sqlite3's.
_ERRORS: tuple[tuple[type[sqlite3.Error], type[PersistenceError]], ...] = (
    (sqlite3.InterfaceError, InterfaceError),
    (sqlite3.DataError, DataError),
    (sqlite3.OperationalError, OperationalError),
    (sqlite3.IntegrityError, IntegrityError),
    (sqlite3.InternalError, InternalError),
    (sqlite3.ProgrammingError, ProgrammingError),
    (sqlite3.NotSupportedError, NotSupportedError),
    (sqlite3.DatabaseError, DatabaseError),
)


def _persistence_error(error: sqlite3.Error) -> PersistenceError:
    for sqlite_type, persistence_type in _ERRORS:
        if isinstance(error, sqlite_type):
            return persistence_type(error)
    return PersistenceError(error)


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder, ChainReader):
    chain_table = "event_chain"
    commands_table = "command_log"

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)

    def _read(self, statement: str, params: Sequence[Any]) -> list[Any]:
        """The rows of one SELECT, run without an explicit transaction.

        In autocommit mode SQLite runs a lone statement in its own read transaction, on one
        consistent snapshot, exactly as inside eventsourcing's ``BEGIN … ROLLBACK`` (which only
        adds two statements and three context managers to every read, ~60 µs).
        """
        pool = self.datastore.pool
        connection = pool.get_connection(is_writer=False)
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall()
        except sqlite3.Error as error:
            raise _persistence_error(error) from error
        finally:
            pool.put_connection(connection)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """eventsourcing's insert transaction (BEGIN, the inserts, COMMIT on the one writer
        connection; ROLLBACK on any error), without its layers of context managers."""
        pool = self.datastore.pool
        connection = pool.get_connection(is_writer=True)
        try:
            cursor = connection.cursor()
            try:
                cursor.execute("BEGIN")
                positions = self._insert_events(cursor, stored_events, **kwargs)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                cursor.sqlite_cursor.close()
        except sqlite3.Error as error:
            raise _persistence_error(error) from error
        finally:
            pool.put_connection(connection)
        return positions

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        # The statement eventsourcing's SQLiteAggregateRecorder.select_events builds.
        statement = self.select_events_statement
        params: list[Any] = [
            originator_id.hex if isinstance(originator_id, UUID) else originator_id
        ]
        if gt is not None:
            statement += "AND originator_version>? "
            params.append(gt)
        if lte is not None:
            statement += "AND originator_version<=? "
            params.append(lte)
        statement += f"ORDER BY originator_version {'DESC' if desc else 'ASC'} "
        if limit is not None:
            statement += "LIMIT ? "
            params.append(limit)
        return [
            StoredEvent(
                originator_id=self.convert_originator_id(row["originator_id"]),
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=row["state"],
            )
            for row in self._read(statement, params)
        ]

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.chain_table} ("
            "notification_id INTEGER PRIMARY KEY, originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {self.chain_table}_aggregate "
            f"ON {self.chain_table} (originator_id, originator_version)",
            f"CREATE TABLE IF NOT EXISTS {self.commands_table} ("
            "command_id TEXT PRIMARY KEY, command TEXT NOT NULL, payload_hash TEXT NOT NULL, "
            "outcome TEXT NOT NULL, positions TEXT NOT NULL, recorded_at TEXT NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = list(super()._insert_events(c, stored_events, **kwargs) or ())
        if not positions:
            return positions
        c.execute(f"SELECT hash FROM {self.chain_table} ORDER BY notification_id DESC LIMIT 1")
        row = c.fetchone()
        links = _links(row["hash"] if row else GENESIS, positions, stored_events)
        c.executemany(
            f"INSERT INTO {self.chain_table} VALUES (?, ?, ?, ?, ?)",
            [
                (x.position, str(x.originator_id), x.originator_version, x.prev_hash, x.hash)
                for x in links
            ],
        )
        for record, own_positions in command_rows(kwargs, positions):
            c.execute(
                f"INSERT INTO {self.commands_table} VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.command_id,
                    record.command,
                    record.payload_hash,
                    record.outcome,
                    json.dumps(own_positions),
                    record.recorded_at,
                ),
            )
        return positions

    def select_chain(self, after: int, limit: int) -> list[ChainLink]:
        rows = self._read(
            f"SELECT * FROM {self.chain_table} WHERE notification_id > ? "
            "ORDER BY notification_id LIMIT ?",
            (after, limit),
        )
        return [
            ChainLink(
                r["notification_id"],
                UUID(r["originator_id"]),
                r["originator_version"],
                r["prev_hash"],
                r["hash"],
            )
            for r in rows
        ]

    def select_links(self, originator_id: UUID) -> list[ChainLink]:
        rows = self._read(
            f"SELECT * FROM {self.chain_table} WHERE originator_id = ? ORDER BY originator_version",
            (str(originator_id),),
        )
        return [_link(r) for r in rows]

    def select_command(self, command_id: str) -> CommandRecord | None:
        rows = self._read(
            f"SELECT * FROM {self.commands_table} WHERE command_id = ?", (command_id,)
        )
        if not rows:
            return None
        row = rows[0]
        return CommandRecord(
            row["command_id"],
            row["command"],
            row["payload_hash"],
            row["outcome"],
            row["recorded_at"],
            row["positions"],
        )


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder, ChainReader):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        prefix = events_table_name.removesuffix("_events")
        self.chain_table = f"{prefix}_chain"
        self.commands_table = f"{prefix}_commands"
        schema = Identifier(datastore.schema)
        self._chain = SQL("{}.{}").format(schema, Identifier(self.chain_table))
        self._commands = SQL("{}.{}").format(schema, Identifier(self.commands_table))
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (notification_id bigint PRIMARY KEY, "
                "originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                "prev_hash text NOT NULL, hash text NOT NULL)"
            ).format(self._chain)
        )
        self.sql_create_statements.append(
            SQL("CREATE INDEX IF NOT EXISTS {} ON {} (originator_id, originator_version)").format(
                Identifier(f"{self.chain_table}_aggregate"), self._chain
            )
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (command_id text PRIMARY KEY, "
                "command text NOT NULL, payload_hash text NOT NULL, outcome text NOT NULL, "
                "positions text NOT NULL, recorded_at text NOT NULL)"
            ).format(self._commands)
        )

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = list(
            super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs) or ()
        )
        if not positions:
            return positions
        # Still inside the insert transaction, after eventsourcing's EXCLUSIVE table lock.
        curs.execute(
            SQL("SELECT hash FROM {} ORDER BY notification_id DESC LIMIT 1").format(self._chain)
        )
        row = curs.fetchone()
        links = _links(row["hash"] if row else GENESIS, positions, stored_events)
        curs.executemany(
            SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s)").format(self._chain),
            [
                (x.position, x.originator_id, x.originator_version, x.prev_hash, x.hash)
                for x in links
            ],
        )
        rows = command_rows(kwargs, positions)
        if rows:
            curs.executemany(
                SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s)").format(self._commands),
                [
                    (
                        record.command_id,
                        record.command,
                        record.payload_hash,
                        record.outcome,
                        json.dumps(own_positions),
                        record.recorded_at,
                    )
                    for record, own_positions in rows
                ],
            )
        return positions

    def select_chain(self, after: int, limit: int) -> list[ChainLink]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL(
                    "SELECT * FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
                ).format(self._chain),
                (after, limit),
            )
            return [
                ChainLink(
                    r["notification_id"],
                    r["originator_id"],
                    r["originator_version"],
                    r["prev_hash"],
                    r["hash"],
                )
                for r in curs.fetchall()
            ]

    def select_links(self, originator_id: UUID) -> list[ChainLink]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT * FROM {} WHERE originator_id = %s ORDER BY originator_version").format(
                    self._chain
                ),
                (originator_id,),
            )
            return [_link(r) for r in curs.fetchall()]

    def select_command(self, command_id: str) -> CommandRecord | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT * FROM {} WHERE command_id = %s").format(self._commands), (command_id,)
            )
            row = curs.fetchone()
        if row is None:
            return None
        return CommandRecord(
            row["command_id"],
            row["command"],
            row["payload_hash"],
            row["outcome"],
            row["recorded_at"],
            row["positions"],
        )
