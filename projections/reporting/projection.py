"""The reporting model's tables and batch apply: dated fact rows, and the entities that scope them.

A batch loads the entities (applications, contracts, ceilings) of the events it holds in one
query per 500 ids, runs ``facts`` over the events in order, inserts the fact rows (keyed by event
id: a replay inserts nothing) and upserts the entities that changed. Instants are stored as
fixed-width UTC text (``at_key``) and dates as ISO text, compared with the binary collation on
PostgreSQL, so ``at <= ?`` and date ranges order the same on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, assert_never, cast
from uuid import UUID

from care_contracts.projections.base import Tables
from care_contracts.projections.database import Cursor, Row
from care_contracts.projections.events import ProjectedEvent
from care_contracts.projections.reporting.facts import (
    TRACKED,
    CeilingNotice,
    Entity,
    EntityKind,
    Fact,
    OfferOutcome,
    Rejection,
    RevisionDecision,
    Transition,
    facts,
)

__all__ = [
    "CEILING_NOTICES",
    "ENTITIES",
    "OFFER_OUTCOMES",
    "REJECTION_REASONS",
    "REVISION_DECISIONS",
    "TRANSITIONS",
    "ReportingProjection",
    "at_key",
]

ENTITIES = "reporting_entities"
TRANSITIONS = "reporting_transitions"
OFFER_OUTCOMES = "reporting_offer_outcomes"
CEILING_NOTICES = "reporting_ceiling_notices"
REVISION_DECISIONS = "reporting_revision_decisions"
REJECTION_REASONS = "reporting_rejection_reasons"

_ENTITY_COLUMNS = (
    "entity_id",
    "kind",
    "version",
    "insurer",
    "care_type",
    "provider_name",
    "agb_enterprise",
    "offered_at",
    "original_deadline",
    "signing_deadline",
    "starts_on",
    "ends_on",
)
_COLUMNS: dict[type[Fact], tuple[str, tuple[str, ...]]] = {
    Transition: (
        TRANSITIONS,
        (
            "event_id",
            "entity_kind",
            "entity_id",
            "version",
            "insurer",
            "care_type",
            "state",
            "at",
            "signing_deadline",
            "starts_on",
            "ends_on",
        ),
    ),
    OfferOutcome: (
        OFFER_OUTCOMES,
        (
            "event_id",
            "contract_id",
            "insurer",
            "care_type",
            "outcome",
            "offered_at",
            "at",
            "signing_deadline",
            "within_original_deadline",
        ),
    ),
    CeilingNotice: (
        CEILING_NOTICES,
        (
            "event_id",
            "ceiling_id",
            "insurer",
            "care_type",
            "late",
            "amends",
            "received_at",
            "notice_deadline",
            "at",
        ),
    ),
    RevisionDecision: (
        REVISION_DECISIONS,
        (
            "event_id",
            "ceiling_id",
            "insurer",
            "care_type",
            "decision",
            "late",
            "decision_deadline",
            "at",
        ),
    ),
    Rejection: (
        REJECTION_REASONS,
        ("event_id", "ordinal", "application_id", "insurer", "care_type", "kind", "rule", "at"),
    ),
}
_KEYS: dict[str, str] = {REJECTION_REASONS: "event_id, ordinal"}


def at_key(at: datetime) -> str:
    """An instant as fixed-width UTC text (microseconds, ``Z``): text order is time order."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"instant {at.isoformat()} has no time zone")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ReportingProjection:
    """Pipeline, offers, ceiling notices, revision decisions and rejections, as of any instant."""

    name = "reporting"
    table_names = (
        ENTITIES,
        TRANSITIONS,
        OFFER_OUTCOMES,
        CEILING_NOTICES,
        REVISION_DECISIONS,
        REJECTION_REASONS,
    )

    def create_tables(self, cur: Cursor, tables: Tables) -> None:
        text = 'TEXT COLLATE "C"' if cur.dialect == "postgres" else "TEXT"
        t = tables
        cur.execute(
            f"CREATE TABLE {t[ENTITIES]} (entity_id TEXT PRIMARY KEY, kind TEXT NOT NULL,"
            " version INTEGER NOT NULL, insurer TEXT NOT NULL, care_type TEXT NOT NULL,"
            " provider_name TEXT, agb_enterprise TEXT, offered_at TEXT, original_deadline TEXT,"
            " signing_deadline TEXT, starts_on TEXT, ends_on TEXT)"
        )
        cur.execute(
            f"CREATE TABLE {t[TRANSITIONS]} (event_id TEXT PRIMARY KEY,"
            " entity_kind TEXT NOT NULL, entity_id TEXT NOT NULL, version INTEGER NOT NULL,"
            " insurer TEXT NOT NULL, care_type TEXT NOT NULL, state TEXT NOT NULL,"
            f" at {text} NOT NULL, signing_deadline {text}, starts_on {text}, ends_on {text})"
        )
        cur.execute(
            f"CREATE TABLE {t[OFFER_OUTCOMES]} (event_id TEXT PRIMARY KEY,"
            " contract_id TEXT NOT NULL, insurer TEXT NOT NULL, care_type TEXT NOT NULL,"
            f" outcome TEXT NOT NULL, offered_at {text} NOT NULL, at {text} NOT NULL,"
            f" signing_deadline {text} NOT NULL, within_original_deadline INTEGER NOT NULL)"
        )
        cur.execute(
            f"CREATE TABLE {t[CEILING_NOTICES]} (event_id TEXT PRIMARY KEY,"
            " ceiling_id TEXT NOT NULL, insurer TEXT NOT NULL, care_type TEXT NOT NULL,"
            " late INTEGER NOT NULL, amends INTEGER NOT NULL, received_at TEXT NOT NULL,"
            f" notice_deadline TEXT NOT NULL, at {text} NOT NULL)"
        )
        cur.execute(
            f"CREATE TABLE {t[REVISION_DECISIONS]} (event_id TEXT PRIMARY KEY,"
            " ceiling_id TEXT NOT NULL, insurer TEXT NOT NULL, care_type TEXT NOT NULL,"
            " decision TEXT NOT NULL, late INTEGER NOT NULL, decision_deadline TEXT NOT NULL,"
            f" at {text} NOT NULL)"
        )
        cur.execute(
            f"CREATE TABLE {t[REJECTION_REASONS]} (event_id TEXT NOT NULL,"
            " ordinal INTEGER NOT NULL, application_id TEXT NOT NULL, insurer TEXT NOT NULL,"
            f" care_type TEXT NOT NULL, kind TEXT NOT NULL, rule TEXT, at {text} NOT NULL,"
            " PRIMARY KEY (event_id, ordinal))"
        )
        # Every report filters by ``at``; the pipeline picks each entity's latest version.
        for base in (OFFER_OUTCOMES, CEILING_NOTICES, REVISION_DECISIONS, REJECTION_REASONS):
            cur.execute(f"CREATE INDEX {t[base]}_at ON {t[base]} (at)")
        cur.execute(f"CREATE INDEX {t[TRANSITIONS]}_at ON {t[TRANSITIONS]} (at)")
        cur.execute(
            f"CREATE INDEX {t[TRANSITIONS]}_entity ON {t[TRANSITIONS]} (entity_id, version)"
        )
        cur.execute(
            f"CREATE INDEX {t[REVISION_DECISIONS]}_ceiling"
            f" ON {t[REVISION_DECISIONS]} (ceiling_id, decision)"
        )

    def apply(self, cur: Cursor, tables: Tables, events: Sequence[ProjectedEvent]) -> None:
        ids = sorted({str(e.aggregate_id) for e in events if e.aggregate in TRACKED})
        if not ids:
            return
        entities = _load(cur, tables, ids)
        changed: dict[str, Entity] = {}
        rows: dict[type[Fact], list[tuple[Any, ...]]] = {kind: [] for kind in _COLUMNS}
        for event in events:
            key = str(event.aggregate_id)
            before = entities.get(key)
            after, added = facts(before, event)
            if after is not None and after is not before:
                entities[key] = changed[key] = after
            for fact in added:
                rows[type(fact)].append(_values(fact))
        for kind, values in rows.items():
            table, columns = _COLUMNS[kind]
            cur.executemany(
                f"INSERT INTO {tables[table]} ({', '.join(columns)})"
                f" VALUES ({', '.join('?' for _ in columns)})"
                f" ON CONFLICT ({_KEYS.get(table, 'event_id')}) DO NOTHING",
                values,
            )
        updates = ", ".join(f"{c} = excluded.{c}" for c in _ENTITY_COLUMNS[1:])
        cur.executemany(
            f"INSERT INTO {tables[ENTITIES]} ({', '.join(_ENTITY_COLUMNS)})"
            f" VALUES ({', '.join('?' for _ in _ENTITY_COLUMNS)})"
            f" ON CONFLICT (entity_id) DO UPDATE SET {updates}",
            [_entity_row(entity) for entity in changed.values()],
        )


