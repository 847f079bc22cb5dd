"""The timeline's key: the store position now, the event id in generations built before.

Both layouts take the same batches: each event once, a repeat (a redelivery, a copy at another
stream sequence) dropped, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from care_contracts.projections.database import ReadDatabase, open_read_database
from care_contracts.projections.state import active_state, apply_batch, ensure_projection
from care_contracts.projections.timeline.projection import EVENTS, TimelineProjection
from care_contracts.services.settings import Settings
from tests.projection_events import offered, signed

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
PROJECTION = TimelineProjection()
# The events table as generations before the store-position key created it.
_EVENT_ID_KEYED = (
    "CREATE TABLE {table} ("
    " event_id TEXT PRIMARY KEY, aggregate TEXT NOT NULL, aggregate_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, stream_sequence BIGINT NOT NULL,"
    " store_position BIGINT NOT NULL, decided_at TEXT NOT NULL, event_type TEXT NOT NULL,"
    " actor_role TEXT NOT NULL, actor_id TEXT NOT NULL, correlation_id TEXT NOT NULL,"
    " policy_pack TEXT, rule_codes TEXT NOT NULL, summary TEXT NOT NULL,"
    " link_contract_id TEXT, link_aggregate_id TEXT, ceiling_id TEXT)"
)


@pytest.fixture
def db(settings: Settings) -> Iterator[ReadDatabase]:
    database = open_read_database(settings)
    yield database
    database.close()


def _table(db: ReadDatabase) -> str:
    with db.reading() as cur:
        state = active_state(cur, PROJECTION.name)
        assert state is not None
        return state.tables[EVENTS]


@pytest.mark.parametrize("layout", ["store position", "event id (older generations)"])
def test_each_event_is_kept_once_whichever_key_the_generation_has(
    layout: str, db: ReadDatabase
) -> None:
    ensure_projection(db, PROJECTION, NOW)
    table = _table(db)
    if layout != "store position":
        with db.transaction() as cur:
            cur.execute(f"DROP TABLE {table}")
            cur.execute(_EVENT_ID_KEYED.format(table=table))
    contract = uuid4()
    first = offered(contract, sequence=1)
    second = signed(contract, NOW.date(), sequence=2)

    applied = apply_batch(db, PROJECTION, [first, second], NOW)
    # The same two events again, republished at later stream sequences.
    copies = [dataclasses.replace(e, sequence=e.sequence + 2) for e in (first, second)]
    again = apply_batch(db, PROJECTION, copies, NOW)
    with db.reading() as cur:
        rows = cur.execute(
            f"SELECT event_id, stream_sequence, store_position FROM {table} ORDER BY store_position"
        ).fetchall()

    assert (applied.applied, again.applied) == (2, 2)  # new stream sequences: both applied...
    assert [tuple(r) for r in rows] == [  # ...and dropped by the key: the first write is kept
        (first.id, 1, first.position),
        (second.id, 2, second.position),
    ]
