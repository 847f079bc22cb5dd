"""Application recorders that also write the hash chain and the command log, atomically.

eventsourcing passes ``save(**kwargs)`` down to the recorder inside the insert transaction; a
``command_record`` kwarg becomes a row of the command log in that same transaction, so a command
is recorded exactly when its events are. A second record with the same command id violates the
primary key and rolls the whole transaction back (the idempotent-retry race).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from care_contracts.services.store.chain import GENESIS, ChainLink, CommandRecord, link_hash

__all__ = [
    "ChainReader",
    "ChainedPostgresApplicationRecorder",
    "ChainedSQLiteApplicationRecorder",
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
        originator_id = UUID(str(stored.originator_id))
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


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder, ChainReader):
    chain_table = "event_chain"
    commands_table = "command_log"

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)

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
        with self.datastore.transaction(commit=False) as c:
            c.execute(
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
                for r in c.fetchall()
            ]

    def select_links(self, originator_id: UUID) -> list[ChainLink]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT * FROM {self.chain_table} WHERE originator_id = ? "
                "ORDER BY originator_version",
                (str(originator_id),),
            )
            return [_link(r) for r in c.fetchall()]

    def select_command(self, command_id: str) -> CommandRecord | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.commands_table} WHERE command_id = ?", (command_id,))
            row = c.fetchone()
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