def _load(cur: Cursor, tables: Tables, ids: Sequence[str]) -> dict[str, Entity]:
    found: dict[str, Entity] = {}
    for start in range(0, len(ids), 500):  # stays under every backend's parameter limit
        chunk = ids[start : start + 500]
        rows = cur.execute(
            f"SELECT {', '.join(_ENTITY_COLUMNS)} FROM {tables[ENTITIES]}"
            f" WHERE entity_id IN ({', '.join('?' for _ in chunk)})",
            chunk,
        ).fetchall()
        for row in rows:
            found[str(row[0])] = _entity(row)
    return found


def _entity(row: Row) -> Entity:
    return Entity(
        entity_id=UUID(row[0]),
        kind=cast(EntityKind, row[1]),
        version=int(row[2]),
        insurer=row[3],
        care_type=row[4],
        provider_name=row[5],
        agb_enterprise=row[6],
        offered_at=None if row[7] is None else datetime.fromisoformat(row[7]),
        original_deadline=_date(row[8]),
        signing_deadline=_date(row[9]),
        starts_on=_date(row[10]),
        ends_on=_date(row[11]),
    )


def _entity_row(entity: Entity) -> tuple[Any, ...]:
    return (
        str(entity.entity_id),
        entity.kind,
        entity.version,
        entity.insurer,
        entity.care_type,
        entity.provider_name,
        entity.agb_enterprise,
        None if entity.offered_at is None else at_key(entity.offered_at),
        _iso(entity.original_deadline),
        _iso(entity.signing_deadline),
        _iso(entity.starts_on),
        _iso(entity.ends_on),
    )


