"""The tamper-evident chain along the notification log, and the command log.

Every stored event gets a chain row in the same transaction as the event itself: its position,
its aggregate id and version, its predecessor's hash and its own hash over
``prev ∥ position ∥ aggregate id ∥ version ∥ topic ∥ sha256(state)``. Writers are serialised
(SQLite's single writer; PostgreSQL's table lock taken by eventsourcing before the insert), so the
predecessor read inside the transaction is the true one. Editing, deleting, inserting or
reordering an event row, or rewriting a chain row, breaks the chain at that position.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256
from uuid import UUID

from eventsourcing.persistence import StoredEvent

__all__ = ["GENESIS", "ChainLink", "CommandRecord", "as_uuid", "link_hash"]

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class ChainLink:
    position: int
    originator_id: UUID
    originator_version: int
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """One accepted command: its id, a hash of its payload and its outcome (JSON)."""

    command_id: str
    command: str
    payload_hash: str
    outcome: str
    recorded_at: str
    positions: str = "[]"  # JSON list of the positions its events got


def as_uuid(originator_id: UUID | str) -> UUID:
    """A stored row's aggregate id as a UUID (rows read back may hold it as text)."""
    return originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))


def link_hash(prev: str, position: int, stored: StoredEvent) -> str:
    """The hash of one link: its predecessor's hash, its position and the stored row."""
    content = "\x1f".join(
        (
            prev,
            str(position),
            str(as_uuid(stored.originator_id)),
            str(stored.originator_version),
            stored.topic,
            sha256(stored.state).hexdigest(),
        )
    )
    return sha256(content.encode("utf-8")).hexdigest()
