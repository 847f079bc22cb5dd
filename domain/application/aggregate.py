"""ProviderApplication: a provider's request for a contract, assessed under one pinned policy pack.

The lifecycle is the brief §4.2 diagram: received ⇄ incomplete, received → under_assessment by
completion, then approved or rejected; withdrawn from any open state. Each public command decides
(against the pack passed in, which must be the pinned one) and then records one event; the
private ``@event`` methods only assign, so old histories replay after a rule tightens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from care_contracts.domain.application.approval import ApprovedAssessment, ProviderDetails
from care_contracts.domain.application.assessment import (
    decide_exclusion_counts,
    decide_requirement,
    reopened_by,
    validate_metrics,
)
from care_contracts.domain.application.errors import (
    ApplicationNotApproved,
    CommandNotAllowedInState,
    IntegrityInvestigationAlreadyOpen,
    MotivationRequired,
    NoOpenIntegrityInvestigation,
)
from care_contracts.domain.application.guards import (
    INTEGRITY_GROUND,
    check_approval,
    check_rejection,
    is_blank,
    raise_all,
)
from care_contracts.domain.application.records import (
    ExclusionFinding,
    FactPairs,
    RequirementRecord,
    as_pairs,
)
from care_contracts.domain.application.states import (
    TERMINAL,
    ApplicationStatus,
    AssessmentOutcome,
    Channel,
    IntegrityAdvice,
    Origin,
    Outcome,
    RejectionReason,
)
from care_contracts.domain.application.submission import check_submission
from care_contracts.domain.dates import local_date, require_aware
from care_contracts.domain.errors import DomainError
from care_contracts.domain.identity import natural_id
from care_contracts.domain.immutable import StructuralCopy
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.errors import PolicyPackMismatch
from care_contracts.domain.policy.model import PackRef, Route, RuleKind
from care_contracts.domain.policy.rules import ApplicationProfile, Fact, applies_to

__all__ = ["ProviderApplication"]

_S = ApplicationStatus
_OPEN = frozenset({_S.RECEIVED, _S.INCOMPLETE, _S.UNDER_ASSESSMENT})
_ASSESSING = frozenset({_S.UNDER_ASSESSMENT})


class ProviderApplication(StructuralCopy, Aggregate):
    """One provider × pack × sub-type application (brief §4.2)."""

    TOPIC = "contracting.application"

    class Created(Aggregate.Created):
        """The library's base created event; applications are created by ``Submitted``."""

        TOPIC = "contracting.application.created"

    class Submitted(Created):
        """The "applied" event (brief §4.2 ApplicationSubmitted)."""

        TOPIC = "contracting.application.submitted"
        provider: ProviderDetails
        insurer: str
        year: int
        care_type: str
        sub_type: str | None
        route: Route
        origin: Origin
        channel: Channel
        received_at: datetime
        is_new_provider: bool
        pack_id: str
        pack_version: str
        rules: tuple[str, ...]

    _ALLOWED: ClassVar[dict[str, frozenset[ApplicationStatus]]] = {
        "request_information": frozenset({_S.RECEIVED}),
        "supply_information": frozenset({_S.INCOMPLETE}),
        "mark_complete": frozenset({_S.RECEIVED}),
        "record_metrics": _ASSESSING,
        "record_requirement_outcome": _ASSESSING,
        "record_exclusion_finding": _ASSESSING,
        "open_integrity_investigation": _ASSESSING,
        "conclude_integrity_investigation": _ASSESSING,
        "approve": _OPEN,  # only under_assessment passes: the completeness guard says why
        "reject": _OPEN,
        "withdraw": _OPEN,
    }

    @staticmethod
    def create_id(provider: ProviderDetails, pack_id: str, sub_type: str | None) -> UUID:
        """Natural key enterprise AGB × pack id × sub-type: a resubmission cannot fork a twin."""
        return natural_id("application", provider.agb_enterprise, pack_id, sub_type or "-")

    @classmethod
    def submit(
        cls,
        *,
        pack: ResolvedPack,
        provider: ProviderDetails,
        insurer: str,
        year: int,
        care_type: str,
        sub_type: str | None,
        route: Route,
        origin: Origin,
        channel: Channel,
        is_new_provider: bool,
        at: datetime,
        received_at: datetime | None = None,
    ) -> ProviderApplication:
        """Receive an application under the pack in force on the day of receipt (brief §4.2).

        The caller selects ``pack`` with ``catalog.in_force(insurer, year, care_type, received
        on)``. The id comes from the natural key, so a duplicate submission targets the same
        aggregate; "one open application and no live contract per provider × pack × sub-type"
        across aggregates (brief §14.19) is the service layer's check, not this aggregate's.
        """
        received = require_aware(received_at if received_at is not None else at)
        rules = check_submission(
            pack,
            provider=provider,
            insurer=insurer,
            year=year,
            care_type=care_type,
            sub_type=sub_type,
            route=route,
            origin=origin,
            received_on=local_date(received),
        )
        return cls(
            provider=provider,
            insurer=insurer,
            year=year,
            care_type=care_type,
            sub_type=sub_type,
            route=route,
            origin=origin,
            channel=channel,
            received_at=received,
            is_new_provider=is_new_provider,
            pack_id=pack.ref.id,
            pack_version=pack.ref.version,
            rules=rules,
            timestamp=require_aware(at),
        )

    @event(Submitted)
    def __init__(
        self,
        *,
        provider: ProviderDetails,
        insurer: str,
        year: int,
        care_type: str,
        sub_type: str | None,
        route: Route,
        origin: Origin,
        channel: Channel,
        received_at: datetime,
        is_new_provider: bool,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        self.provider = provider
        self.insurer = insurer
        self.year = year
        self.care_type = care_type
        self.sub_type = sub_type
        self.route = route
        self.origin = origin
        self.channel = channel
        self.received_at = received_at
        self.is_new_provider = is_new_provider
        self.pack_id = pack_id
        self.pack_version = pack_version
        self.status = ApplicationStatus.RECEIVED
        self.last_received_on = local_date(received_at)
        self.complete_on: date | None = None
        self.metrics: dict[str, Fact] = {}
        self.requirement_outcomes: dict[str, RequirementRecord] = {}
        self.exclusion_findings: dict[str, ExclusionFinding] = {}
        self.integrity_investigation_open = False
        self.integrity_ground_established = False
        self.contract_type: str | None = None
        self.provisional_start: date | None = None
        self.decided_at: datetime | None = None
        self.rejection_reasons: tuple[RejectionReason, ...] = ()

    # --- queries -------------------------------------------------------------------------------

    @property
    def pack_ref(self) -> PackRef:
        return PackRef(id=self.pack_id, version=self.pack_version)

    def profile(self, contract_type: str | None = None) -> ApplicationProfile:
        """What rule applicability depends on (policy.rules.applies_to)."""
        return ApplicationProfile(
            sub_type=self.sub_type,
            is_new_provider=self.is_new_provider,
            route=self.route,
            applicant_role=self.provider.role,
            contract_type=contract_type,
        )

    def approval_blockers(
        self, pack: ResolvedPack, at: datetime, contract_type: str | None = None
    ) -> tuple[DomainError, ...]:
        """Every rule that would block ``approve`` now; contract-type checks need its code."""
        self._require_pack(pack)
        if self.status in TERMINAL:
            return (self._not_allowed("approve"),)
        check = check_approval(self, pack, contract_type=contract_type, decided_on=local_date(at))
        return check.violations

    @property
    def approval(self) -> ApprovedAssessment:
        """The hand-off to ``Contract.offer`` (brief §4.1 invariant): approved applications only."""
        if (
            self.status is not ApplicationStatus.APPROVED
            or self.contract_type is None
            or self.complete_on is None
            or self.decided_at is None
            or self.provisional_start is None
        ):
            raise ApplicationNotApproved(
                f"application {self.id} is {self.status}", application_id=self.id
            )
        return ApprovedAssessment(
            application_id=self.id,
            provider=self.provider,
            insurer=self.insurer,
            year=self.year,
            care_type=self.care_type,
            sub_type=self.sub_type,
            route=self.route,
            pack=self.pack_ref,
            contract_type=self.contract_type,
            application_date=self.complete_on,
            decided_at=self.decided_at,
            provisional_start=self.provisional_start,
        )

    # --- completeness --------------------------------------------------------------------------

    def request_information(self, *, request: str, at: datetime) -> None:
        """An officer may ask for further documents; no response period (brief §4.2, [004 §2.6])."""
        self._require_state("request_information")
        self._information_requested(request=request, timestamp=require_aware(at))

    @event("InformationRequested", topic="contracting.application.information_requested")
    def _information_requested(self, *, request: str, timestamp: datetime) -> None:
        self.status = ApplicationStatus.INCOMPLETE

    def supply_information(self, *, note: str, at: datetime) -> None:
        """The provider supplies what was asked; the application is received again (brief §4.2)."""
        self._require_state("supply_information")
        self._information_supplied(note=note, timestamp=require_aware(at))

    @event("InformationSupplied", topic="contracting.application.information_supplied")
    def _information_supplied(self, *, note: str, timestamp: datetime) -> None:
        self.status = ApplicationStatus.RECEIVED
        self.last_received_on = local_date(timestamp)

    def mark_complete(self, *, at: datetime) -> None:
        """Complete on the day its last part arrived: the month of application (brief §14.1)."""
        self._require_state("mark_complete")
        self._completed(complete_on=self.last_received_on, timestamp=require_aware(at))

    @event("Completed", topic="contracting.application.completed")
    def _completed(self, *, complete_on: date, timestamp: datetime) -> None:
        self.status = ApplicationStatus.UNDER_ASSESSMENT
        self.complete_on = complete_on

    # --- assessment ----------------------------------------------------------------------------

    def record_metrics(
        self, *, pack: ResolvedPack, metrics: Mapping[str, Fact], evidence: str, at: datetime
    ) -> None:
        """Officer-confirmed measurements the thresholds read (brief §8.2); changes reopen items."""
        self._require_state("record_metrics", pack)
        validate_metrics(metrics, pack=pack)
        reopened = reopened_by(pack, self.requirement_outcomes, self.metrics, metrics)
        self._metrics_recorded(
            metrics=as_pairs(metrics),
            evidence=evidence,
            reopened=reopened,
            timestamp=require_aware(at),
        )

    @event("MetricsRecorded", topic="contracting.application.metrics_recorded")
    def _metrics_recorded(
        self, *, metrics: FactPairs, evidence: str, reopened: tuple[str, ...], timestamp: datetime
    ) -> None:
        self.metrics = {**self.metrics, **dict(metrics)}
        self.requirement_outcomes = {
            code: record
            for code, record in self.requirement_outcomes.items()
            if code not in reopened
        }

    def record_requirement_outcome(
        self,
        *,
        pack: ResolvedPack,
        code: str,
        evidence: str,
        at: datetime,
        outcome: Outcome | None = None,
        facts: Mapping[str, Fact] | None = None,
        motivation: str | None = None,
    ) -> None:
        """HARD: evaluated from facts, never overridden; SOFT: motivated judgement (brief §4.2)."""
        self._require_state("record_requirement_outcome", pack)
        decision = decide_requirement(
            pack,
            self.profile(),
            self.metrics,
            code=code,
            outcome=outcome,
            evidence=evidence,
            facts=facts or {},
            motivation=motivation,
        )
        self._requirement_assessed(
            code=code,
            kind=decision.kind,
            outcome=decision.outcome,
            evidence=evidence,
            facts=as_pairs(decision.facts),
            motivation=motivation,
            pack_id=self.pack_id,
            pack_version=self.pack_version,
            rules=(code,),
            timestamp=require_aware(at),
        )

    @event("RequirementAssessed", topic="contracting.application.requirement_assessed")
    def _requirement_assessed(
        self,
        *,
        code: str,
        kind: RuleKind,
        outcome: Outcome,
        evidence: str,
        facts: FactPairs,
        motivation: str | None,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        record = RequirementRecord(
            code, kind, outcome, evidence, facts, motivation, local_date(timestamp)
        )
        self.requirement_outcomes = {**self.requirement_outcomes, code: record}

    def record_exclusion_finding(
        self,
        *,
        pack: ResolvedPack,
        code: str,
        present: bool,
        subject: str,
        evidence: str,
        at: datetime,
        fact_date: date | None = None,
    ) -> None:
        """Present or not; a present fact outside the look-back no longer counts (brief §7.2)."""
        self._require_state("record_exclusion_finding", pack)
        counts = decide_exclusion_counts(
            pack,
            self.profile(),
            code=code,
            present=present,
            fact_date=fact_date,
            evidence=evidence,
            assessed_on=local_date(at),
        )
        self._exclusion_ground_assessed(
            code=code,
            present=present,
            counts=counts,
            fact_date=fact_date,
            subject=subject,
            evidence=evidence,
            pack_id=self.pack_id,
            pack_version=self.pack_version,
            rules=(code,),
            timestamp=require_aware(at),
        )

    @event("ExclusionGroundAssessed", topic="contracting.application.exclusion_ground_assessed")
    def _exclusion_ground_assessed(
        self,
        *,
        code: str,
        present: bool,
        counts: bool,
        fact_date: date | None,
        subject: str,
        evidence: str,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        finding = ExclusionFinding(
            code, present, counts, fact_date, subject, evidence, local_date(timestamp)
        )
        self.exclusion_findings = {**self.exclusion_findings, code: finding}

    def open_integrity_investigation(self, *, reason: str, at: datetime) -> None:
        """Z&Z may investigate integrity on an application (brief §4.2, [000 §3.2])."""
        self._require_state("open_integrity_investigation")
        if self.integrity_investigation_open:
            raise IntegrityInvestigationAlreadyOpen(
                f"application {self.id} has an open integrity investigation"
            )
        self._integrity_investigation_opened(reason=reason, timestamp=require_aware(at))

    @event(
        "IntegrityInvestigationOpened",
        topic="contracting.application.integrity_investigation_opened",
    )
    def _integrity_investigation_opened(self, *, reason: str, timestamp: datetime) -> None:
        self.integrity_investigation_open = True

    def conclude_integrity_investigation(
        self, *, pack: ResolvedPack, advice: IntegrityAdvice, motivation: str, at: datetime
    ) -> None:
        """A negative advice establishes the integrity exclusion ground (brief §7.2, [000 §3.2])."""
        self._require_state("conclude_integrity_investigation", pack)
        if not self.integrity_investigation_open:
            raise NoOpenIntegrityInvestigation(f"application {self.id} has no open investigation")
        if is_blank(motivation):
            raise MotivationRequired("an integrity advice needs a motivation")
        ground = pack.exclusion_ground(INTEGRITY_GROUND)
        establishes = (
            advice is IntegrityAdvice.NEGATIVE
            and ground is not None
            and applies_to(ground.applies, self.profile())
        )
        self._integrity_investigation_concluded(
            advice=advice,
            motivation=motivation,
            ground_established=INTEGRITY_GROUND if establishes else None,
            pack_id=self.pack_id,
            pack_version=self.pack_version,
            rules=(INTEGRITY_GROUND,) if establishes else (),
            timestamp=require_aware(at),
        )

    @event(
        "IntegrityInvestigationConcluded",
        topic="contracting.application.integrity_investigation_concluded",
    )
    def _integrity_investigation_concluded(
        self,
        *,
        advice: IntegrityAdvice,
        motivation: str,
        ground_established: str | None,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        self.integrity_investigation_open = False
        if ground_established is not None:
            self.integrity_ground_established = True

    # --- decision ------------------------------------------------------------------------------

    def approve(
        self,
        *,
        pack: ResolvedPack,
        contract_type: str,
        at: datetime,
        motivation: str | None = None,
    ) -> None:
        """Approve when every hard guard of brief §4.2 DecideApplication(approved) holds."""
        self._require_state("approve", pack)
        check = check_approval(self, pack, contract_type=contract_type, decided_on=local_date(at))
        raise_all(check.violations, f"approving application {self.id}")
        assert check.start is not None  # no violations: the start date was computed
        self._assessed(
            outcome=AssessmentOutcome.APPROVED,
            contract_type=contract_type,
            computed_start_date=check.start.value,
            reasons=(),
            motivation=motivation,
            pack_id=self.pack_id,
            pack_version=self.pack_version,
            rules=check.rules,
            timestamp=require_aware(at),
        )

    def reject(
        self,
        *,
        pack: ResolvedPack,
        reasons: Sequence[RejectionReason],
        motivation: str,
        at: datetime,
    ) -> None:
        """Reject with at least one listed reason and a motivation (brief §4.2)."""
        self._require_state("reject", pack)
        raise_all(check_rejection(self, pack, reasons, motivation), f"rejecting {self.id}")
        self._assessed(
            outcome=AssessmentOutcome.REJECTED,
            contract_type=None,
            computed_start_date=None,
            reasons=tuple(reasons),
            motivation=motivation,
            pack_id=self.pack_id,
            pack_version=self.pack_version,
            rules=tuple(dict.fromkeys(r.rule for r in reasons if r.rule is not None)),
            timestamp=require_aware(at),
        )

    @event("Assessed", topic="contracting.application.assessed")
    def _assessed(
        self,
        *,
        outcome: AssessmentOutcome,
        contract_type: str | None,
        computed_start_date: date | None,
        reasons: tuple[RejectionReason, ...],
        motivation: str | None,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        approved = outcome is AssessmentOutcome.APPROVED
        self.status = ApplicationStatus.APPROVED if approved else ApplicationStatus.REJECTED
        self.contract_type = contract_type
        self.provisional_start = computed_start_date
        self.rejection_reasons = reasons
        self.decided_at = timestamp

    def withdraw(self, *, at: datetime, reason: str | None = None) -> None:
        """The provider withdraws an application that is not decided (brief §4.2)."""
        self._require_state("withdraw")
        self._withdrawn(reason=reason, timestamp=require_aware(at))

    @event("Withdrawn", topic="contracting.application.withdrawn")
    def _withdrawn(self, *, reason: str | None, timestamp: datetime) -> None:
        self.status = ApplicationStatus.WITHDRAWN

    # --- guards --------------------------------------------------------------------------------

    def _require_state(self, command: str, pack: ResolvedPack | None = None) -> None:
        if self.status not in self._ALLOWED[command]:
            raise self._not_allowed(command)
        if pack is not None:
            self._require_pack(pack)

    def _not_allowed(self, command: str) -> CommandNotAllowedInState:
        allowed = sorted(self._ALLOWED[command])
        return CommandNotAllowedInState(
            f"application {self.id} is {self.status}: {command} needs {', '.join(allowed)}",
            command=command,
            status=self.status,
            allowed=tuple(allowed),
        )

    def _require_pack(self, pack: ResolvedPack) -> None:
        if pack.ref != self.pack_ref:
            raise PolicyPackMismatch(
                f"application {self.id} is pinned to {self.pack_ref}, not {pack.ref}",
                pinned=str(self.pack_ref),
                given=str(pack.ref),
            )
