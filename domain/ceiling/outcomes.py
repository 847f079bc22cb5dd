"""The closed vocabularies and decision values of the revenue-ceiling process (brief §4.4, §10)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from care_contracts.domain.immutable import immutable_value
from care_contracts.domain.values import Money

__all__ = [
    "ApproveRevision",
    "CeilingStatus",
    "NoticeOutcome",
    "NoticeRejection",
    "RefusalReason",
    "RefuseRevision",
    "RevisionDecision",
]


class CeilingStatus(StrEnum):
    AGREED = "agreed"
    OVERRUN_REPORTED = "overrun_reported"
    REVISED = "revised"
    REFUSED = "refused"


class NoticeOutcome(StrEnum):
    """What ``report_expected_overrun`` did; a late notice is recorded, not raised."""

    REPORTED = "reported"  # the first on-time notice: a revision is now pending
    AMENDED = "amended"  # a later on-time notice: it amends the pending report (brief §10)
    REJECTED_LATE = "rejected_late"  # recorded as ``OverrunNoticeRejected``; nothing pending


class NoticeRejection(StrEnum):
    NOTICE_DEADLINE_PASSED = "NOTICE_DEADLINE_PASSED"


class RefusalReason(StrEnum):
    NO_GROUND_DEMONSTRATED = "NO_GROUND_DEMONSTRATED"
    FRAME_EXHAUSTED = "FRAME_EXHAUSTED"
    DISCRETION = "DISCRETION"  # grounds are necessary, not sufficient: needs a motivation


@immutable_value
@dataclass(frozen=True, slots=True)
class ApproveRevision:
    """Raise the ceiling to ``new_amount``; ``late_reason`` is required after the deadline."""

    new_amount: Money
    late_reason: str | None = None


@immutable_value
@dataclass(frozen=True, slots=True)
class RefuseRevision:
    """Refuse the revision for ``reasons``; ``motivation`` is required for DISCRETION."""

    reasons: tuple[RefusalReason, ...]
    motivation: str | None = None
    late_reason: str | None = None


RevisionDecision = ApproveRevision | RefuseRevision
