"""What a projection is to the runner: named tables per generation and a batch apply.

A projection's rows live in tables whose names carry a *generation* (``care_finder_g3``). The live
generation is the one queries read; a rebuild fills the next generation beside it and swaps it in
when it has caught up (``state.swap``), so a query never sees a half-built model.

``apply`` gets the events of one stream batch, in stream order, inside the transaction that also
records the projection's position; it must be idempotent per event (a row keeps the aggregate
version it reflects, or an event id is a primary key), because a rebuild may see an event twice
where its store pass meets the stream. How a row changes is a pure function in the projection's
own module; ``apply`` only loads the rows it needs, calls it, and writes what changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from care_contracts.projections.database import Cursor
from care_contracts.projections.events import ProjectedEvent

__all__ = ["Projection", "ProjectionError", "Tables"]


class ProjectionError(RuntimeError):
    """An event that a projection cannot apply: it stops, names the event, and is never skipped."""

    def __init__(self, event: ProjectedEvent, reason: str) -> None:
        self.event_id = event.id
        self.sequence = event.sequence
        self.event_type = event.type
        self.reason = reason
        super().__init__(
            f"{event.type} {event.id} (aggregate {event.aggregate_id} v{event.version},"
            f" stream sequence {event.sequence}, position {event.position}): {reason}"
        )


@dataclass(frozen=True)
class Tables:
    """The physical names of one generation of a projection's tables."""

    generation: int

    def __getitem__(self, base: str) -> str:
        return f"{base}_g{self.generation}"


class Projection(Protocol):
    """A read model fed from the stream."""

    @property
    def name(self) -> str:
        """Stable, ``[a-z_]+``: names its state row, its durable consumer and its tables."""

    @property
    def table_names(self) -> Sequence[str]:
        """Base names of every table it owns (dropped with an old generation)."""

    def create_tables(self, cur: Cursor, tables: Tables) -> None:
        """Create one generation's tables and indexes."""

    def apply(self, cur: Cursor, tables: Tables, events: Sequence[ProjectedEvent]) -> None:
        """Apply a batch (stream order) to ``tables``; raise ``ProjectionError`` on a bad event."""
