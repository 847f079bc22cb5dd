"""The approval and rejection guards of a ProviderApplication, as pure functions over its state.

They list every violation instead of stopping at the first, so an officer sees all blockers at
once (``errors.RuleViolations``) and a query can show them without raising.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from care_contracts.domain.application.errors import (
    ApplicationNotComplete,
    ContractTypeNotApplicable,
    ContractTypeNotEligible,
    ContractTypeRouteMismatch,
    EligibilityMetricMissing,
    ExclusionGroundNotAssessed,
    ExclusionGroundNotInPack,
    ExclusionGroundPresent,
    IncompleteReasonRequired,
    IntegrityInvestigationOpen,
    MotivationRequired,
    ReasonNeedsRuleCode,
    ReasonNotBackedByAssessment,
    RejectionReasonRequired,
    RequirementNotAssessed,
    RequirementNotInPack,
    RequirementNotMet,
    UnknownRuleCode,
)
from care_contracts.domain.application.records import ExclusionFinding, RequirementRecord
from care_contracts.domain.application.states import (
    ApplicationStatus,
    Outcome,
    ReasonKind,
    RejectionReason,
)
from care_contracts.domain.errors import DomainError, RuleViolations
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.errors import ContractTypeNotInPack, NoRuleForRoute
from care_contracts.domain.policy.model import Route
from care_contracts.domain.policy.rules import (
    ApplicationProfile,
    Fact,
    RuleResult,
    applies_to,
    evaluate,
    metrics_of,
    start_date,
)

__all__ = [
    "INTEGRITY_GROUND",
    "ApprovalCheck",
    "AssessedApplication",
    "check_approval",
    "check_rejection",
    "is_blank",
    "raise_all",
]

# The exclusion ground a negative integrity advice establishes (brief §7.2, [000 §3.2]). It is a
# system fact: no officer finding sets it, only a concluded investigation.
INTEGRITY_GROUND = "ZZ-EXCL-NEGATIVE-INTEGRITY"


class AssessedApplication(Protocol):
    """What the guards read from an application."""

    @property
    def status(self) -> ApplicationStatus: ...
    @property
    def route(self) -> Route: ...
    @property
    def complete_on(self) -> date | None: ...
    @property
    def metrics(self) -> Mapping[str, Fact]: ...
    @property
    def requirement_outcomes(self) -> Mapping[str, RequirementRecord]: ...
    @property
    def exclusion_findings(self) -> Mapping[str, ExclusionFinding]: ...
    @property
    def integrity_investigation_open(self) -> bool: ...
    @property
    def integrity_ground_established(self) -> bool: ...
    def profile(self, contract_type: str | None = None) -> ApplicationProfile: ...


@dataclass(frozen=True)
class ApprovalCheck:
    """Every blocker of an approval, the rule codes consulted and the provisional start."""

    violations: tuple[DomainError, ...]
    rules: tuple[str, ...]
    start: RuleResult | None


def is_blank(text: str | None) -> bool:
    return text is None or not text.strip()


def raise_all(violations: Sequence[DomainError], what: str) -> None:
    """Raise the one violation, or all of them together."""
    if len(violations) == 1:
        raise violations[0]
    if violations:
        raise RuleViolations(f"{len(violations)} rules block {what}", tuple(violations))


def check_approval(
    app: AssessedApplication,
    pack: ResolvedPack,
    *,
    contract_type: str | None,
    decided_on: date,
) -> ApprovalCheck:
    """Brief §4.2 DecideApplication(approved): complete, gated, no ground, no inquiry, eligible."""
    violations: list[DomainError] = []
    if app.status is not ApplicationStatus.UNDER_ASSESSMENT:
        violations.append(
            ApplicationNotComplete(
                f"the application is {app.status}, not complete", status=app.status
            )
        )
    profile = app.profile(contract_type)
    rules = [*_requirement_blockers(app, pack, profile, violations)]
    rules += _ground_blockers(app, pack, profile, violations)
    if app.integrity_investigation_open:
        violations.append(IntegrityInvestigationOpen("an integrity investigation is still open"))
    start: RuleResult | None = None
    if contract_type is not None:
        start = _contract_type_blockers(app, pack, contract_type, decided_on, violations)
        rules.append(contract_type)
        if start is not None:
            rules.append(start.rule)
    return ApprovalCheck(tuple(violations), tuple(rules), start)


def _requirement_blockers(
    app: AssessedApplication,
    pack: ResolvedPack,
    profile: ApplicationProfile,
    violations: list[DomainError],
) -> list[str]:
    consulted: list[str] = []
    for requirement in pack.requirements:
        if not requirement.gating or requirement.phase == "contract":
            continue
        if not applies_to(requirement.applies, profile):
            continue
        consulted.append(requirement.code)
        record = app.requirement_outcomes.get(requirement.code)
        if record is None:
            violations.append(
                RequirementNotAssessed(
                    f"requirement {requirement.code} is not assessed", requirement=requirement.code
                )
            )
        elif record.outcome is Outcome.NOT_MET:
            violations.append(
                RequirementNotMet(
                    f"requirement {requirement.code} is not met", requirement=requirement.code
                )
            )
    return consulted


def _ground_blockers(
    app: AssessedApplication,
    pack: ResolvedPack,
    profile: ApplicationProfile,
    violations: list[DomainError],
) -> list[str]:
    consulted: list[str] = []
    for ground in pack.exclusion_grounds:
        if not applies_to(ground.applies, profile):
            continue
        consulted.append(ground.code)
        if ground.code == INTEGRITY_GROUND:
            present = app.integrity_ground_established
        else:
            finding = app.exclusion_findings.get(ground.code)
            if finding is None:
                violations.append(
                    ExclusionGroundNotAssessed(
                        f"exclusion ground {ground.code} is not assessed", ground=ground.code
                    )
                )
                continue
            present = finding.counts
        if present:
            violations.append(
                ExclusionGroundPresent(
                    f"exclusion ground {ground.code} is present", ground=ground.code
                )
            )
    return consulted


def _contract_type_blockers(
    app: AssessedApplication,
    pack: ResolvedPack,
    code: str,
    decided_on: date,
    violations: list[DomainError],
) -> RuleResult | None:
    try:
        spec = pack.contract_type(code)
    except ContractTypeNotInPack as error:
        violations.append(error)
        return None
    before = len(violations)
    if spec.routes and app.route not in spec.routes:
        violations.append(
            ContractTypeRouteMismatch(
                f"{code} is not offered on route {app.route}", contract_type=code, route=app.route
            )
        )
    if not applies_to(spec.applies, app.profile(code)):
        violations.append(
            ContractTypeNotApplicable(
                f"{code} does not apply to this application", contract_type=code
            )
        )
    if spec.eligibility is not None:
        eligible = evaluate(spec.eligibility, app.metrics)
        if eligible is None:
            missing = sorted(metrics_of(spec.eligibility) - set(app.metrics))
            violations.append(
                EligibilityMetricMissing(
                    f"{code} eligibility needs metrics {', '.join(missing)}",
                    contract_type=code,
                    missing=tuple(missing),
                )
            )
        elif not eligible:
            violations.append(
                ContractTypeNotEligible(
                    f"{code} eligibility does not hold on the recorded metrics", contract_type=code
                )
            )
    if len(violations) > before or app.complete_on is None:
        return None
    try:
        return start_date(
            pack, app.route, spec, application_date=app.complete_on, offered_on=decided_on
        )
    except NoRuleForRoute as error:
        violations.append(error)
        return None


def check_rejection(
    app: AssessedApplication,
    pack: ResolvedPack,
    reasons: Sequence[RejectionReason],
    motivation: str | None,
) -> list[DomainError]:
    """Brief §4.2 DecideApplication(rejected): a reason from the list, a motivation, a trail."""
    violations: list[DomainError] = []
    if not reasons:
        violations.append(RejectionReasonRequired("a rejection needs at least one reason"))
    if is_blank(motivation):
        violations.append(MotivationRequired("a rejection needs a written motivation"))
    kinds = {reason.kind for reason in reasons}
    if app.status is ApplicationStatus.INCOMPLETE and ReasonKind.INCOMPLETE not in kinds:
        violations.append(
            IncompleteReasonRequired("an incomplete application is rejected as incomplete")
        )
    for reason in reasons:
        violations += _reason_violations(app, pack, reason)
    return violations


def _reason_violations(
    app: AssessedApplication, pack: ResolvedPack, reason: RejectionReason
) -> list[DomainError]:
    code = reason.rule
    needs_code = reason.kind in (ReasonKind.REQUIREMENT_NOT_MET, ReasonKind.EXCLUSION_GROUND)
    if code is None:
        if needs_code:
            return [ReasonNeedsRuleCode(f"reason {reason.kind} names no rule", reason=reason.kind)]
        return []
    if reason.kind is ReasonKind.REQUIREMENT_NOT_MET:
        if pack.requirement(code) is None:
            return [RequirementNotInPack(f"no requirement {code} in pack", requirement=code)]
        record = app.requirement_outcomes.get(code)
        if record is None or record.outcome is not Outcome.NOT_MET:
            return [_unbacked(reason, code)]
        return []
    if reason.kind is ReasonKind.EXCLUSION_GROUND:
        if pack.exclusion_ground(code) is None:
            return [ExclusionGroundNotInPack(f"no exclusion ground {code} in pack", ground=code)]
        finding = app.exclusion_findings.get(code)
        present = (
            app.integrity_ground_established
            if code == INTEGRITY_GROUND
            else finding is not None and finding.counts
        )
        return [] if present else [_unbacked(reason, code)]
    known = {r.code for r in pack.requirements} | {g.code for g in pack.exclusion_grounds}
    known |= {c.code for c in pack.pack.contract_types}
    if code not in known:
        return [UnknownRuleCode(f"no rule {code} in pack", rule=code, reason=reason.kind)]
    return []


def _unbacked(reason: RejectionReason, code: str) -> ReasonNotBackedByAssessment:
    return ReasonNotBackedByAssessment(
        f"reason {reason.kind} {code} has no recorded finding behind it",
        reason=reason.kind,
        rule=code,
    )
