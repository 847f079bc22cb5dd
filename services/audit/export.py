"""JSON Lines export of the whole log or one aggregate: one object per event, in position order.

Each line holds the event's position, aggregate id, version, topic, class_version, decision time,
metadata and data exactly as stored, and its chain row (``prev_hash``, ``hash``; null for an event
row without one). Keys are sorted and separators fixed, so two exports of one store are equal byte
for byte. The export streams: it reads the log and the chain a page at a time and writes each line
as it goes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TextIO
from uuid import UUID

from care_contracts.services.audit.log import PAGE_SIZE, originator_of, read_envelope, walk
from care_contracts.services.commands.errors import AggregateNotFound
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.mapper import dumps_canonical

__all__ = ["export_lines", "export_records", "write_export"]


def export_records(
    store: ContractingStore, *, aggregate_id: UUID | None = None, page_size: int = PAGE_SIZE
) -> Iterator[dict[str, Any]]:
    """One record per stored event in position order; only one aggregate's when an id is given."""
    for row in walk(store, page_size=page_size):
        event = row.event
        if event is None:
            continue  # a chain row without its event: nothing to export (verify reports it)
        originator = originator_of(event)
        if aggregate_id is not None and originator != aggregate_id:
            continue
        body = read_envelope(store, event)
        link = row.link
        yield {
            "position": row.position,
            "aggregate_id": str(originator),
            "version": event.originator_version,
            "topic": event.topic,
            "class_version": body.get("class_version", 1),
            "timestamp": body["data"].get("timestamp"),
            "meta": body["meta"],
            "data": body["data"],
            "chain": {"prev_hash": link.prev_hash, "hash": link.hash} if link else None,
        }


def export_lines(
    store: ContractingStore, *, aggregate_id: UUID | None = None, page_size: int = PAGE_SIZE
) -> Iterator[str]:
    """The export as lines of canonical JSON (sorted keys, no spaces), without newlines."""
    for record in export_records(store, aggregate_id=aggregate_id, page_size=page_size):
        yield dumps_canonical(record).decode("utf-8")


def write_export(
    store: ContractingStore,
    out: TextIO,
    *,
    aggregate_id: UUID | None = None,
    page_size: int = PAGE_SIZE,
) -> int:
    """Write the export to ``out``, one line per event; the number of events written.

    Exporting an aggregate the store does not hold is ``AggregateNotFound`` (checked first, so
    nothing is written).
    """
    if aggregate_id is not None and not store.recorder.select_events(aggregate_id, limit=1):
        raise AggregateNotFound(f"no aggregate {aggregate_id}", id=str(aggregate_id))
    count = 0
    for line in export_lines(store, aggregate_id=aggregate_id, page_size=page_size):
        out.write(line + "\n")
        count += 1
    return count
