"""One aggregate's history as recorded, and its state as of a version or an instant.

The history lists every stored event of the aggregate in version order with its position in the
log and its chain hash (looked up in the chain table: an event row without a chain row has no
position here, and ``verify`` names it), the decision time the event carries, who decided under
which command and correlation id, and the data exactly as stored (not upcast).

States are replayed from the events alone, never from snapshots: snapshots are not part of the
chain, so an auditor's answer must not depend on them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from pydantic import BaseModel, ConfigDict, JsonValue
from pydantic_core import to_jsonable_python

from care_contracts.services.audit.errors import NotYetCreated, UnreadableEvent, VersionNotRecorded
from care_contracts.services.audit.log import read_envelope
from care_contracts.services.commands.errors import AggregateNotFound
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.chain import ChainLink
from care_contracts.services.store.metadata import Actor

__all__ = ["HistoryEntry", "aggregate_state", "history", "state_as_of"]


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    position: int | None  # None: the event row has no chain row (tampering; verify reports it)
    aggregate_id: UUID
    version: int
    topic: str
    class_version: int
    timestamp: datetime  # the decision time the event records
    command_id: str
    command: str
    correlation_id: str
    actor: Actor
    data: dict[str, JsonValue]
    prev_hash: str | None
    hash: str | None


def history(store: ContractingStore, aggregate_id: UUID) -> list[HistoryEntry]:
    """Every event of one aggregate in version order, with position, metadata and chain hash."""
    stored = _stored_events(store, aggregate_id)
    links = {link.originator_version: link for link in store.chain.select_links(aggregate_id)}
    return [_entry(store, s, links.get(s.originator_version)) for s in stored]


def state_as_of(
    store: ContractingStore,
    aggregate_id: UUID,
    *,
    version: int | None = None,
    at: datetime | None = None,
) -> Aggregate:
    """The aggregate at a version, or after the last event decided at or before an instant."""
    if version is not None and at is not None:
        raise ValueError("give a version or an instant, not both")
    stored = _stored_events(store, aggregate_id)
    current = stored[-1].originator_version
    if at is not None:
        target = _version_at(store, aggregate_id, stored, at)
    elif version is not None:
        if not 1 <= version <= current:
            raise VersionNotRecorded(
                f"{aggregate_id} has versions 1 to {current}, not {version}",
                id=str(aggregate_id),
                version=version,
                current=current,
            )
        target = version
    else:
        target = current
    # No cache and no snapshot store: the state comes from the chained events only.
    repository: Repository[UUID] = Repository(store.events)
    aggregate: Aggregate = repository.get(aggregate_id, version=target)
    return aggregate


def aggregate_state(aggregate: Aggregate) -> dict[str, Any]:
    """The aggregate's identity and public attributes as plain JSON values."""
    state = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
    return {
        "type": type(aggregate).__name__,
        "id": str(aggregate.id),
        "version": aggregate.version,
        "created_on": aggregate.created_on.isoformat(),
        "modified_on": aggregate.modified_on.isoformat(),
        "state": to_jsonable_python(state, fallback=str),
    }


def _stored_events(store: ContractingStore, aggregate_id: UUID) -> list[StoredEvent]:
    stored = list(store.recorder.select_events(aggregate_id))
    if not stored:
        raise AggregateNotFound(f"no aggregate {aggregate_id}", id=str(aggregate_id))
    return stored


def _version_at(
    store: ContractingStore, aggregate_id: UUID, stored: list[StoredEvent], at: datetime
) -> int:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("an instant needs a time zone offset, e.g. 2026-11-11T10:00:00+01:00")
    times = [(s.originator_version, _timestamp(read_envelope(store, s), s)) for s in stored]
    decided = [v for v, t in times if t <= at]
    if not decided:
        raise NotYetCreated(
            f"{aggregate_id} was created at {times[0][1].isoformat()}, after {at.isoformat()}",
            id=str(aggregate_id),
            at=at.isoformat(),
            created_at=times[0][1].isoformat(),
        )
    return max(decided)


def _timestamp(body: dict[str, Any], stored: StoredEvent) -> datetime:
    try:
        return datetime.fromisoformat(body["data"]["timestamp"])
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableEvent(
            f"event {stored.originator_id} v{stored.originator_version} has no decision time",
            aggregate_id=str(stored.originator_id),
            version=stored.originator_version,
        ) from error


def _entry(store: ContractingStore, stored: StoredEvent, link: ChainLink | None) -> HistoryEntry:
    body = read_envelope(store, stored)
    meta = body["meta"]
    try:
        return HistoryEntry(
            position=link.position if link else None,
            aggregate_id=UUID(str(stored.originator_id)),
            version=stored.originator_version,
            topic=stored.topic,
            class_version=body.get("class_version", 1),
            timestamp=_timestamp(body, stored),
            command_id=meta["command_id"],
            command=meta["command"],
            correlation_id=meta["correlation_id"],
            actor=Actor.model_validate(meta["actor"]),
            data=body["data"],
            prev_hash=link.prev_hash if link else None,
            hash=link.hash if link else None,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableEvent(
            f"event {stored.originator_id} v{stored.originator_version} lacks its metadata",
            aggregate_id=str(stored.originator_id),
            version=stored.originator_version,
        ) from error
