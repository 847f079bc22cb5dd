"""How the timeline reads each event type's data: one small tolerant model per type and version.

Each reader names the fields the timeline shows, writes the event's one-line summary, and names
the decisive rule codes and the contract link the event states (see ``entry.py``).
``reader_of`` is exhaustive over ``EventType``, so a new type or version fails mypy here.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import date
from typing import assert_never
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from care_contracts.projections.events import EventType

__all__ = ["EventReader", "TimelineLink", "reader_of"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class TimelineLink(BaseModel):
    """What one event states: aggregate ``aggregate_id`` belongs to contract ``contract_id``."""

    model_config = ConfigDict(frozen=True)

    contract_id: UUID
    aggregate_id: UUID


# --- formatting ---------------------------------------------------------------------------------


def _day(value: date) -> str:
    """``1 Jan 2027``: unambiguous for a Dutch and an English reader, locale-independent."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def _words(code: str) -> str:
    """An enum value as words: ``NOTICE_DEADLINE_PASSED`` → ``notice deadline passed``."""
    return code.replace("_", " ").lower()


def _listing(items: tuple[str, ...]) -> str:
    return ", ".join(items) if items else "none named"


def _scope(care_type: str, sub_type: str | None) -> str:
    return care_type.upper() + (f" ({sub_type})" if sub_type else "")


def _metric(name: str, value: bool | int | float | str) -> str:
    if isinstance(value, bool):
        return f"{name}={'yes' if value else 'no'}"
    return f"{name}={value}"


def _late(late: bool, reason: str | None) -> str:
    if not late:
        return ""
    return "; decided after the deadline" + (f": {reason}" if reason else "")


# --- readers: one tolerant model per event type ---------------------------------------------------


class _Tolerant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Money(_Tolerant):
    cents: int

    def __str__(self) -> str:
        whole, cents = divmod(abs(self.cents), 100)
        return f"{'-' if self.cents < 0 else ''}EUR {whole:,}.{cents:02d}"


class EventReader(_Tolerant):
    """The fields of one event type the timeline shows; ``rules`` where the event has them."""

    rules: tuple[str, ...] = ()

    @abstractmethod
    def summary(self) -> str:
        """The event in one English sentence (no trailing full stop)."""

    def decisive_codes(self) -> tuple[str, ...]:
        """Codes in the data that decided the event, beside ``rules``."""
        return ()

    def link_to(self, aggregate_id: UUID) -> TimelineLink | None:
        """The contract link this event (of aggregate ``aggregate_id``) states, if any."""
        return None

    def concerns_ceiling(self) -> UUID | None:
        """The revenue ceiling a financial-frame event concerns."""
        return None


class _Provider(_Tolerant):
    name: str
    agb_enterprise: str


class _Submitted(EventReader):
    provider: _Provider
    insurer: str
    year: int
    care_type: str
    sub_type: str | None = None
    channel: str
    is_new_provider: bool = False

    def summary(self) -> str:
        new = ", a new provider" if self.is_new_provider else ""
        return (
            f"Application submitted: {self.provider.name} (AGB {self.provider.agb_enterprise})"
            f" for {_scope(self.care_type, self.sub_type)} {self.year} at {self.insurer},"
            f" via {_words(self.channel)}{new}"
        )


class _InformationRequested(EventReader):
    request: str

    def summary(self) -> str:
        return f"Information requested: {self.request}"


class _InformationSupplied(EventReader):
    note: str

    def summary(self) -> str:
        return f"Information supplied: {self.note}"


class _Completed(EventReader):
    complete_on: date

    def summary(self) -> str:
        return f"Application complete as of {_day(self.complete_on)}"


class _MetricsRecorded(EventReader):
    metrics: tuple[tuple[str, bool | int | float | str], ...]
    evidence: str
    reopened: tuple[str, ...] = ()

    def summary(self) -> str:
        values = ", ".join(_metric(name, value) for name, value in self.metrics)
        reopened = f"; reopened: {', '.join(self.reopened)}" if self.reopened else ""
        return f"Metrics recorded ({self.evidence}): {values or 'none'}{reopened}"


class _RequirementAssessed(EventReader):
    code: str
    outcome: str
    motivation: str | None = None

    def summary(self) -> str:
        motivation = f" ({self.motivation})" if self.motivation else ""
        return f"Requirement {self.code}: {_words(self.outcome)}{motivation}"

    def decisive_codes(self) -> tuple[str, ...]:
        return (self.code,)


