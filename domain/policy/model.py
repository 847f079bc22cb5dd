"""Policy packs as data: the validated, frozen shape of one insurer × year × care-type policy.

A pack file (read by an adapter outside ``domain/``) holds what the policy documents decide:
requirements, exclusion grounds, contract types with their eligibility thresholds, signing and
start-date rules, the ceiling-revision window, care-finder publication and contact channels. Every
rule carries a stable ``code`` and its ``sources`` (citations like ``"001 §5.3"``); every default
the documents are silent on is marked ``assumption = true`` with a note (brief §0, §14).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AllOf",
    "AnyOf",
    "Applicability",
    "ApplicationPolicy",
    "CareFinderPolicy",
    "CeilingGround",
    "CeilingPolicy",
    "Comparison",
    "ContractTypeSpec",
    "ExclusionGround",
    "Membership",
    "MetricKind",
    "MetricSpec",
    "Milestone",
    "PackRef",
    "PeriodRule",
    "PolicyPack",
    "Predicate",
    "ProviderScope",
    "Requirement",
    "Route",
    "RuleKind",
    "SigningRule",
    "StartRule",
    "SubType",
    "Term",
]

RuleCode = Annotated[str, Field(pattern=r"^[A-Z0-9]+(-[A-Z0-9*]+)+$")]
Citation = Annotated[str, Field(min_length=3)]
Metric = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class _Cited(_Frozen):
    sources: tuple[Citation, ...] = ()
    text_nl: str | None = None  # the Dutch wording, where a rule quotes its document
    assumption: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _assumption_explained(self) -> Self:
        if self.assumption and not self.note:
            raise ValueError("an assumption must say what it assumes (note)")
        return self


class Route(StrEnum):
    """How a contract comes about (brief §4.1)."""

    ANNUAL_ROUND = "annual_round"
    NEGOTIATED = "negotiated"
    APPLICATION = "application"
    SELECTIVE_INVITATION = "selective_invitation"
    RUNNING_CONTRACT = "running_contract"


class RuleKind(StrEnum):
    HARD = "hard"  # the domain evaluates it and refuses the command when it fails
    SOFT = "soft"  # an officer records an outcome with evidence and motivation


class ProviderScope(StrEnum):
    ALL = "all"
    NEW = "new"  # no contract with this insurer for this care type and sub-type last year
    EXISTING = "existing"


class MetricKind(StrEnum):
    """The type of an officer-confirmed metric a predicate reads (brief §8.2)."""

    MONEY_CENTS = "money_cents"  # integer euro cents
    DECIMAL = "decimal"
    PERCENT = "percent"  # 25 % is 25, not 0.25
    COUNT = "count"
    BOOL = "bool"
    CHOICE = "choice"


class MetricSpec(_Cited):
    """One metric of the pack's vocabulary: predicates may read only declared metrics."""

    name: Metric
    kind: MetricKind
    title: str
    choices: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _choices_for_choice(self) -> Self:
        if self.kind is MetricKind.CHOICE and not self.choices:
            raise ValueError(f"choice metric {self.name} needs choices")
        if self.kind is not MetricKind.CHOICE and self.choices:
            raise ValueError(f"metric {self.name} is not a choice and has no choices")
        return self


class PackRef(_Frozen):
    id: Annotated[str, Field(pattern=r"^[a-z]+-[0-9]{4}-[a-z-]+$")]
    version: Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]+$")]

    def __str__(self) -> str:
        return f"{self.id}@{self.version}"


# --- predicates over officer-confirmed metrics ------------------------------------------------


class Comparison(_Frozen):
    """``metric op value``; numbers are Decimals (never floats), money metrics are in cents."""

    metric: Metric
    op: Literal["==", "!=", ">=", ">", "<=", "<"]
    value: Decimal | bool | str


class Membership(_Frozen):
    metric: Metric
    one_of: tuple[str, ...] = Field(min_length=1)


class AllOf(_Frozen):
    all: tuple[Predicate, ...] = Field(min_length=1)


class AnyOf(_Frozen):
    any: tuple[Predicate, ...] = Field(min_length=1)


Predicate = Comparison | Membership | AllOf | AnyOf


class Applicability(_Frozen):
    """Which applications a rule applies to; an empty tuple means all."""

    sub_types: tuple[str, ...] = ()
    providers: ProviderScope = ProviderScope.ALL
    routes: tuple[Route, ...] = ()
    contract_types: tuple[str, ...] = ()
    applicant_roles: tuple[str, ...] = ()


