"""What an application remembers of its assessment: immutable records kept in aggregate state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from care_contracts.domain.application.states import Outcome
from care_contracts.domain.immutable import immutable_value
from care_contracts.domain.policy.model import RuleKind
from care_contracts.domain.policy.rules import Fact

__all__ = ["ExclusionFinding", "FactPairs", "RequirementRecord", "as_pairs"]

FactPairs = tuple[tuple[str, Fact], ...]


def as_pairs(facts: Mapping[str, Fact]) -> FactPairs:
    """Facts as sorted (name, value) pairs: an immutable, comparable event field."""
    return tuple(sorted(facts.items()))


@immutable_value
@dataclass(frozen=True, slots=True)
class RequirementRecord:
    """The latest recorded outcome of one requirement."""

    code: str
    kind: RuleKind
    outcome: Outcome
    evidence: str
    facts: FactPairs
    motivation: str | None
    assessed_on: date


@immutable_value
@dataclass(frozen=True, slots=True)
class ExclusionFinding:
    """The latest finding on one exclusion ground; ``counts`` is the look-back's verdict."""

    code: str
    present: bool
    counts: bool
    fact_date: date | None
    subject: str
    evidence: str
    assessed_on: date
