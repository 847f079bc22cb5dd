"""Pure rule functions over a resolved pack: applicability, predicates, deadlines, start dates.

These compute; the aggregates decide and record. Every function returns the rule code that
decided, so the event can carry it (brief §12: every decision records pack and rule codes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from care_contracts.domain.dates import (
    add_days,
    first_of_month,
    first_of_next_month,
    same_day_years_before,
)
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.errors import NoRuleForRoute
from care_contracts.domain.policy.model import (
    AllOf,
    AnyOf,
    Applicability,
    Comparison,
    ContractTypeSpec,
    ExclusionGround,
    Membership,
    Predicate,
    ProviderScope,
    Route,
    SigningRule,
    StartRule,
)

__all__ = [
    "ApplicationProfile",
    "Fact",
    "Facts",
    "RuleResult",
    "applies_to",
    "evaluate",
    "fact_counts",
    "metrics_of",
    "period_end",
    "signing_deadline",
    "start_date",
]

Fact = Decimal | bool | str
Facts = Mapping[str, Fact]


@dataclass(frozen=True)
class RuleResult:
    """A computed date and the rule code that set it."""

    value: date
    rule: str


@dataclass(frozen=True)
class ApplicationProfile:
    """What applicability depends on: who applies for what, by which route."""

    sub_type: str | None
    is_new_provider: bool
    route: Route
    applicant_role: str | None = None
    contract_type: str | None = None


def applies_to(applicability: Applicability, profile: ApplicationProfile) -> bool:
    if applicability.sub_types and profile.sub_type not in applicability.sub_types:
        return False
    if applicability.providers is ProviderScope.NEW and not profile.is_new_provider:
        return False
    if applicability.providers is ProviderScope.EXISTING and profile.is_new_provider:
        return False
    if applicability.routes and profile.route not in applicability.routes:
        return False
    if (
        applicability.contract_types
        and profile.contract_type is not None
        and profile.contract_type not in applicability.contract_types
    ):
        return False
    return not (
        applicability.applicant_roles
        and profile.applicant_role not in applicability.applicant_roles
    )


def metrics_of(predicate: Predicate) -> frozenset[str]:
    """Every metric a predicate reads."""
    match predicate:
        case Comparison(metric=metric) | Membership(metric=metric):
            return frozenset({metric})
        case AllOf(all=parts) | AnyOf(any=parts):
            return frozenset().union(*(metrics_of(p) for p in parts))
    raise TypeError(f"unknown predicate {predicate!r}")  # pragma: no cover


def evaluate(predicate: Predicate, facts: Facts) -> bool | None:
    """True or False from the facts; None when a metric it needs is not recorded.

    ``any`` is true as soon as one recorded branch holds, ``all`` false as soon as one fails:
    "≥ €100,000 or ≥ 25 %" is met by the revenue alone, without a market-share figure.
    """
    match predicate:
        case Comparison():
            return _compare(predicate, facts)
        case Membership(metric=metric, one_of=allowed):
            value = facts.get(metric)
            return None if value is None else str(value) in allowed
        case AllOf(all=parts):
            results = [evaluate(p, facts) for p in parts]
            if False in results:
                return False
            return None if None in results else True
        case AnyOf(any=parts):
            results = [evaluate(p, facts) for p in parts]
            if True in results:
                return True
            return None if None in results else False
    raise TypeError(f"unknown predicate {predicate!r}")  # pragma: no cover


def _compare(comparison: Comparison, facts: Facts) -> bool | None:
    actual = facts.get(comparison.metric)
    if actual is None:
        return None
    expected = comparison.value
    if comparison.op == "==":
        return _same(actual, expected)
    if comparison.op == "!=":
        return not _same(actual, expected)
    if isinstance(actual, bool) or not isinstance(actual, Decimal):
        return False
    if isinstance(expected, bool) or not isinstance(expected, Decimal):
        return False
    return {
        ">=": actual >= expected,
        ">": actual > expected,
        "<=": actual <= expected,
        "<": actual < expected,
    }[comparison.op]


def _same(actual: Fact, expected: Fact) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual is expected
    return actual == expected


def fact_counts(ground: ExclusionGround, fact_date: date | None, assessed_on: date) -> bool:
    """Whether a present fact still counts: on or after ``assessed_on − lookback`` (brief §7.2)."""
    if ground.lookback_years is None or fact_date is None:
        return True
    return fact_date >= same_day_years_before(assessed_on, ground.lookback_years)


def period_end(pack: ResolvedPack, code: str, *, anchor: date) -> RuleResult:
    """The last day of a pack period, anchor day excluded (e.g. quote answer, Z&Z MSZ §6.3)."""
    rule = next((p for p in pack.pack.periods if p.code == code), None)
    if rule is None:
        raise NoRuleForRoute(f"pack {pack.ref} has no period {code}", pack=str(pack.ref), code=code)
    return RuleResult(add_days(anchor, rule.days), rule.code)


_Rule = TypeVar("_Rule", SigningRule, StartRule)


def _pick(rules: tuple[_Rule, ...], route: Route, contract_type: str) -> _Rule | None:
    matching = [r for r in rules if route in r.routes]
    specific = [r for r in matching if contract_type in r.contract_types]
    general = [r for r in matching if not r.contract_types]
    candidates = specific or general
    return candidates[0] if candidates else None


def signing_deadline(
    pack: ResolvedPack,
    route: Route,
    contract_type: str,
    *,
    offered_on: date,
    received_on: date,
) -> RuleResult:
    """The last day to sign: a fixed date, receipt + N days or offer + N days (brief §6.2)."""
    rule = _pick(pack.pack.signing_rules, route, contract_type)
    if rule is None:
        raise NoRuleForRoute(
            f"pack {pack.ref} has no signing rule for {route} {contract_type}",
            pack=str(pack.ref),
            route=route.value,
            contract_type=contract_type,
        )
    if rule.anchor == "fixed_date":
        assert rule.deadline is not None  # guaranteed by SigningRule's validator
        return RuleResult(rule.deadline, rule.code)
    assert rule.days is not None
    anchor = received_on if rule.anchor == "receipt" else offered_on
    return RuleResult(add_days(anchor, rule.days), rule.code)


def start_date(
    pack: ResolvedPack,
    route: Route,
    contract_type: ContractTypeSpec,
    *,
    application_date: date | None,
    offered_on: date,
) -> RuleResult:
    """The contract start (brief §6.3): term start, month of application or month after it.

    Month-of-application starts are clamped to the contract type's term start (an application
    in 2026 for a 2027 contract starts on 1 January 2027), then to the rule's ``not_before`` (a
    2027 round offer of a 2026-2027 contract starts in 2027). A no-retroactive rule moves a start
    before the offer date to the first of the month after the offer.
    """
    rule = _pick(pack.pack.start_rules, route, contract_type.code)
    if rule is None:
        raise NoRuleForRoute(
            f"pack {pack.ref} has no start-date rule for {route} {contract_type.code}",
            pack=str(pack.ref),
            route=route.value,
            contract_type=contract_type.code,
        )
    term_start = contract_type.term.start if contract_type.term is not None else None
    anchor = application_date if application_date is not None else offered_on
    if rule.kind == "term_start":
        start = term_start if term_start is not None else first_of_month(anchor)
    elif rule.kind == "first_of_application_month":
        start = first_of_month(anchor)
    else:
        start = first_of_next_month(anchor)
    if term_start is not None and start < term_start:
        start = term_start
    if rule.not_before is not None and start < rule.not_before:
        start = rule.not_before
    if rule.no_retroactive and start < offered_on:
        start = first_of_next_month(offered_on)
    return RuleResult(start, rule.code)