class Requirement(_Cited):
    """A minimum requirement (minimumeis). HARD ones carry a predicate over evidence metrics."""

    code: RuleCode
    title: str
    text_nl: str | None = None
    kind: RuleKind
    gating: bool = True
    phase: Literal["application", "contract", "selection"] = "application"
    continuous: bool = False  # must keep holding during the contract ("niet (meer)")
    applies: Applicability = Applicability()
    predicate: Predicate | None = None
    may_be_not_applicable: bool = (
        False  # applicability is an officer's judgement ("waar van toepassing")
    )
    evidence: str = "declaration"
    replaces: RuleCode | None = None  # a child pack entry overriding a parent entry
    replaces_reason: str | None = None

    @model_validator(mode="after")
    def _kind_matches_predicate(self) -> Self:
        if self.kind is RuleKind.HARD and self.predicate is None:
            raise ValueError(f"hard requirement {self.code} needs a predicate")
        if self.kind is RuleKind.SOFT and self.predicate is not None:
            raise ValueError(
                f"soft requirement {self.code} is an officer's judgement: no predicate"
            )
        if self.replaces is not None and not self.replaces_reason:
            raise ValueError(f"{self.code} replaces {self.replaces} and must say why")
        return self


class ExclusionGround(_Cited):
    """An exclusion ground (uitsluitingsgrond); during a contract also a termination ground."""

    code: RuleCode
    title: str
    text_nl: str | None = None
    lookback_years: Annotated[int, Field(ge=1)] | None = None
    lookback_anchor: str | None = None  # what the fact date is, for the look-back
    determination: Literal["officer", "system", "external_register", "disclosure"] = "officer"
    termination_ground: bool = True
    applies: Applicability = Applicability()
    replaces: RuleCode | None = None
    replaces_reason: str | None = None

    @model_validator(mode="after")
    def _lookback_has_anchor(self) -> Self:
        if self.lookback_years is not None and not self.lookback_anchor:
            raise ValueError(f"{self.code} has a look-back and must say what its fact date is")
        if self.replaces is not None and not self.replaces_reason:
            raise ValueError(f"{self.code} replaces {self.replaces} and must say why")
        return self


class SubType(_Frozen):
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    title: str


class Term(_Frozen):
    """The contract term; ``end`` None means the offer must state an explicit end date."""

    start: date
    end: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end is not None and self.end < self.start:
            raise ValueError("term ends before it starts")
        return self


class ContractTypeSpec(_Cited):
    code: RuleCode
    title: str
    negotiated: bool
    term: Term | None = None  # None: no term of its own (an addendum, a running contract's annex)
    carries_ceiling: bool = False
    routes: tuple[Route, ...] = ()
    applies: Applicability = Applicability()
    eligibility: Predicate | None = None  # HARD threshold, evaluated on the application's metrics
    addendum_to: RuleCode | None = None
    offerable: bool = True  # False: out of scope or discontinued; never offered by this service


class SigningRule(_Cited):
    """When an offer must be signed: a fixed date, or days after receipt or after the offer."""

    code: RuleCode
    routes: tuple[Route, ...] = Field(min_length=1)
    contract_types: tuple[str, ...] = ()
    anchor: Literal["fixed_date", "receipt", "offer"]
    deadline: date | None = None
    days: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _anchor_fields(self) -> Self:
        if self.anchor == "fixed_date" and (self.deadline is None or self.days is not None):
            raise ValueError(f"{self.code}: a fixed-date rule has a deadline and no days")
        if self.anchor != "fixed_date" and (self.days is None or self.deadline is not None):
            raise ValueError(f"{self.code}: a relative rule has days and no deadline")
        return self


class StartRule(_Cited):
    """How the contract start date follows from route, application month and offer (brief §6.3)."""

    code: RuleCode
    routes: tuple[Route, ...] = Field(min_length=1)
    contract_types: tuple[str, ...] = ()
    kind: Literal["term_start", "first_of_application_month", "first_of_month_after_application"]
    no_retroactive: bool = False  # the start may not precede the offer date
    not_before: date | None = None  # the earliest start this rule gives (a round for 2027)
    override_allowed: bool = False  # "unless agreed otherwise": officer override with motivation


class ApplicationPolicy(_Cited):
    channel: Literal["web_form", "email"]
    address: str
    subject_line: str | None = None
    received_from: date  # first receipt date this pack accepts applications for
    received_until: date
    applicant_roles: tuple[str, ...] = ()  # empty: any role
    one_open_application: bool = True
    window_rule: RuleCode

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.received_until < self.received_from:
            raise ValueError("application window ends before it starts")
        return self


