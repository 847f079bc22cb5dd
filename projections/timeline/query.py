"""Reading the timeline: a contract with its application and ceilings, or one aggregate.

A contract's timeline is its own events, the events of every aggregate linked to it (its
application, linked by the offer; its ceilings, linked by their agreement) and the financial-frame
events that concern one of those ceilings (a reservation or release names its ceiling), in store
position order: the order the decisions were recorded. The links are joined here, when reading,
because an application's events are applied before the offer that links them exists. Each part
is served by an index of ``projection.create_tables``; the parts are disjoint, and ``UNION``
keeps a row once even if they ever overlapped.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from care_contracts.projections.database import ReadDatabase
from care_contracts.projections.state import active_state
from care_contracts.projections.timeline.entry import TimelineEntry
from care_contracts.projections.timeline.projection import (
    COLUMNS,
    EVENTS,
    LINKS,
    TimelineProjection,
    entry_from_row,
)

__all__ = ["AggregateTimeline", "ContractTimeline", "aggregate_timeline", "contract_timeline"]

_NAME = TimelineProjection.name
_SELECTED = ", ".join(f"e.{column}" for column in COLUMNS)


class ContractTimeline(BaseModel):
    """Every event of a contract, its application and its ceilings, in recorded order."""

    model_config = ConfigDict(frozen=True)

    contract_id: UUID
    application_ids: tuple[UUID, ...]
    ceiling_ids: tuple[UUID, ...]
    entries: tuple[TimelineEntry, ...]


class AggregateTimeline(BaseModel):
    """Every event of one aggregate (an application, contract, ceiling or financial frame)."""

    model_config = ConfigDict(frozen=True)

    aggregate: str
    aggregate_id: UUID
    entries: tuple[TimelineEntry, ...]


def contract_timeline(db: ReadDatabase, contract_id: UUID) -> ContractTimeline | None:
    """The contract's timeline; None when no event of contract ``contract_id`` is known."""
    key = str(contract_id)
    with db.reading() as cur:
        state = active_state(cur, _NAME)
        if state is None:
            return None
        events, links = state.tables[EVENTS], state.tables[LINKS]
        rows = cur.execute(
            f"SELECT {_SELECTED} FROM {events} e WHERE e.aggregate_id = ?"
            f" UNION SELECT {_SELECTED} FROM {events} e"
            f" JOIN {links} l ON e.aggregate_id = l.aggregate_id WHERE l.contract_id = ?"
            f" UNION SELECT {_SELECTED} FROM {events} e"
            f" JOIN {links} l ON e.ceiling_id = l.aggregate_id WHERE l.contract_id = ?"
            " ORDER BY store_position",
            (key, key, key),
        ).fetchall()
    entries = tuple(entry_from_row(row) for row in rows)
    if not any(e.aggregate == "contract" and e.aggregate_id == contract_id for e in entries):
        return None  # unknown, or not a contract's id
    return ContractTimeline(
        contract_id=contract_id,
        application_ids=_ids(entries, "application"),
        ceiling_ids=_ids(entries, "revenue_ceiling"),
        entries=entries,
    )


def aggregate_timeline(db: ReadDatabase, aggregate_id: UUID) -> AggregateTimeline | None:
    """The events of one aggregate in order; None when none is known."""
    with db.reading() as cur:
        state = active_state(cur, _NAME)
        if state is None:
            return None
        rows = cur.execute(
            f"SELECT {_SELECTED} FROM {state.tables[EVENTS]} e WHERE e.aggregate_id = ?"
            " ORDER BY e.store_position",
            (str(aggregate_id),),
        ).fetchall()
    if not rows:
        return None
    entries = tuple(entry_from_row(row) for row in rows)
    return AggregateTimeline(
        aggregate=entries[0].aggregate, aggregate_id=aggregate_id, entries=entries
    )


def _ids(entries: tuple[TimelineEntry, ...], aggregate: str) -> tuple[UUID, ...]:
    return tuple(dict.fromkeys(e.aggregate_id for e in entries if e.aggregate == aggregate))