def _values(fact: Fact) -> tuple[Any, ...]:
    """A fact's row in the column order of ``_COLUMNS``."""
    match fact:
        case Transition():
            return (
                fact.event_id,
                fact.entity_kind,
                str(fact.entity_id),
                fact.version,
                fact.insurer,
                fact.care_type,
                fact.state,
                at_key(fact.at),
                _iso(fact.signing_deadline),
                _iso(fact.starts_on),
                _iso(fact.ends_on),
            )
        case OfferOutcome():
            return (
                fact.event_id,
                str(fact.contract_id),
                fact.insurer,
                fact.care_type,
                fact.outcome,
                at_key(fact.offered_at),
                at_key(fact.at),
                fact.signing_deadline.isoformat(),
                int(fact.within_original_deadline),
            )
        case CeilingNotice():
            return (
                fact.event_id,
                str(fact.ceiling_id),
                fact.insurer,
                fact.care_type,
                int(fact.late),
                int(fact.amends),
                at_key(fact.received_at),
                fact.notice_deadline.isoformat(),
                at_key(fact.at),
            )
        case RevisionDecision():
            return (
                fact.event_id,
                str(fact.ceiling_id),
                fact.insurer,
                fact.care_type,
                fact.decision,
                int(fact.late),
                fact.decision_deadline.isoformat(),
                at_key(fact.at),
            )
        case Rejection():
            return (
                fact.event_id,
                fact.ordinal,
                str(fact.application_id),
                fact.insurer,
                fact.care_type,
                fact.kind,
                fact.rule,
                at_key(fact.at),
            )
        case _:
            assert_never(fact)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