class _ExclusionGroundAssessed(EventReader):
    code: str
    present: bool
    counts: bool
    fact_date: date | None = None

    def summary(self) -> str:
        if not self.present:
            return f"Exclusion ground {self.code}: absent"
        fact = f" (fact of {_day(self.fact_date)})" if self.fact_date else ""
        counts = "counts against the provider" if self.counts else "does not count"
        return f"Exclusion ground {self.code}: present{fact}, {counts}"

    def decisive_codes(self) -> tuple[str, ...]:
        return (self.code,)


class _InvestigationOpened(EventReader):
    reason: str

    def summary(self) -> str:
        return f"Integrity investigation opened: {self.reason}"


class _InvestigationConcluded(EventReader):
    advice: str
    ground_established: str | None = None

    def summary(self) -> str:
        ground = (
            f", ground {self.ground_established} established" if self.ground_established else ""
        )
        return f"Integrity investigation concluded: {_words(self.advice)} advice{ground}"

    def decisive_codes(self) -> tuple[str, ...]:
        return (self.ground_established,) if self.ground_established else ()


class _RejectionReason(_Tolerant):
    kind: str
    rule: str | None = None

    def __str__(self) -> str:
        return _words(self.kind) + (f" ({self.rule})" if self.rule else "")


class _Assessed(EventReader):
    outcome: str
    contract_type: str | None = None
    computed_start_date: date | None = None
    reasons: tuple[_RejectionReason, ...] = ()
    motivation: str | None = None

    def summary(self) -> str:
        motivation = f" ({self.motivation})" if self.motivation else ""
        if self.outcome == "approved":
            start = (
                f", starting {_day(self.computed_start_date)}" if self.computed_start_date else ""
            )
            return f"Application approved: contract type {self.contract_type}{start}{motivation}"
        reasons = "; ".join(str(reason) for reason in self.reasons)
        return f"Application {_words(self.outcome)}: {reasons or 'no reason named'}{motivation}"

    def decisive_codes(self) -> tuple[str, ...]:
        rules = tuple(reason.rule for reason in self.reasons if reason.rule)
        return (self.contract_type, *rules) if self.contract_type else rules


class _ApplicationWithdrawn(EventReader):
    reason: str | None = None

    def summary(self) -> str:
        return "Application withdrawn" + (f": {self.reason}" if self.reason else "")


class _Made(EventReader):
    """What an offer and a registered running contract both say about the contract."""

    provider_name: str
    agb_enterprise: str
    care_type: str
    sub_type: str | None = None
    contract_type: str
    starts_on: date
    ends_on: date

    def contract(self) -> str:
        return (
            f"{self.provider_name} (AGB {self.agb_enterprise}):"
            f" {_scope(self.care_type, self.sub_type)} contract {self.contract_type},"
            f" {_day(self.starts_on)} – {_day(self.ends_on)}"
        )

    def decisive_codes(self) -> tuple[str, ...]:
        return (self.contract_type,)


class _Offered(_Made):
    application_id: UUID | None = None
    excluded_services: tuple[str, ...] = ()
    signing_deadline: date
    signing_rule: str

    def summary(self) -> str:
        excluded = (
            f", excluding {', '.join(self.excluded_services)}" if self.excluded_services else ""
        )
        return f"Offer made to {self.contract()}{excluded}, sign by {_day(self.signing_deadline)}"

    def decisive_codes(self) -> tuple[str, ...]:
        return (self.contract_type, self.signing_rule)

    def link_to(self, aggregate_id: UUID) -> TimelineLink | None:
        if self.application_id is None:
            return None  # an offer without an application (e.g. the annual round)
        return TimelineLink(contract_id=aggregate_id, aggregate_id=self.application_id)


class _Registered(_Made):
    signed_on: date

    def summary(self) -> str:
        return f"Running contract registered for {self.contract()}, signed {_day(self.signed_on)}"


class _Signed(EventReader):
    signed_on: date
    vecozo_ref: str

    def summary(self) -> str:
        return f"Signed by the provider on {_day(self.signed_on)} (VECOZO ref {self.vecozo_ref})"


class _OfferDeclined(EventReader):
    reason: str | None = None

    def summary(self) -> str:
        return "Offer declined" + (f": {self.reason}" if self.reason else "")


class _OfferWithdrawn(EventReader):
    reason: str

    def summary(self) -> str:
        return f"Offer withdrawn: {self.reason}"