class CeilingGround(_Cited):
    code: RuleCode
    title: str
    occurred_after_signing: bool = False  # HARD part: the circumstance arose after signing


class CeilingPolicy(_Cited):
    notice_rule: RuleCode
    notice_deadline: date
    notice_channel: str
    decision_rule: RuleCode
    decision_deadline: date
    grounds: tuple[CeilingGround, ...] = Field(min_length=1)
    increase_only: bool = True
    frame_rule: RuleCode
    ground_rule: RuleCode


class CareFinderPolicy(_Cited):
    listed: bool
    publish_from: date | None = None

    @model_validator(mode="after")
    def _date_when_listed(self) -> Self:
        if self.listed and self.publish_from is None:
            raise ValueError("a listed care type needs a publication date")
        return self


class Milestone(_Cited):
    on: date
    what: str
    kind: Literal["hard", "soft"] = "soft"
    party: Literal["insurer", "provider"] = "insurer"


class PeriodRule(_Cited):
    """A period of N days after an anchor day that is not a signing deadline (a quote answer)."""

    code: RuleCode
    title: str
    anchor: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]  # what the anchor day is
    days: Annotated[int, Field(ge=1)]
    kind: Literal["hard", "soft"] = "soft"
    party: Literal["insurer", "provider"] = "insurer"


class PolicyPack(_Frozen):
    """One version of one insurer × year × care-type policy. ``parent`` is the general policy."""

    id: Annotated[str, Field(pattern=r"^[a-z]+-[0-9]{4}-[a-z-]+$")]
    version: Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]+$")]
    valid_from: date
    title: str
    insurer: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    insurer_name: str
    labels: tuple[str, ...] = ()
    policy_types: tuple[str, ...] = ()
    year: Annotated[int, Field(ge=2020, le=2100)]
    care_type: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    general: bool = False  # a general policy: inherited by care-type packs, never applied for
    parent: PackRef | None = None
    parent_unavailable: str | None = None  # a parent the seeds do not hold, declared missing
    document: str
    sources: tuple[Citation, ...] = ()
    sub_types: tuple[SubType, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    exclusion_grounds: tuple[ExclusionGround, ...] = ()
    contract_types: tuple[ContractTypeSpec, ...] = ()
    signing_rules: tuple[SigningRule, ...] = ()
    start_rules: tuple[StartRule, ...] = ()
    application: ApplicationPolicy | None = None
    ceiling: CeilingPolicy | None = None
    care_finder: CareFinderPolicy | None = None
    contacts: dict[str, str] = Field(default_factory=dict)
    milestones: tuple[Milestone, ...] = ()
    periods: tuple[PeriodRule, ...] = ()
    metrics: tuple[MetricSpec, ...] = ()
    assumptions: tuple[str, ...] = ()

    @property
    def ref(self) -> PackRef:
        return PackRef(id=self.id, version=self.version)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        codes: list[str] = [r.code for r in self.requirements]
        codes += [g.code for g in self.exclusion_grounds]
        codes += [c.code for c in self.contract_types]
        codes += [s.code for s in self.signing_rules] + [s.code for s in self.start_rules]
        codes += [p.code for p in self.periods]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule codes: {', '.join(duplicates)}")
        names = [m.name for m in self.metrics]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"duplicate metrics: {', '.join(twice)}")
        sub_types = {s.code for s in self.sub_types}
        contract_types = {c.code for c in self.contract_types}
        for code, applies in self._applicabilities():
            unknown = set(applies.sub_types) - sub_types
            if unknown:
                raise ValueError(f"{code} names unknown sub-types: {', '.join(sorted(unknown))}")
        rules: tuple[SigningRule | StartRule, ...] = (*self.signing_rules, *self.start_rules)
        for rule in rules:
            unknown = set(rule.contract_types) - contract_types
            if unknown:
                raise ValueError(f"{rule.code} names unknown contract types: {sorted(unknown)}")
        if not self.general and self.application is None:
            raise ValueError("a care-type pack needs an application policy")
        if self.general and (self.contract_types or self.signing_rules or self.start_rules):
            raise ValueError("a general pack holds requirements and grounds, not contract rules")
        return self

    def _applicabilities(self) -> list[tuple[str, Applicability]]:
        pairs: list[tuple[str, Applicability]] = [(r.code, r.applies) for r in self.requirements]
        pairs += [(g.code, g.applies) for g in self.exclusion_grounds]
        pairs += [(c.code, c.applies) for c in self.contract_types]
        return pairs
