"""Broken rules of the revenue ceiling (omzetplafond) and the financial frame (brief §4.4, §10).

One class per rule; each ``code`` is stable and unique across the service. A command that raises
one of these recorded nothing. A notice received after the deadline is not an error: it is a
recorded ``RevenueCeiling.OverrunNoticeRejected`` event (brief §6.4).
"""

from __future__ import annotations

from care_contracts.domain.errors import DomainError, RuleViolations

__all__ = [
    "CeilingAmountNotPositive",
    "CeilingNotCarried",
    "CeilingYearOutsideContract",
    "ContractMismatch",
    "ContractNotLive",
    "ContractNotSigned",
    "FrameAmountNegative",
    "FrameBelowReserved",
    "FrameExhausted",
    "FrameScopeMismatch",
    "GroundEvidenceMissing",
    "GroundPredatesSigning",
    "LateReasonMissing",
    "NoCeilingPolicy",
    "NoGroundEstablished",
    "NoPendingOverrunReport",
    "RefusalUnreasoned",
    "ReleaseExceedsReservation",
    "ReservationNotPositive",
    "RevisionAlreadyDecided",
    "RevisionNotAnIncrease",
    "UnknownCeilingGround",
    "raise_all",
]


class NoCeilingPolicy(DomainError):
    code = "no_ceiling_policy"
    title = "The policy pack has no revenue-ceiling policy"


class CeilingNotCarried(DomainError):
    code = "ceiling_not_carried"
    title = "The contract's type carries no revenue ceiling"


class ContractMismatch(DomainError):
    code = "ceiling_contract_mismatch"
    title = "The contract facts belong to another contract than this ceiling's"


class ContractNotSigned(DomainError):
    code = "ceiling_contract_not_signed"
    title = "A revenue ceiling needs a signed contract"


class ContractNotLive(DomainError):
    code = "ceiling_contract_not_live"
    title = "The contract is no longer live (declined, expired, terminated or ended)"


class CeilingYearOutsideContract(DomainError):
    code = "ceiling_year_outside_contract"
    title = "A revenue ceiling is agreed for the contract's own year"


class CeilingAmountNotPositive(DomainError):
    code = "ceiling_amount_not_positive"
    title = "A ceiling or expected revenue is a positive amount"


class RevisionAlreadyDecided(DomainError):
    code = "ceiling_revision_already_decided"
    title = "This year's revision has been decided; one decision per year"


class NoPendingOverrunReport(DomainError):
    code = "no_pending_overrun_report"
    title = "No expected-overrun report is pending for this ceiling"


class UnknownCeilingGround(DomainError):
    code = "unknown_ceiling_ground"
    title = "The policy pack has no such revision ground"


class GroundEvidenceMissing(DomainError):
    code = "ceiling_ground_evidence_missing"
    title = "A ground assessment records its evidence"


class GroundPredatesSigning(DomainError):
    code = "ceiling_ground_predates_signing"
    title = "An unforeseen circumstance must have arisen after the contract was signed"


class NoGroundEstablished(DomainError):
    code = "no_ceiling_ground_established"
    title = "A revision needs at least one established ground"


class RevisionNotAnIncrease(DomainError):
    code = "ceiling_revision_not_an_increase"
    title = "A revision can only raise the ceiling"


class FrameExhausted(DomainError):
    code = "financial_frame_exhausted"
    title = "The increase exceeds what remains of the financial frame"


class LateReasonMissing(DomainError):
    code = "ceiling_late_reason_missing"
    title = "A decision after the decision deadline states why it is late"


class RefusalUnreasoned(DomainError):
    code = "ceiling_refusal_unreasoned"
    title = "A refusal names its reasons, and a discretionary refusal its motivation"


class FrameScopeMismatch(DomainError):
    code = "financial_frame_scope_mismatch"
    title = "The financial frame is for another insurer, year or care type"


class FrameAmountNegative(DomainError):
    code = "financial_frame_amount_negative"
    title = "A financial frame is zero or more"


class FrameBelowReserved(DomainError):
    code = "financial_frame_below_reserved"
    title = "A financial frame cannot be set below what is already reserved from it"


class ReservationNotPositive(DomainError):
    code = "financial_frame_reservation_not_positive"
    title = "A reservation or release is a positive amount"


class ReleaseExceedsReservation(DomainError):
    code = "financial_frame_release_exceeds_reservation"
    title = "A release returns no more than the ceiling has reserved"


def raise_all(detail: str, violations: list[DomainError]) -> None:
    """Raise the one violation, or all of them at once; return when there are none."""
    if len(violations) == 1:
        raise violations[0]
    if violations:
        raise RuleViolations(detail, tuple(violations))