class _OfferExpired(EventReader):
    deadline: date
    rule: str

    def summary(self) -> str:
        return f"Offer expired unsigned: the signing deadline was {_day(self.deadline)}"

    def decisive_codes(self) -> tuple[str, ...]:
        return (self.rule,)


class _DeadlineExtended(EventReader):
    previous: date
    until: date
    motivation: str

    def summary(self) -> str:
        return (
            f"Signing deadline extended from {_day(self.previous)} to {_day(self.until)}:"
            f" {self.motivation}"
        )


class _Suspended(EventReader):
    grounds: tuple[str, ...]

    def summary(self) -> str:
        return f"Suspended on grounds: {_listing(self.grounds)}"

    def decisive_codes(self) -> tuple[str, ...]:
        return self.grounds


class _SuspensionLifted(EventReader):
    motivation: str

    def summary(self) -> str:
        return f"Suspension lifted: {self.motivation}"


class _Terminated(EventReader):
    grounds: tuple[str, ...]
    effective_on: date
    initiated_by: str

    def summary(self) -> str:
        return (
            f"Terminated at the {_words(self.initiated_by)}'s initiative from"
            f" {_day(self.effective_on)} on grounds: {_listing(self.grounds)}"
        )

    def decisive_codes(self) -> tuple[str, ...]:
        return self.grounds


class _TerminationGround(EventReader):
    code: str
    fact_date: date

    def summary(self) -> str:
        return f"Termination ground {self.code} established (fact of {_day(self.fact_date)})"

    def decisive_codes(self) -> tuple[str, ...]:
        return (self.code,)


class _Ended(EventReader):
    ends_on: date

    def summary(self) -> str:
        return f"Contract ended: its term ran until {_day(self.ends_on)}"


class _Amended(EventReader):
    description: str
    effective_on: date

    def summary(self) -> str:
        return f"Amended from {_day(self.effective_on)}: {self.description}"


class _TariffAnnex(EventReader):
    annex_ref: str
    year: int
    issued_on: date

    def summary(self) -> str:
        return f"Tariff annex {self.annex_ref} for {self.year} issued on {_day(self.issued_on)}"


class _CeilingAgreed(EventReader):
    contract_id: UUID
    year: int
    amount: _Money
    contract_type: str

    def summary(self) -> str:
        return (
            f"Revenue ceiling agreed: {self.amount} for {self.year}"
            f" (contract type {self.contract_type})"
        )

    def link_to(self, aggregate_id: UUID) -> TimelineLink | None:
        return TimelineLink(contract_id=self.contract_id, aggregate_id=aggregate_id)


class _OverrunReported(EventReader):
    expected_amount: _Money
    grounds_claimed: tuple[str, ...]
    notice_deadline: date
    amends: bool = False

    def summary(self) -> str:
        amends = "; amends the earlier notice" if self.amends else ""
        return (
            f"Overrun reported: {self.expected_amount} expected, grounds claimed:"
            f" {_listing(self.grounds_claimed)} (notice deadline {_day(self.notice_deadline)})"
            f"{amends}"
        )

    def decisive_codes(self) -> tuple[str, ...]:
        return self.grounds_claimed


class _NoticeRejected(EventReader):
    expected_amount: _Money
    grounds_claimed: tuple[str, ...] = ()
    notice_deadline: date
    reason: str

    def summary(self) -> str:
        return (
            f"Overrun notice of {self.expected_amount} rejected: {_words(self.reason)}"
            f" (notice deadline {_day(self.notice_deadline)})"
        )

    def decisive_codes(self) -> tuple[str, ...]:
        return self.grounds_claimed


class _GroundAssessed(EventReader):
    ground: str
    established: bool
    occurred_on: date | None = None

    def summary(self) -> str:
        occurred = f" (occurred {_day(self.occurred_on)})" if self.occurred_on else ""
        verdict = "established" if self.established else "not established"
        return f"Revision ground {self.ground}: {verdict}{occurred}"

    def decisive_codes(self) -> tuple[str, ...]:
        return (self.ground,)


class _Revised(EventReader):
    old: _Money
    new: _Money
    grounds: tuple[str, ...]
    late: bool = False
    late_reason: str | None = None

    def summary(self) -> str:
        return (
            f"Ceiling revised from {self.old} to {self.new} on grounds:"
            f" {_listing(self.grounds)}{_late(self.late, self.late_reason)}"
        )

    def decisive_codes(self) -> tuple[str, ...]:
        return self.grounds


