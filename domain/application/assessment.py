"""Deciding one requirement outcome, one exclusion finding and one set of metrics (brief §4.2).

Pure functions the aggregate's command methods call before they record: they read the pack and
the facts, and either return what to record or raise the rule that is broken.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from care_contracts.domain.application.errors import (
    EvidenceRequired,
    ExclusionGroundDoesNotApply,
    ExclusionGroundNotInPack,
    FactContradictsRecordedMetric,
    FactDateRequired,
    HardOutcomeContradictsPredicate,
    HardRequirementEvidenceMissing,
    IntegrityGroundFollowsInvestigation,
    InvalidMetricValue,
    MetricNotReadByPack,
    MetricsRequired,
    MotivationRequired,
    NotApplicableNotAllowed,
    OutcomeRequired,
    RequirementDoesNotApply,
    RequirementNotInPack,
)
from care_contracts.domain.application.guards import INTEGRITY_GROUND, is_blank
from care_contracts.domain.application.records import RequirementRecord
from care_contracts.domain.application.states import Outcome
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.model import Requirement, RuleKind
from care_contracts.domain.policy.rules import (
    ApplicationProfile,
    Fact,
    applies_to,
    evaluate,
    fact_counts,
    metrics_of,
)

__all__ = [
    "RequirementDecision",
    "decide_exclusion_counts",
    "decide_requirement",
    "metrics_read_by",
    "reopened_by",
    "validate_metrics",
]


@dataclass(frozen=True)
class RequirementDecision:
    outcome: Outcome
    kind: RuleKind
    facts: dict[str, Fact]


def decide_requirement(
    pack: ResolvedPack,
    profile: ApplicationProfile,
    metrics: Mapping[str, Fact],
    *,
    code: str,
    outcome: Outcome | None,
    evidence: str,
    facts: Mapping[str, Fact],
    motivation: str | None,
) -> RequirementDecision:
    """HARD items are evaluated from facts and metrics; SOFT items are the officer's, motivated."""
    requirement = pack.requirement(code)
    if requirement is None:
        raise RequirementNotInPack(f"no requirement {code} in pack {pack.ref}", requirement=code)
    if not applies_to(requirement.applies, profile):
        raise RequirementDoesNotApply(f"{code} does not apply here", requirement=code)
    if is_blank(evidence):
        raise EvidenceRequired(f"the outcome of {code} names no evidence", requirement=code)
    validate_metrics(facts, allow_empty=True)
    for name, value in facts.items():
        if name in metrics and metrics[name] != value:
            raise FactContradictsRecordedMetric(
                f"fact {name} contradicts the recorded metric; record new metrics instead",
                metric=name,
            )
    if requirement.kind is RuleKind.SOFT or outcome is Outcome.NOT_APPLICABLE:
        return _judged(requirement, outcome, facts, motivation)
    return _evaluated(requirement, outcome, {**facts, **metrics}, facts)


def _judged(
    requirement: Requirement,
    outcome: Outcome | None,
    facts: Mapping[str, Fact],
    motivation: str | None,
) -> RequirementDecision:
    code = requirement.code
    if outcome is None:
        raise OutcomeRequired(
            f"{code} is the officer's judgement: give an outcome", requirement=code
        )
    hard = requirement.kind is RuleKind.HARD
    if hard and not requirement.may_be_not_applicable:
        raise NotApplicableNotAllowed(f"{code} cannot be marked not applicable", requirement=code)
    if is_blank(motivation):
        raise MotivationRequired(f"the outcome of {code} needs a motivation", requirement=code)
    return RequirementDecision(outcome, requirement.kind, dict(facts))


