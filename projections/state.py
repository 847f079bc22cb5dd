"""Each projection's position and status, written in the same transaction as its rows.

One row per projection *generation* in ``projection_state``: the last applied stream sequence
(and store position), how many events it has applied, the time of the last one, its status
(``live``, ``building``, ``failed``) and the error that stopped it. Exactly one generation per
projection is ``active``: the one queries read and the live consumer feeds.

``apply_batch`` is the only writer of rows and position: it locks the generation's state row,
drops the events already applied (stream sequence at or below the position; for events read from
the store, which have no sequence, store position), applies the rest and moves the position, all
in one transaction. A redelivered or duplicated message therefore changes nothing, and a crash
between the commit and the acks only causes redeliveries that are skipped.

``swap`` makes a rebuilt generation active only if it is at least as far as the live one, in one
transaction that also drops the old generation's tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from care_contracts.projections.base import Projection, Tables
from care_contracts.projections.database import Cursor, ReadDatabase
from care_contracts.projections.events import ProjectedEvent

__all__ = [
    "Applied",
    "ProjectionState",
    "abandon",
    "active_state",
    "apply_batch",
    "begin_generation",
    "ensure_projection",
    "mark_failed",
    "skip_to",
    "states",
    "swap",
]

_STATE = "projection_state"
_COLUMNS = (
    "name, generation, active, status, last_sequence, last_position, applied_events,"
    " last_event_time, updated_at, error"
)


@dataclass(frozen=True)
class ProjectionState:
    name: str
    generation: int
    active: bool
    status: str
    last_sequence: int
    last_position: int
    applied_events: int
    last_event_time: datetime | None
    updated_at: datetime | None
    error: str | None

    @property
    def tables(self) -> Tables:
        return Tables(self.generation)


@dataclass(frozen=True)
class Applied:
    """What one batch did: events applied and skipped as already applied."""

    applied: int
    skipped: int
    state: ProjectionState


def _create_state_table(cur: Cursor) -> None:
    if cur.dialect == "postgres":
        # Concurrent CREATE TABLE IF NOT EXISTS races in PostgreSQL's catalogue (a unique
        # violation on pg_type): instances starting together take turns for the transaction.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('care_contracts.projection_state'))")
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {_STATE} ("
        " name TEXT NOT NULL, generation INTEGER NOT NULL, active INTEGER NOT NULL,"
        " status TEXT NOT NULL, last_sequence BIGINT NOT NULL, last_position BIGINT NOT NULL,"
        " applied_events BIGINT NOT NULL, last_event_time TEXT, updated_at TEXT, error TEXT,"
        " PRIMARY KEY (name, generation))"
    )


def ensure_projection(db: ReadDatabase, projection: Projection, now: datetime) -> ProjectionState:
    """Create the state table and a first live generation when the projection has none."""
    with db.transaction() as cur:
        _create_state_table(cur)  # on PostgreSQL, under a lock held to the commit
        current = _select(cur, "name = ? AND active = 1", (projection.name,), lock=True)
        if current:
            return current[0]
        generation = _next_generation(cur, projection.name)
        projection.create_tables(cur, Tables(generation))
        cur.execute(
            f"INSERT INTO {_STATE} ({_COLUMNS}) VALUES (?, ?, 1, 'live', 0, 0, 0, NULL, ?, NULL)",
            (projection.name, generation, now.isoformat()),
        )
        return _one(cur, projection.name, generation)


def begin_generation(db: ReadDatabase, projection: Projection, now: datetime) -> ProjectionState:
    """A new, empty generation beside the live one, to be built and swapped in."""
    with db.transaction() as cur:
        _create_state_table(cur)
        generation = _next_generation(cur, projection.name)
        projection.create_tables(cur, Tables(generation))
        cur.execute(
            f"INSERT INTO {_STATE} ({_COLUMNS})"
            " VALUES (?, ?, 0, 'building', 0, 0, 0, NULL, ?, NULL)",
            (projection.name, generation, now.isoformat()),
        )
        return _one(cur, projection.name, generation)


def active_state(cur: Cursor, name: str, *, lock: bool = False) -> ProjectionState | None:
    """The live generation of ``name``; None before the projection first ran."""
    if not lock and not _state_table_exists(cur):
        return None
    found = _select(cur, "name = ? AND active = 1", (name,), lock=lock)
    return found[0] if found else None


def states(db: ReadDatabase) -> list[ProjectionState]:
    """Every generation of every projection (none before the first start)."""
    with db.transaction() as cur:
        _create_state_table(cur)
        return _select(cur, "1 = 1", (), lock=False)


def apply_batch(
    db: ReadDatabase,
    projection: Projection,
    events: Sequence[ProjectedEvent],
    now: datetime,
    *,
    generation: int | None = None,
) -> Applied:
    """Apply ``events`` to the active generation (or ``generation``) with its new position."""
    with db.transaction() as cur:
        if generation is None:
            state = active_state(cur, projection.name, lock=True)
            if state is None:
                raise LookupError(f"projection {projection.name} has no live generation")
        else:
            state = _one(cur, projection.name, generation, lock=True)
        fresh = [e for e in events if _is_new(e, state)]
        if fresh:
            projection.apply(cur, state.tables, fresh)
            last_sequence = max(state.last_sequence, *(e.sequence for e in fresh))
            last_position = max(state.last_position, *(e.position for e in fresh))
            cur.execute(
                f"UPDATE {_STATE} SET last_sequence = ?, last_position = ?,"
                " applied_events = applied_events + ?, last_event_time = ?, updated_at = ?,"
                " status = CASE WHEN status = 'failed' THEN 'live' ELSE status END, error = NULL"
                " WHERE name = ? AND generation = ?",
                (
                    last_sequence,
                    last_position,
                    len(fresh),
                    fresh[-1].time.isoformat(),
                    now.isoformat(),
                    projection.name,
                    state.generation,
                ),
            )
            state = _one(cur, projection.name, state.generation)
        return Applied(len(fresh), len(events) - len(fresh), state)


def skip_to(db: ReadDatabase, name: str, generation: int, sequence: int, now: datetime) -> None:
    """Record that every stream message up to ``sequence`` is applied (a rebuild from the store
    applied them from there, so the stream part starts after them)."""
    with db.transaction() as cur:
        cur.execute(
            f"UPDATE {_STATE} SET last_sequence = ?, updated_at = ?"
            " WHERE name = ? AND generation = ? AND last_sequence < ?",
            (sequence, now.isoformat(), name, generation, sequence),
        )


def mark_failed(db: ReadDatabase, name: str, generation: int, error: str, now: datetime) -> None:
    """Record what stopped a generation (its rows and position stay as they were)."""
    with db.transaction() as cur:
        cur.execute(
            f"UPDATE {_STATE} SET status = 'failed', error = ?, updated_at = ?"
            " WHERE name = ? AND generation = ?",
            (error, now.isoformat(), name, generation),
        )


def swap(db: ReadDatabase, projection: Projection, generation: int, now: datetime) -> bool:
    """Make ``generation`` live if it has caught up with the live one; drop the old tables.

    False (nothing changed) while the live generation is further along: build on and retry.
    """
    with db.transaction() as cur:
        live = active_state(cur, projection.name, lock=True)
        built = _one(cur, projection.name, generation, lock=True)
        if live is not None and live.last_sequence > built.last_sequence:
            return False
        if live is not None:
            for table in projection.table_names:
                cur.execute(f"DROP TABLE IF EXISTS {live.tables[table]}")
            cur.execute(
                f"DELETE FROM {_STATE} WHERE name = ? AND generation = ?",
                (projection.name, live.generation),
            )
        cur.execute(
            f"UPDATE {_STATE} SET active = 1, status = 'live', updated_at = ?"
            " WHERE name = ? AND generation = ?",
            (now.isoformat(), projection.name, generation),
        )
        return True


def abandon(db: ReadDatabase, projection: Projection, generation: int) -> None:
    """Drop a generation that will not be swapped in (a failed or cancelled rebuild)."""
    with db.transaction() as cur:
        state = _one(cur, projection.name, generation, lock=True)
        if state.active:
            raise ValueError(f"generation {generation} of {projection.name} is live")
        for table in projection.table_names:
            cur.execute(f"DROP TABLE IF EXISTS {state.tables[table]}")
        cur.execute(
            f"DELETE FROM {_STATE} WHERE name = ? AND generation = ?",
            (projection.name, generation),
        )


def _state_table_exists(cur: Cursor) -> bool:
    if cur.dialect == "postgres":
        return cur.scalar("SELECT to_regclass(?)", (_STATE,)) is not None
    found = cur.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_STATE,))
    return found is not None


def _is_new(event: ProjectedEvent, state: ProjectionState) -> bool:
    if event.sequence:
        return event.sequence > state.last_sequence
    return event.position > state.last_position


def _next_generation(cur: Cursor, name: str) -> int:
    latest = cur.scalar(f"SELECT MAX(generation) FROM {_STATE} WHERE name = ?", (name,))
    return int(latest or 0) + 1


def _one(cur: Cursor, name: str, generation: int, *, lock: bool = False) -> ProjectionState:
    found = _select(cur, "name = ? AND generation = ?", (name, generation), lock=lock)
    if not found:
        raise LookupError(f"projection {name} has no generation {generation}")
    return found[0]


def _select(
    cur: Cursor, where: str, params: Sequence[object], *, lock: bool
) -> list[ProjectionState]:
    suffix = " FOR UPDATE" if lock and cur.dialect == "postgres" else ""
    rows = cur.execute(
        f"SELECT {_COLUMNS} FROM {_STATE} WHERE {where} ORDER BY name, generation{suffix}",
        params,
    ).fetchall()
    return [
        ProjectionState(
            name=str(r[0]),
            generation=int(r[1]),
            active=bool(r[2]),
            status=str(r[3]),
            last_sequence=int(r[4]),
            last_position=int(r[5]),
            applied_events=int(r[6]),
            last_event_time=_instant(r[7]),
            updated_at=_instant(r[8]),
            error=r[9],
        )
        for r in rows
    ]


def _instant(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))
