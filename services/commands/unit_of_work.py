"""Loading aggregates for one command, with the optimistic-concurrency check on the target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from care_contracts.services.commands.errors import AggregateNotFound, AggregateVersionMismatch
from care_contracts.services.store.application import ContractingStore

__all__ = ["UnitOfWork"]

A = TypeVar("A", bound=Aggregate)


class UnitOfWork:
    """The aggregates one command reads and changes; saved together by the command bus."""

    def __init__(
        self,
        store: ContractingStore,
        expected_version: int | None,
        *,
        authorize: Callable[[Aggregate], None] | None = None,
    ) -> None:
        """``authorize`` is asked about every aggregate as it is loaded, before the handler
        can look at it: a caller never learns the state of an aggregate that is not theirs."""
        self._store = store
        self._expected_version = expected_version
        self._authorize = authorize
        self._aggregates: dict[UUID, Aggregate] = {}
        self.target: Aggregate | None = None

    def get(self, kind: type[A], aggregate_id: UUID, *, target: bool = True) -> A:
        """Load an aggregate; the command's target is checked against the expected version."""
        found = self.find(kind, aggregate_id)
        if found is None:
            raise AggregateNotFound(
                f"no {kind.__name__} {aggregate_id}", kind=kind.__name__, id=str(aggregate_id)
            )
        if target:
            self._target(found)
        return found

    def find(self, kind: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id in self._aggregates:
            existing = self._aggregates[aggregate_id]
            return existing if isinstance(existing, kind) else None
        try:
            aggregate: Any = self._store.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, kind):
            return None
        self._aggregates[aggregate_id] = aggregate
        if self._authorize is not None:
            self._authorize(aggregate)
        return aggregate

    def add(self, aggregate: A, *, target: bool = True) -> A:
        """A new aggregate (or one loaded elsewhere) that this command saves."""
        self._aggregates[aggregate.id] = aggregate
        if target:
            self._target(aggregate)
        return aggregate

    def _target(self, aggregate: Aggregate) -> None:
        self.target = aggregate
        expected = self._expected_version
        pending = len(aggregate.pending_events) if hasattr(aggregate, "pending_events") else 0
        current = aggregate.version - pending
        if expected is not None and current != expected:
            raise AggregateVersionMismatch(
                f"{type(aggregate).__name__} {aggregate.id} is at version {current},"
                f" the command expects {expected}",
                id=str(aggregate.id),
                expected=expected,
                actual=current,
            )

    @property
    def touched(self) -> list[Aggregate]:
        """Every aggregate the command read or changed (access is checked on each)."""
        return list(self._aggregates.values())

    @property
    def changed(self) -> list[Aggregate]:
        return [a for a in self._aggregates.values() if a.pending_events]
