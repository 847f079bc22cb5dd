"""Batched inserts in the read store (``Cursor.executemany``), as the projections use them: every
row kept, the first row of a key kept under DO NOTHING, and nothing kept when one row fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from care_contracts.projections.database import ReadDatabase, ReadStoreError, open_read_database
from care_contracts.services.settings import Settings


@pytest.fixture
def db(settings: Settings) -> Iterator[ReadDatabase]:
    database = open_read_database(settings)
    with database.transaction() as cur:
        cur.execute("CREATE TABLE batch_rows (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    yield database
    database.close()


def _rows(db: ReadDatabase) -> list[tuple[object, ...]]:
    with db.reading() as cur:
        return cur.execute("SELECT k, v FROM batch_rows ORDER BY k").fetchall()


def test_thousands_of_rows_in_one_call_are_all_inserted(db: ReadDatabase) -> None:
    rows = [(k, f"v{k}") for k in range(2_500)]  # more than one statement's worth
    with db.transaction() as cur:
        cur.executemany("INSERT INTO batch_rows (k, v) VALUES (?, ?)", rows)
    assert _rows(db) == rows


def test_do_nothing_keeps_the_first_row_of_a_key_within_a_call_and_across_calls(
    db: ReadDatabase,
) -> None:
    with db.transaction() as cur:
        cur.executemany(
            "INSERT INTO batch_rows (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(1, "first"), (2, "two"), (1, "second")],
        )
        cur.executemany(
            "INSERT INTO batch_rows (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING",
            [(2, "again"), (3, "three")],
        )
    assert _rows(db) == [(1, "first"), (2, "two"), (3, "three")]


def test_a_failing_row_rolls_the_whole_batch_back(db: ReadDatabase) -> None:
    with pytest.raises(ReadStoreError, match=r"(?i)null"), db.transaction() as cur:
        cur.executemany("INSERT INTO batch_rows (k, v) VALUES (?, ?)", [(1, "a"), (2, None)])
    assert _rows(db) == []