class _RevisionRefused(EventReader):
    reasons: tuple[str, ...]
    motivation: str | None = None
    late: bool = False
    late_reason: str | None = None

    def summary(self) -> str:
        reasons = ", ".join(_words(reason) for reason in self.reasons) or "no reason named"
        motivation = f" ({self.motivation})" if self.motivation else ""
        return (
            f"Ceiling revision refused: {reasons}{motivation}{_late(self.late, self.late_reason)}"
        )


class _DecisionOverdue(EventReader):
    decision_deadline: date

    def summary(self) -> str:
        return f"Revision decision overdue: the deadline was {_day(self.decision_deadline)}"


class _FrameOpened(EventReader):
    insurer: str
    year: int
    care_type: str
    amount: _Money

    def summary(self) -> str:
        return (
            f"Financial frame opened: {self.amount} for {_scope(self.care_type, None)}"
            f" {self.year} at {self.insurer}"
        )


class _FrameAdjusted(EventReader):
    old: _Money
    new: _Money

    def summary(self) -> str:
        return f"Financial frame adjusted from {self.old} to {self.new}"


class _Reserved(EventReader):
    amount: _Money
    ceiling_id: UUID
    remaining_before: _Money

    def summary(self) -> str:
        return (
            f"{self.amount} reserved from the financial frame for revenue ceiling"
            f" {self.ceiling_id} ({self.remaining_before} was left)"
        )

    def concerns_ceiling(self) -> UUID | None:
        return self.ceiling_id


class _Released(EventReader):
    amount: _Money
    ceiling_id: UUID
    reason: str

    def summary(self) -> str:
        return (
            f"{self.amount} released to the financial frame from revenue ceiling"
            f" {self.ceiling_id}: {self.reason}"
        )

    def concerns_ceiling(self) -> UUID | None:
        return self.ceiling_id


def reader_of(kind: EventType) -> type[EventReader]:
    """The reader of an event type: exhaustive, so a new type or version fails mypy here."""
    match kind:
        case "application.submitted.v1":
            return _Submitted
        case "application.information_requested.v1":
            return _InformationRequested
        case "application.information_supplied.v1":
            return _InformationSupplied
        case "application.completed.v1":
            return _Completed
        case "application.metrics_recorded.v1":
            return _MetricsRecorded
        case "application.requirement_assessed.v1":
            return _RequirementAssessed
        case "application.exclusion_ground_assessed.v1":
            return _ExclusionGroundAssessed
        case "application.integrity_investigation_opened.v1":
            return _InvestigationOpened
        case "application.integrity_investigation_concluded.v1":
            return _InvestigationConcluded
        case "application.assessed.v1":
            return _Assessed
        case "application.withdrawn.v1":
            return _ApplicationWithdrawn
        case "contract.running_contract_registered.v1":
            return _Registered
        case "contract.offered.v1":
            return _Offered
        case "contract.signed.v1":
            return _Signed
        case "contract.offer_declined.v1":
            return _OfferDeclined
        case "contract.offer_withdrawn.v1":
            return _OfferWithdrawn
        case "contract.offer_expired.v1":
            return _OfferExpired
        case "contract.signing_deadline_extended.v1":
            return _DeadlineExtended
        case "contract.suspended.v1":
            return _Suspended
        case "contract.suspension_lifted.v1":
            return _SuspensionLifted
        case "contract.terminated.v1":
            return _Terminated
        case "contract.termination_ground_established.v1":
            return _TerminationGround
        case "contract.ended.v1":
            return _Ended
        case "contract.amended.v1":
            return _Amended
        case "contract.tariff_annex_issued.v1":
            return _TariffAnnex
        case "revenue_ceiling.agreed.v1":
            return _CeilingAgreed
        case "revenue_ceiling.overrun_reported.v1":
            return _OverrunReported
        case "revenue_ceiling.overrun_notice_rejected.v1":
            return _NoticeRejected
        case "revenue_ceiling.revision_ground_assessed.v1":
            return _GroundAssessed
        case "revenue_ceiling.revised.v1":
            return _Revised
        case "revenue_ceiling.revision_refused.v1":
            return _RevisionRefused
        case "revenue_ceiling.decision_overdue.v1":
            return _DecisionOverdue
        case "financial_frame.opened.v1":
            return _FrameOpened
        case "financial_frame.adjusted.v1":
            return _FrameAdjusted
        case "financial_frame.reserved.v1":
            return _Reserved
        case "financial_frame.released.v1":
            return _Released
        case _:
            assert_never(kind)