def _evaluated(
    requirement: Requirement,
    outcome: Outcome | None,
    known: Mapping[str, Fact],
    given: Mapping[str, Fact],
) -> RequirementDecision:
    code = requirement.code
    assert requirement.predicate is not None  # a hard requirement has one (model validator)
    read = metrics_of(requirement.predicate)
    holds = evaluate(requirement.predicate, known)
    if holds is None:
        missing = tuple(sorted(read - set(known)))
        raise HardRequirementEvidenceMissing(
            f"{code} needs facts {', '.join(missing)}", requirement=code, missing=missing
        )
    evaluated = Outcome.MET if holds else Outcome.NOT_MET
    if outcome is not None and outcome is not evaluated:
        raise HardOutcomeContradictsPredicate(
            f"{code} evaluates to {evaluated} on the facts; {outcome} cannot override it",
            requirement=code,
            evaluated=evaluated,
            requested=outcome,
        )
    used = {**given, **{name: known[name] for name in read if name in known}}
    return RequirementDecision(evaluated, requirement.kind, used)


def decide_exclusion_counts(
    pack: ResolvedPack,
    profile: ApplicationProfile,
    *,
    code: str,
    present: bool,
    fact_date: date | None,
    evidence: str,
    assessed_on: date,
) -> bool:
    """Whether a finding counts: present, and within the ground's look-back (brief §7.2)."""
    ground = pack.exclusion_ground(code)
    if ground is None:
        raise ExclusionGroundNotInPack(
            f"no exclusion ground {code} in pack {pack.ref}", ground=code
        )
    if code == INTEGRITY_GROUND:
        raise IntegrityGroundFollowsInvestigation(
            f"{code} follows from a concluded integrity investigation", ground=code
        )
    if not applies_to(ground.applies, profile):
        raise ExclusionGroundDoesNotApply(f"{code} does not apply here", ground=code)
    if is_blank(evidence):
        raise EvidenceRequired(f"the finding on {code} names no evidence", ground=code)
    if present and ground.lookback_years is not None and fact_date is None:
        raise FactDateRequired(
            f"{code} looks back {ground.lookback_years} years from {ground.lookback_anchor}: "
            "give the fact date",
            ground=code,
        )
    return present and fact_counts(ground, fact_date, assessed_on)


def metrics_read_by(pack: ResolvedPack) -> frozenset[str]:
    """Every metric a hard requirement or a contract type's eligibility reads."""
    read: set[str] = set()
    for requirement in pack.requirements:
        if requirement.predicate is not None:
            read |= metrics_of(requirement.predicate)
    for spec in pack.pack.contract_types:
        if spec.eligibility is not None:
            read |= metrics_of(spec.eligibility)
    return frozenset(read)


def validate_metrics(
    metrics: Mapping[str, Fact],
    *,
    pack: ResolvedPack | None = None,
    allow_empty: bool = False,
) -> None:
    """Metrics are Decimal, bool or str (never float or int); with a pack, ones it reads."""
    if not metrics and not allow_empty:
        raise MetricsRequired("no metrics given")
    for name, value in metrics.items():
        if not isinstance(value, Decimal | bool | str):
            raise InvalidMetricValue(
                f"metric {name} is a {type(value).__name__}", metric=name, type=type(value).__name__
            )
    if pack is not None:
        unknown = sorted(set(metrics) - metrics_read_by(pack))
        if unknown:
            raise MetricNotReadByPack(
                f"pack {pack.ref} reads no metric {', '.join(unknown)}", metrics=tuple(unknown)
            )


def reopened_by(
    pack: ResolvedPack,
    outcomes: Mapping[str, RequirementRecord],
    before: Mapping[str, Fact],
    after: Mapping[str, Fact],
) -> tuple[str, ...]:
    """Hard outcomes that read a metric whose value changes: they must be assessed again."""
    changed = {name for name, value in after.items() if before.get(name) != value}
    reopened: list[str] = []
    for code, record in outcomes.items():
        requirement = pack.requirement(code)
        if record.kind is not RuleKind.HARD or record.outcome is Outcome.NOT_APPLICABLE:
            continue
        predicate = requirement.predicate if requirement is not None else None
        if predicate is not None and metrics_of(predicate) & changed:
            reopened.append(code)
    return tuple(sorted(reopened))
