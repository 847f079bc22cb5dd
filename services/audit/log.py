"""The notification log and the hash chain, streamed page by page and walked in step by position.

Every function here reads a bounded page at a time (``recorder.select_notifications`` after the
last position seen, ``chain.select_chain`` likewise), so walking a store of any size holds one page
of each table in memory, never the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent

from care_contracts.services.audit.errors import UnreadableEvent
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.chain import ChainLink

__all__ = [
    "PAGE_SIZE",
    "LogRow",
    "chain_links",
    "notifications",
    "originator_of",
    "read_envelope",
    "walk",
]

PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class LogRow:
    """One position of the log: its event row, its chain row, or (after tampering) only one."""

    position: int
    event: Notification | None
    link: ChainLink | None


def notifications(store: ContractingStore, *, page_size: int = PAGE_SIZE) -> Iterator[Notification]:
    """Every event row in position order."""
    after = 0
    while True:
        page = store.recorder.select_notifications(after, page_size, inclusive_of_start=False)
        if not page:
            return
        yield from page
        after = page[-1].id


def chain_links(store: ContractingStore, *, page_size: int = PAGE_SIZE) -> Iterator[ChainLink]:
    """Every chain row in position order."""
    after = 0
    while True:
        page = store.chain.select_chain(after, page_size)
        if not page:
            return
        yield from page
        after = page[-1].position


def walk(store: ContractingStore, *, page_size: int = PAGE_SIZE) -> Iterator[LogRow]:
    """Event rows and chain rows joined on position, in position order (a streaming merge)."""
    events = notifications(store, page_size=page_size)
    links = chain_links(store, page_size=page_size)
    event = next(events, None)
    link = next(links, None)
    while True:
        if event is not None and (link is None or event.id < link.position):
            yield LogRow(event.id, event, None)
            event = next(events, None)
        elif link is not None and (event is None or link.position < event.id):
            yield LogRow(link.position, None, link)
            link = next(links, None)
        elif event is not None and link is not None:
            yield LogRow(event.id, event, link)
            event = next(events, None)
            link = next(links, None)
        else:
            return


def originator_of(event: StoredEvent) -> UUID:
    """The aggregate id of an event row (SQLite hands back hex strings, PostgreSQL UUIDs)."""
    return UUID(str(event.originator_id))


def read_envelope(store: ContractingStore, event: StoredEvent) -> dict[str, Any]:
    """The stored ``{"data", "meta", "class_version"?}`` of an event row, or ``UnreadableEvent``."""
    try:
        body = store.contracting_mapper.read_body(event)
    except Exception as error:
        raise UnreadableEvent(
            f"event {event.originator_id} v{event.originator_version} is unreadable: {error}",
            aggregate_id=str(event.originator_id),
            version=event.originator_version,
        ) from error
    if not isinstance(body.get("data"), dict) or not isinstance(body.get("meta"), dict):
        raise UnreadableEvent(
            f"event {event.originator_id} v{event.originator_version} has no data and meta",
            aggregate_id=str(event.originator_id),
            version=event.originator_version,
        )
    return body
