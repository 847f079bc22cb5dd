"""The financial frame: what an insurer still has for ceiling revisions in one year and care type.

Brief §4.4 and §10: a ceiling may only be raised "within the financial frame Z&Z (still) has".
The frame is its own aggregate (insurer × year × care type) so that every revision reserves from
it in the same transaction as the ceiling's ``Revised`` event: two revisions decided at once both
write the frame's next version, and optimistic concurrency lets only one of them commit.
The frame figure itself is an officer-entered amount; the seeds give none.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from care_contracts.domain.ceiling.errors import (
    FrameAmountNegative,
    FrameBelowReserved,
    FrameExhausted,
    FrameScopeMismatch,
    NoCeilingPolicy,
    ReleaseExceedsReservation,
    ReservationNotPositive,
)
from care_contracts.domain.identity import natural_id
from care_contracts.domain.immutable import StructuralCopy
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.model import CeilingPolicy
from care_contracts.domain.values import Money

__all__ = ["FinancialFrame"]


class FinancialFrame(StructuralCopy, Aggregate):
    """The money an insurer can still add to revenue ceilings of one year and care type."""

    TOPIC = "contracting.financial_frame"

    class Created(Aggregate.Created):
        # Never recorded (the created event is ``Opened``), but eventsourcing redefines the
        # inherited base "created" class on every aggregate and requires an explicit topic on it.
        TOPIC = "contracting.financial_frame.created"

    @staticmethod
    def create_id(insurer: str, year: int, care_type: str) -> UUID:
        return natural_id("financial_frame", insurer, year, care_type)

    @classmethod
    def open(
        cls, *, insurer: str, year: int, care_type: str, amount: Money, at: datetime
    ) -> FinancialFrame:
        """Open the frame with the officer-entered figure (brief §4.4 proposal)."""
        if amount.is_negative:
            raise FrameAmountNegative(f"a financial frame of {amount} is negative", amount=amount)
        return cls(insurer=insurer, year=year, care_type=care_type, amount=amount, timestamp=at)

    @event("Opened", topic="contracting.financial_frame.opened")
    def __init__(
        self, *, insurer: str, year: int, care_type: str, amount: Money, timestamp: datetime
    ) -> None:
        self.insurer = insurer
        self.year = year
        self.care_type = care_type
        self.amount = amount
        self.reserved = Money.zero()
        self.reserved_by_ceiling: dict[UUID, Money] = {}

    @property
    def remaining(self) -> Money:
        """What is left for further revisions: the frame less every reservation."""
        return self.amount - self.reserved

    def require_scope(self, *, insurer: str, year: int, care_type: str) -> None:
        """A ceiling draws only on its own insurer × year × care-type frame (brief §4.4)."""
        if (insurer, year, care_type) != (self.insurer, self.year, self.care_type):
            raise FrameScopeMismatch(
                f"frame {self.insurer}/{self.year}/{self.care_type} does not cover "
                f"{insurer}/{year}/{care_type}",
                frame_id=self.id,
                frame_scope=(self.insurer, self.year, self.care_type),
                scope=(insurer, year, care_type),
            )

    def set_frame(self, *, amount: Money, at: datetime) -> None:
        """Change the frame figure; never below what revisions already reserved (brief §10)."""
        if amount.is_negative:
            raise FrameAmountNegative(f"a financial frame of {amount} is negative", amount=amount)
        if amount < self.reserved:
            raise FrameBelowReserved(
                f"frame {amount} is below the {self.reserved} already reserved",
                amount=amount,
                reserved=self.reserved,
            )
        self._adjusted(old=self.amount, new=amount, timestamp=at)

    @event("Adjusted", topic="contracting.financial_frame.adjusted")
    def _adjusted(self, *, old: Money, new: Money, timestamp: datetime) -> None:
        self.amount = new

    def reserve(
        self,
        *,
        amount: Money,
        ceiling_id: UUID,
        ceiling_version: int,
        pack: ResolvedPack,
        at: datetime,
    ) -> None:
        """Reserve a ceiling increase: only within what remains (frame rule, 001/002 §6.2)."""
        policy = self._policy(pack)
        if amount.cents <= 0:
            raise ReservationNotPositive(f"cannot reserve {amount}", amount=amount)
        if amount > self.remaining:
            raise FrameExhausted(
                f"an increase of {amount} exceeds the {self.remaining} left in the frame",
                requested=amount,
                remaining=self.remaining,
                rule=policy.frame_rule,
            )
        self._reserved(
            amount=amount,
            ceiling_id=ceiling_id,
            ceiling_version=ceiling_version,
            remaining_before=self.remaining,
            pack_id=pack.ref.id,
            pack_version=pack.ref.version,
            rules=(policy.frame_rule,),
            timestamp=at,
        )

    @event("Reserved", topic="contracting.financial_frame.reserved")
    def _reserved(
        self,
        *,
        amount: Money,
        ceiling_id: UUID,
        ceiling_version: int,
        remaining_before: Money,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        self.reserved = self.reserved + amount
        self.reserved_by_ceiling[ceiling_id] = (
            self.reserved_by_ceiling.get(ceiling_id, Money.zero()) + amount
        )

    def release(self, *, amount: Money, ceiling_id: UUID, reason: str, at: datetime) -> None:
        """Return a ceiling's reservation to the frame (e.g. a revision annulled on objection)."""
        held = self.reserved_by_ceiling.get(ceiling_id, Money.zero())
        if amount.cents <= 0:
            raise ReservationNotPositive(f"cannot release {amount}", amount=amount)
        if amount > held:
            raise ReleaseExceedsReservation(
                f"ceiling {ceiling_id} holds {held}; cannot release {amount}",
                ceiling_id=ceiling_id,
                requested=amount,
                reserved=held,
            )
        self._released(amount=amount, ceiling_id=ceiling_id, reason=reason, timestamp=at)

    @event("Released", topic="contracting.financial_frame.released")
    def _released(
        self, *, amount: Money, ceiling_id: UUID, reason: str, timestamp: datetime
    ) -> None:
        self.reserved = self.reserved - amount
        left = self.reserved_by_ceiling.get(ceiling_id, Money.zero()) - amount
        if left.cents:
            self.reserved_by_ceiling[ceiling_id] = left
        else:
            del self.reserved_by_ceiling[ceiling_id]

    def _policy(self, pack: ResolvedPack) -> CeilingPolicy:
        self.require_scope(
            insurer=pack.pack.insurer, year=pack.pack.year, care_type=pack.pack.care_type
        )
        if pack.pack.ceiling is None:
            raise NoCeilingPolicy(f"pack {pack.ref} has no ceiling policy", pack=str(pack.ref))
        return pack.pack.ceiling
