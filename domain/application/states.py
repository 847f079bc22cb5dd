"""The closed vocabularies of a ProviderApplication: states, origins, outcomes (brief §4.2)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from care_contracts.domain.immutable import immutable_value

__all__ = [
    "TERMINAL",
    "ApplicationStatus",
    "AssessmentOutcome",
    "Channel",
    "IntegrityAdvice",
    "Origin",
    "Outcome",
    "ReasonKind",
    "RejectionReason",
]


class ApplicationStatus(StrEnum):
    """The states of the brief §4.2 diagram."""

    RECEIVED = "received"
    INCOMPLETE = "incomplete"
    UNDER_ASSESSMENT = "under_assessment"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


TERMINAL = frozenset(
    {ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN}
)


class Origin(StrEnum):
    """Who started the application: a provider, or the insurer for a renewal (brief §4.1)."""

    PROVIDER = "provider"
    INSURER = "insurer"


class Channel(StrEnum):
    """How the application arrived; recorded, never grounds for rejection (brief §4.2)."""

    WEB_FORM = "web_form"
    EMAIL = "email"
    INSURER_INITIATED = "insurer_initiated"


class Outcome(StrEnum):
    """The outcome of one requirement's assessment."""

    MET = "met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"


class IntegrityAdvice(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


class AssessmentOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class ReasonKind(StrEnum):
    """Why an application is rejected (brief §4.2 DecideApplication(rejected))."""

    REQUIREMENT_NOT_MET = "requirement_not_met"
    EXCLUSION_GROUND = "exclusion_ground"
    SUPPLY_ASSESSMENT = "supply_assessment"
    NO_ADDED_VALUE = "no_added_value"
    DATA_BENCHMARK = "data_benchmark"
    DISCRETIONARY = "discretionary"
    NOT_SELECTED = "not_selected"
    INCOMPLETE = "incomplete"


@immutable_value
@dataclass(frozen=True, slots=True)
class RejectionReason:
    """One reason for a rejection; requirement and exclusion reasons name their rule code."""

    kind: ReasonKind
    rule: str | None = None
