"""The care finder's tables and batch apply: one row per contract, its AGB codes indexed apart.

A batch loads the entries of the contracts it touches in one query, runs ``evolve`` over the
events in order, and upserts the entries that changed. Text compared or sorted by the queries
(``name_key``, ``city_key``) uses the binary collation on both backends (``COLLATE "C"`` on
PostgreSQL), so pages sort the same on SQLite and PostgreSQL and a name prefix is a range scan.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any, cast
from uuid import UUID

from care_contracts.projections.base import Tables
from care_contracts.projections.care_finder.entry import (
    CareFinderEntry,
    EntryStatus,
    evolve,
    name_key,
    postcode_area,
)
from care_contracts.projections.database import Cursor, Row
from care_contracts.projections.events import ProjectedEvent

__all__ = ["AGB_CODES", "ENTRIES", "CareFinderProjection", "entry_from_row"]

ENTRIES = "care_finder"
AGB_CODES = "care_finder_agb"
_ENTRY_COLUMNS = (
    "contract_id",
    "version",
    "status",
    "suspended",
    "listed",
    "publish_from",
    "insurer",
    "year",
    "care_type",
    "sub_type",
    "contract_type",
    "provider_name",
    "agb_enterprise",
    "agb_establishments",
    "city",
    "postcode",
    "starts_on",
    "ends_on",
    "excluded_services",
    "signed_on",
    "terminated_from",
)
_DERIVED_COLUMNS = ("name_key", "city_key", "postcode_area", "visible_from", "hidden_from")
COLUMNS = _ENTRY_COLUMNS + _DERIVED_COLUMNS


class CareFinderProjection:
    """Contracted providers for the public care finder (policy brief §11)."""

    name = "care_finder"
    table_names = (ENTRIES, AGB_CODES)

    def create_tables(self, cur: Cursor, tables: Tables) -> None:
        binary = ' COLLATE "C"' if cur.dialect == "postgres" else ""
        entries, agb = tables[ENTRIES], tables[AGB_CODES]
        cur.execute(
            f"CREATE TABLE {entries} ("
            " contract_id TEXT PRIMARY KEY, version INTEGER NOT NULL, status TEXT NOT NULL,"
            " suspended INTEGER NOT NULL, listed INTEGER NOT NULL, publish_from TEXT,"
            " insurer TEXT NOT NULL, year INTEGER NOT NULL, care_type TEXT NOT NULL,"
            " sub_type TEXT, contract_type TEXT NOT NULL, provider_name TEXT NOT NULL,"
            " agb_enterprise TEXT NOT NULL, agb_establishments TEXT NOT NULL,"
            " city TEXT NOT NULL, postcode TEXT NOT NULL, starts_on TEXT NOT NULL,"
            " ends_on TEXT NOT NULL, excluded_services TEXT NOT NULL, signed_on TEXT,"
            f" terminated_from TEXT, name_key TEXT{binary} NOT NULL,"
            f" city_key TEXT{binary} NOT NULL, postcode_area TEXT NOT NULL,"
            " visible_from TEXT, hidden_from TEXT NOT NULL)"
        )
        cur.execute(
            f"CREATE TABLE {agb} (agb TEXT NOT NULL, contract_id TEXT NOT NULL,"
            " PRIMARY KEY (agb, contract_id))"
        )
        # What the queries filter and sort by; every listing query sorts by (name_key, id).
        for suffix, columns in (
            ("sort", "name_key, contract_id"),
            ("scope", "insurer, care_type, year, name_key, contract_id"),
            ("city", "city_key, name_key, contract_id"),
            ("area", "postcode_area, name_key, contract_id"),
        ):
            cur.execute(f"CREATE INDEX {entries}_{suffix} ON {entries} ({columns})")

    def apply(self, cur: Cursor, tables: Tables, events: Sequence[ProjectedEvent]) -> None:
        ids = sorted({str(e.aggregate_id) for e in events if e.aggregate == "contract"})
        if not ids:
            return
        entries = _load(cur, tables, ids)
        changed: dict[str, CareFinderEntry] = {}
        for event in events:
            key = str(event.aggregate_id)
            before = entries.get(key)
            after = evolve(before, event)
            if after is not None and after is not before:
                entries[key] = changed[key] = after
        if not changed:
            return
        placeholders = ", ".join("?" for _ in COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "contract_id")
        cur.executemany(
            f"INSERT INTO {tables[ENTRIES]} ({', '.join(COLUMNS)}) VALUES ({placeholders})"
            f" ON CONFLICT (contract_id) DO UPDATE SET {updates}",
            [_row(entry) for entry in changed.values()],
        )
        cur.executemany(
            f"INSERT INTO {tables[AGB_CODES]} (agb, contract_id) VALUES (?, ?)"
            " ON CONFLICT (agb, contract_id) DO NOTHING",
            [
                (agb, str(entry.contract_id))
                for entry in changed.values()
                for agb in {entry.agb_enterprise, *entry.agb_establishments}
            ],
        )


def _load(cur: Cursor, tables: Tables, ids: Sequence[str]) -> dict[str, CareFinderEntry]:
    found: dict[str, CareFinderEntry] = {}
    for start in range(0, len(ids), 500):  # stays under every backend's parameter limit
        chunk = ids[start : start + 500]
        rows = cur.execute(
            f"SELECT {', '.join(_ENTRY_COLUMNS)} FROM {tables[ENTRIES]}"
            f" WHERE contract_id IN ({', '.join('?' for _ in chunk)})",
            chunk,
        ).fetchall()
        for row in rows:
            entry = entry_from_row(row)
            found[str(entry.contract_id)] = entry
    return found


def _row(entry: CareFinderEntry) -> tuple[Any, ...]:
    visible_from = entry.visible_from if entry.listable else None
    return (
        str(entry.contract_id),
        entry.version,
        entry.status,
        int(entry.suspended),
        int(entry.listed),
        _iso(entry.publish_from),
        entry.insurer,
        entry.year,
        entry.care_type,
        entry.sub_type,
        entry.contract_type,
        entry.provider_name,
        entry.agb_enterprise,
        json.dumps(list(entry.agb_establishments)),
        entry.city,
        entry.postcode,
        entry.starts_on.isoformat(),
        entry.ends_on.isoformat(),
        json.dumps(list(entry.excluded_services)),
        _iso(entry.signed_on),
        _iso(entry.terminated_from),
        name_key(entry.provider_name),
        name_key(entry.city),
        postcode_area(entry.postcode),
        _iso(visible_from),
        entry.hidden_from.isoformat(),
    )


def entry_from_row(row: Row) -> CareFinderEntry:
    """An entry from the first ``len(_ENTRY_COLUMNS)`` values of a row, in column order."""
    return CareFinderEntry(
        contract_id=UUID(row[0]),
        version=int(row[1]),
        status=cast(EntryStatus, row[2]),
        suspended=bool(row[3]),
        listed=bool(row[4]),
        publish_from=_date(row[5]),
        insurer=row[6],
        year=int(row[7]),
        care_type=row[8],
        sub_type=row[9],
        contract_type=row[10],
        provider_name=row[11],
        agb_enterprise=row[12],
        agb_establishments=tuple(json.loads(row[13])),
        city=row[14],
        postcode=row[15],
        starts_on=date.fromisoformat(row[16]),
        ends_on=date.fromisoformat(row[17]),
        excluded_services=tuple(json.loads(row[18])),
        signed_on=_date(row[19]),
        terminated_from=_date(row[20]),
    )


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
