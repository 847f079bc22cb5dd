"""Deciding a ceiling revision against the financial frame: one domain service over two aggregates.

An approval records ``RevenueCeiling.Revised`` and ``FinancialFrame.Reserved`` together; the
caller saves both aggregates in one transaction. Two revisions decided at the same moment both
write the frame's next version, so optimistic concurrency lets only one of them commit and the
other is retried against the smaller remainder: together they can never overspend the frame.
"""

from __future__ import annotations

from datetime import datetime

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.ceiling.outcomes import ApproveRevision, RevisionDecision
from care_contracts.domain.policy.catalog import ResolvedPack

__all__ = ["revise_ceiling"]


def revise_ceiling(
    ceiling: RevenueCeiling,
    frame: FinancialFrame,
    decision: RevisionDecision,
    *,
    pack: ResolvedPack,
    at: datetime,
) -> None:
    """Decide the revision within the remaining frame and reserve the increase (001/002 §6.2).

    Every check runs before anything is recorded: the frame's scope here, then every ceiling
    rule (including ``increase <= frame.remaining``) inside ``decide_revision``. The reservation
    that follows repeats the frame check on the same figures, so it cannot fail once the ceiling
    has recorded; a refusal leaves both aggregates without new events.
    """
    frame.require_scope(insurer=ceiling.insurer, year=ceiling.year, care_type=ceiling.care_type)
    old = ceiling.amount
    ceiling.decide_revision(decision, pack=pack, frame_remaining=frame.remaining, at=at)
    if isinstance(decision, ApproveRevision) and decision.new_amount > old:
        frame.reserve(
            amount=decision.new_amount - old,
            ceiling_id=ceiling.id,
            ceiling_version=ceiling.version,
            pack=pack,
            at=at,
        )
