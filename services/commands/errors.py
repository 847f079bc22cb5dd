"""Errors of command handling: not found, stale version, concurrent write, reused key.

They share the domain's error root so that the HTTP edge renders every refusal the same way
(problem+json with a stable ``code``): 404, 412, 409 and 409 respectively.
"""

from __future__ import annotations

from care_contracts.domain.errors import DomainError

__all__ = [
    "AggregateNotFound",
    "AggregateVersionMismatch",
    "ConcurrentWriteConflict",
    "IdempotencyKeyReused",
    "StoreRefusedWrite",
]


class AggregateNotFound(DomainError):
    code = "aggregate_not_found"
    title = "No such application, contract, ceiling or frame"


class AggregateVersionMismatch(DomainError):
    code = "aggregate_version_mismatch"
    title = "The aggregate has changed since the version the command expects"


class ConcurrentWriteConflict(DomainError):
    code = "concurrent_write_conflict"
    title = "Another command changed the same aggregate at the same moment; retry on fresh state"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    title = "This idempotency key was used before for a different command or payload"


class StoreRefusedWrite(DomainError):
    code = "store_refused_write"
    title = "The event store refused the write for a reason other than a concurrent command"
