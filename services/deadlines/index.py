"""Pending date-driven deadlines, kept from the store's events (brief §4.3-4.5, §6.1).

Pure bookkeeping, no store and no clock: the watcher feeds it each stored event's topic, aggregate
id and data, and asks which deadlines have passed at an instant. It mirrors the preconditions of
the timer commands, so what it calls due is what the domain accepts:

- an open offer (``Contract.expire``): offered, not yet signed, declined, withdrawn or expired;
  due after its signing deadline, the latest one if it was extended;
- a signed contract (``Contract.end``, which needs the recorded status ``signed``): due after the
  last day of its term; a suspended contract waits until its suspension is lifted, and a
  terminated or ended one has nothing left to do;
- a revenue ceiling with an overrun reported (``RevenueCeiling.flag_decision_overdue``): due after
  the decision deadline of the pack the ceiling is pinned to, until the revision is decided or
  the overdue flag is raised. A flagged ceiling is never flagged again, even if a later notice
  amends the report.

Deadlines are Europe/Amsterdam calendar dates and inclusive: a deadline on day D is due from
D+1 00:00 local time, exactly when the domain stops refusing the command.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import Any
from uuid import UUID

from care_contracts.domain.ceiling.guards import ceiling_policy
from care_contracts.domain.dates import is_on_or_before
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.policy.model import PackRef

__all__ = ["TOPICS", "Deadline", "DeadlineIndex", "DeadlineKind"]


class DeadlineKind(StrEnum):
    """What passing the deadline calls for; the value is part of the command id."""

    EXPIRE_OFFER = "expire"
    END_CONTRACT = "end"
    FLAG_CEILING_DECISION_OVERDUE = "ceiling-overdue"


@dataclass(frozen=True, order=True)
class Deadline:
    """One pending deadline: the last day (inclusive) before ``kind`` applies to the aggregate."""

    deadline: date
    kind: DeadlineKind
    aggregate_id: UUID

    @property
    def command_id(self) -> str:
        """The same for every instance and every restart, so the bus replays a repeat.

        The deadline is part of it: an offer whose deadline was extended expires under a new id.
        """
        return f"deadline:{self.kind}:{self.aggregate_id}:{self.deadline.isoformat()}"

    def is_due(self, at: datetime) -> bool:
        """Due once the local date of ``at`` is after the deadline (brief §6.1)."""
        return not is_on_or_before(at, self.deadline)


class _Standing(Enum):
    OFFERED = "offered"
    SIGNED = "signed"
    SUSPENDED = "suspended"


@dataclass
class _Contract:
    standing: _Standing
    signing_deadline: date | None
    ends_on: date

    def deadline(self, contract_id: UUID) -> Deadline | None:
        if self.standing is _Standing.OFFERED and self.signing_deadline is not None:
            return Deadline(self.signing_deadline, DeadlineKind.EXPIRE_OFFER, contract_id)
        if self.standing is _Standing.SIGNED:
            return Deadline(self.ends_on, DeadlineKind.END_CONTRACT, contract_id)
        return None


class DeadlineIndex:
    """The open contracts and pending ceiling decisions, each with its next deadline.

    Only aggregates that can still reach a deadline are kept: a closed offer, an ended or
    terminated contract and a decided ceiling are forgotten (a flagged ceiling only by id).
    """

    def __init__(self, policies: PolicyCatalog) -> None:
        self._policies = policies
        self._contracts: dict[UUID, _Contract] = {}
        self._ceilings: dict[UUID, date] = {}
        self._flagged: set[UUID] = set()

    def apply(self, topic: str, aggregate_id: UUID, data: Mapping[str, Any]) -> None:
        """Take one stored event (its ``data`` as stored); topics without a deadline are ignored."""
        handler = _HANDLERS.get(topic)
        if handler is not None:
            handler(self, aggregate_id, data)

    def pending(self) -> list[Deadline]:
        """Every deadline still to pass or to act on, earliest first."""
        contracts = (c.deadline(i) for i, c in self._contracts.items())
        ceilings = (
            Deadline(day, DeadlineKind.FLAG_CEILING_DECISION_OVERDUE, i)
            for i, day in self._ceilings.items()
        )
        return sorted([*(d for d in contracts if d is not None), *ceilings])

    def due(self, at: datetime) -> list[Deadline]:
        """The deadlines that have passed at ``at``, earliest first."""
        return [d for d in self.pending() if d.is_due(at)]

    # --- contracts ------------------------------------------------------------------------------

    def offered(self, contract_id: UUID, *, signing_deadline: date, ends_on: date) -> None:
        self._contracts[contract_id] = _Contract(_Standing.OFFERED, signing_deadline, ends_on)

    def running_contract_registered(self, contract_id: UUID, *, ends_on: date) -> None:
        """A running contract enters signed, without an offer or a signing deadline."""
        self._contracts[contract_id] = _Contract(_Standing.SIGNED, None, ends_on)

    def signing_deadline_extended(self, contract_id: UUID, *, until: date) -> None:
        contract = self._contracts.get(contract_id)
        if contract is not None:
            contract.signing_deadline = until

    def signed(self, contract_id: UUID) -> None:
        self._stand(contract_id, _Standing.SIGNED)

    def offer_closed(self, contract_id: UUID) -> None:
        """Declined, withdrawn or expired: the offer has no deadline left, nor a term."""
        self._contracts.pop(contract_id, None)

    def suspended(self, contract_id: UUID) -> None:
        """``Contract.end`` refuses a suspended contract: its term end waits for the lifting."""
        self._stand(contract_id, _Standing.SUSPENDED)

    def suspension_lifted(self, contract_id: UUID) -> None:
        self._stand(contract_id, _Standing.SIGNED)

    def contract_closed(self, contract_id: UUID) -> None:
        """Terminated (at once, whatever its effective date) or ended."""
        self._contracts.pop(contract_id, None)

    def _stand(self, contract_id: UUID, standing: _Standing) -> None:
        contract = self._contracts.get(contract_id)
        if contract is not None:
            contract.standing = standing

    # --- revenue ceilings -----------------------------------------------------------------------

    def overrun_reported(self, ceiling_id: UUID, *, pack: PackRef) -> None:
        """A report (or an amending one) awaits the decision due by the pinned pack's deadline."""
        if ceiling_id in self._flagged:
            return
        policy = ceiling_policy(self._policies.get(pack))
        self._ceilings[ceiling_id] = policy.decision_deadline

    def revision_decided(self, ceiling_id: UUID) -> None:
        """Revised or refused: the one decision of the year is made (brief §10)."""
        self._ceilings.pop(ceiling_id, None)

    def decision_overdue(self, ceiling_id: UUID) -> None:
        self._ceilings.pop(ceiling_id, None)
        self._flagged.add(ceiling_id)


