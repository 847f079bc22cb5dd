"""Searching the care finder on SQLite and PostgreSQL: filters, pages, and the indexes they use.

Entries are applied straight through ``state.apply_batch`` from hand-built events (the stream
part is covered in ``nats/test_care_finder_projection.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from care_contracts.projections.care_finder.projection import CareFinderProjection
from care_contracts.projections.care_finder.query import (
    CareFinderQuery,
    InvalidCursor,
    search,
)
from care_contracts.projections.database import ReadDatabase, open_read_database
from care_contracts.projections.events import ProjectedEvent
from care_contracts.projections.state import active_state, apply_batch, ensure_projection
from care_contracts.services.settings import Settings
from tests.projection_events import offered, signed

NOW = datetime(2026, 11, 20, tzinfo=UTC)
DAY = date(2027, 3, 1)
PROJECTION = CareFinderProjection()


@pytest.fixture
def db(settings: Settings) -> Iterator[ReadDatabase]:
    database = open_read_database(settings)
    ensure_projection(database, PROJECTION, NOW)
    yield database
    database.close()


class _Feed:
    def __init__(self, db: ReadDatabase) -> None:
        self.db = db
        self.sequence = 0

    def contract(self, **facts: object) -> UUID:
        contract = uuid4()
        self.apply(
            offered(contract, sequence=self._next(), **facts),  # type: ignore[arg-type]
            signed(contract, date(2026, 10, 20), sequence=self._next()),
        )
        return contract

    def apply(self, *events: ProjectedEvent) -> None:
        apply_batch(self.db, PROJECTION, events, NOW)

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence


def _names(db: ReadDatabase, **filters: object) -> list[str]:
    page = search(db, CareFinderQuery.model_validate({"on": DAY, **filters}))
    return [item.provider_name for item in page.items]


def test_each_filter_narrows_the_listing(db: ReadDatabase) -> None:
    feed = _Feed(db)
    feed.contract(name="Fysio Élan", city="’s-Hertogenbosch", postcode="5211 AB")
    feed.contract(name="Fysio Elst", agb="06999999", city="Elst", postcode="6661 CD")
    feed.contract(
        name="Apotheek Gûlpen", care_type="pharmacy", insurer="caresq", postcode="6271 EF"
    )

    assert _names(db) == ["Apotheek Gûlpen", "Fysio Élan", "Fysio Elst"]
    assert _names(db, name="fysio el") == ["Fysio Élan", "Fysio Elst"]
    assert _names(db, name="FYSIO ÉL") == ["Fysio Élan", "Fysio Elst"]
    assert _names(db, name="apotheek gulp") == ["Apotheek Gûlpen"]
    assert _names(db, agb="06999999") == ["Fysio Elst"]
    assert _names(db, city="elst") == ["Fysio Elst"]
    assert _names(db, postcode="5211") == ["Fysio Élan"]
    assert _names(db, postcode="5211ab") == ["Fysio Élan"]
    assert _names(db, postcode="5211 AC") == []
    assert _names(db, insurer="caresq") == ["Apotheek Gûlpen"]
    assert _names(db, care_type="gzsp", insurer="zorg-en-zekerheid", year=2027) == [
        "Fysio Élan",
        "Fysio Elst",
    ]
    assert _names(db, year=2026) == []


def test_pages_follow_each_other_without_gaps_or_repeats_while_entries_are_added(
    db: ReadDatabase,
) -> None:
    feed = _Feed(db)
    for number in range(25):
        feed.contract(name=f"Praktijk {number:02d}", agb=f"0610{number:04d}")
    seen: list[str] = []
    cursor = None
    while True:
        page = search(db, CareFinderQuery(on=DAY, limit=10, cursor=cursor))
        seen += [item.provider_name for item in page.items]
        if len(seen) == 10:
            feed.contract(name="Aaa first", agb="06200000")  # sorts before the cursor
            feed.contract(name="Zzz last", agb="06200001")  # sorts after it
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert seen == [f"Praktijk {n:02d}" for n in range(25)] + ["Zzz last"]


def test_a_cursor_not_handed_out_is_refused(db: ReadDatabase) -> None:
    with pytest.raises(InvalidCursor):
        search(db, CareFinderQuery(on=DAY, cursor="bm9wZQ"))


def test_the_model_never_holds_money_or_assessment_columns(db: ReadDatabase) -> None:
    with db.reading() as cur:
        state = active_state(cur, PROJECTION.name)
        assert state is not None
        table = state.tables["care_finder"]
        columns = cur.execute(f"SELECT * FROM {table} LIMIT 0").column_names()

    forbidden = ("tariff", "ceiling", "amount", "cents", "revenue", "finding", "reason", "metric")
    assert not [c for c in columns if any(word in c for word in forbidden)]


def test_queries_on_ten_thousand_providers_use_an_index(settings: Settings) -> None:
    if settings.uses_postgres:
        pytest.skip("the plan is checked on SQLite; PostgreSQL's planner prefers scans when small")
    database = open_read_database(settings)
    ensure_projection(database, PROJECTION, NOW)
    events = []
    for number in range(10_000):
        contract = uuid4()
        events += [
            offered(
                contract,
                name=f"Praktijk {number:05d}",
                agb=f"{number:08d}",
                postcode=f"{1000 + number % 8000:04d} AB",
                sequence=2 * number + 1,
            ),
            signed(contract, date(2026, 10, 20), sequence=2 * number + 2),
        ]
    apply_batch(database, PROJECTION, events, NOW)
    plans = {}
    with database.reading() as cur:
        state = active_state(cur, PROJECTION.name)
        assert state is not None
        table = state.tables["care_finder"]
        for name, where in {
            "name": "name_key >= 'praktijk 01' AND name_key < 'praktijk 02'",
            "scope": "insurer = 'zorg-en-zekerheid' AND care_type = 'gzsp' AND year = 2027",
            "area": "postcode_area = '1234'",
            "city": "city_key = 'utrecht'",
        }.items():
            rows = cur.execute(
                f"EXPLAIN QUERY PLAN SELECT contract_id FROM {table} WHERE {where}"
                " ORDER BY name_key, contract_id LIMIT 21"
            ).fetchall()
            plans[name] = " ".join(str(r[-1]) for r in rows)
    page = search(database, CareFinderQuery(on=DAY, name="praktijk 0999", limit=100))
    database.close()

    assert all("USING INDEX" in plan or "USING COVERING INDEX" in plan for plan in plans.values())
    assert [item.agb_code for item in page.items] == [f"{n:08d}" for n in range(9990, 10_000)]


def test_a_read_store_where_no_projection_ran_yet_answers_empty(settings: Settings) -> None:
    database = open_read_database(settings)
    try:
        page = search(database, CareFinderQuery(on=DAY))
    finally:
        database.close()

    assert page.items == ()
    assert page.next_cursor is None