_Handler = Callable[[DeadlineIndex, UUID, Mapping[str, Any]], None]
_C = "contracting.contract."
_R = "contracting.revenue_ceiling."


def _day(value: Any) -> date:
    return date.fromisoformat(str(value))


def _pack(data: Mapping[str, Any]) -> PackRef:
    return PackRef(id=str(data["pack_id"]), version=str(data["pack_version"]))


_HANDLERS: Mapping[str, _Handler] = {
    _C + "offered": lambda index, i, data: index.offered(
        i, signing_deadline=_day(data["signing_deadline"]), ends_on=_day(data["ends_on"])
    ),
    _C + "running_contract_registered": lambda index, i, data: index.running_contract_registered(
        i, ends_on=_day(data["ends_on"])
    ),
    _C + "signing_deadline_extended": lambda index, i, data: index.signing_deadline_extended(
        i, until=_day(data["until"])
    ),
    _C + "signed": lambda index, i, _: index.signed(i),
    _C + "offer_declined": lambda index, i, _: index.offer_closed(i),
    _C + "offer_withdrawn": lambda index, i, _: index.offer_closed(i),
    _C + "offer_expired": lambda index, i, _: index.offer_closed(i),
    _C + "suspended": lambda index, i, _: index.suspended(i),
    _C + "suspension_lifted": lambda index, i, _: index.suspension_lifted(i),
    _C + "terminated": lambda index, i, _: index.contract_closed(i),
    _C + "ended": lambda index, i, _: index.contract_closed(i),
    _R + "overrun_reported": lambda index, i, data: index.overrun_reported(i, pack=_pack(data)),
    _R + "revised": lambda index, i, _: index.revision_decided(i),
    _R + "revision_refused": lambda index, i, _: index.revision_decided(i),
    _R + "decision_overdue": lambda index, i, _: index.decision_overdue(i),
}

TOPICS: tuple[str, ...] = tuple(_HANDLERS)
"""The only topics the index reads: the watcher asks the store for these alone."""
