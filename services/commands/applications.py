"""Commands on ProviderApplication and their handlers: load → one domain call."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.approval import ProviderDetails
from care_contracts.domain.application.states import (
    Channel,
    IntegrityAdvice,
    Origin,
    Outcome,
    ReasonKind,
    RejectionReason,
)
from care_contracts.domain.dates import local_date
from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.model import Route
from care_contracts.domain.values import AgbCode, KvkNumber, Postcode
from care_contracts.services.commands.base import Command
from care_contracts.services.commands.bus import REGISTRY, HandlerContext, HandlerResult
from care_contracts.services.commands.fields import (
    AgbField,
    AwareDatetime,
    KvkField,
    PostcodeField,
    RuleCode,
    Text,
)
from care_contracts.services.commands.unit_of_work import UnitOfWork

__all__ = [
    "ApplicationAlreadySubmitted",
    "ApproveApplication",
    "ConcludeIntegrityInvestigation",
    "MarkApplicationComplete",
    "MetricValue",
    "OpenIntegrityInvestigation",
    "RecordApplicationMetrics",
    "RecordExclusionFinding",
    "RecordRequirementOutcome",
    "RejectApplication",
    "Rejection",
    "RequestApplicationInformation",
    "SubmitApplication",
    "SupplyApplicationInformation",
    "WithdrawApplication",
]

# A metric or fact as JSON gives it: true/false, a choice ("hkz") or a number (read as Decimal,
# never float). ``str`` before ``Decimal`` keeps a quoted "1.2" a string, as the client sent it.
MetricValue = bool | str | Decimal


class ApplicationAlreadySubmitted(DomainError):
    code = "application_already_submitted"
    title = "This provider already has an application for this pack and sub-type"


class _ApplicationCommand(Command):
    aggregate: ClassVar[str] = "ProviderApplication"


class SubmitApplication(_ApplicationCommand):
    """A provider applies (or the insurer opens a renewal): the "applied" event."""

    agb_enterprise: AgbField
    agb_establishments: tuple[AgbField, ...] = ()
    kvk: KvkField
    name: Text
    city: Text
    postcode: PostcodeField
    role: str | None = None
    insurer: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    year: int = Field(ge=2020, le=2100)
    care_type: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    sub_type: str | None = None
    route: Route = Route.APPLICATION
    origin: Origin = Origin.PROVIDER
    channel: Channel = Channel.WEB_FORM
    is_new_provider: bool
    received_at: AwareDatetime | None = None


@REGISTRY.handles(SubmitApplication)
def submit_application(
    uow: UnitOfWork, cmd: SubmitApplication, ctx: HandlerContext
) -> HandlerResult:
    provider = ProviderDetails(
        agb_enterprise=AgbCode(cmd.agb_enterprise),
        kvk=KvkNumber(cmd.kvk),
        name=cmd.name,
        city=cmd.city,
        postcode=Postcode(cmd.postcode),
        agb_establishments=tuple(AgbCode(a) for a in cmd.agb_establishments),
        role=cmd.role,
    )
    received_at = cmd.received_at or ctx.at
    pack = ctx.policies.in_force(cmd.insurer, cmd.year, cmd.care_type, local_date(received_at))
    application_id = ProviderApplication.create_id(provider, pack.ref.id, cmd.sub_type)
    if uow.find(ProviderApplication, application_id) is not None:
        raise ApplicationAlreadySubmitted(
            f"provider {provider.agb_enterprise} already applied under {pack.ref.id}"
            f" for sub-type {cmd.sub_type or '-'}",
            application_id=str(application_id),
        )
    application = ProviderApplication.submit(
        pack=pack,
        provider=provider,
        insurer=cmd.insurer,
        year=cmd.year,
        care_type=cmd.care_type,
        sub_type=cmd.sub_type,
        route=cmd.route,
        origin=cmd.origin,
        channel=cmd.channel,
        is_new_provider=cmd.is_new_provider,
        at=ctx.at,
        received_at=received_at,
    )
    uow.add(application)
    return {"application_id": str(application.id), "pack": str(pack.ref)}


class RequestApplicationInformation(_ApplicationCommand):
    application_id: UUID
    request: Text


@REGISTRY.handles(RequestApplicationInformation)
def request_information(
    uow: UnitOfWork, cmd: RequestApplicationInformation, ctx: HandlerContext
) -> HandlerResult:
    uow.get(ProviderApplication, cmd.application_id).request_information(
        request=cmd.request, at=ctx.at
    )
    return None


class SupplyApplicationInformation(_ApplicationCommand):
    application_id: UUID
    note: Text


@REGISTRY.handles(SupplyApplicationInformation)
def supply_information(
    uow: UnitOfWork, cmd: SupplyApplicationInformation, ctx: HandlerContext
) -> HandlerResult:
    uow.get(ProviderApplication, cmd.application_id).supply_information(note=cmd.note, at=ctx.at)
    return None


class MarkApplicationComplete(_ApplicationCommand):
    application_id: UUID


@REGISTRY.handles(MarkApplicationComplete)
def mark_complete(
    uow: UnitOfWork, cmd: MarkApplicationComplete, ctx: HandlerContext
) -> HandlerResult:
    uow.get(ProviderApplication, cmd.application_id).mark_complete(at=ctx.at)
    return None


# --- assessment -----------------------------------------------------------------------------


def _pinned(application: ProviderApplication, ctx: HandlerContext) -> ResolvedPack:
    """The pack the application was received under: every assessment decides by it."""
    return ctx.policies.get(application.pack_ref)


class RecordApplicationMetrics(_ApplicationCommand):
    application_id: UUID
    metrics: dict[str, MetricValue] = Field(min_length=1)
    evidence: Text


@REGISTRY.handles(RecordApplicationMetrics)
def record_metrics(
    uow: UnitOfWork, cmd: RecordApplicationMetrics, ctx: HandlerContext
) -> HandlerResult:
    application = uow.get(ProviderApplication, cmd.application_id)
    application.record_metrics(
        pack=_pinned(application, ctx), metrics=cmd.metrics, evidence=cmd.evidence, at=ctx.at
    )
    return None


class RecordRequirementOutcome(_ApplicationCommand):
    """HARD items: give facts (or none) and the outcome is evaluated; SOFT items: an outcome."""

    application_id: UUID
    code: RuleCode
    evidence: Text
    outcome: Outcome | None = None
    facts: dict[str, MetricValue] = Field(default_factory=dict)
    motivation: str | None = Field(default=None, max_length=4000)


@REGISTRY.handles(RecordRequirementOutcome)
def record_requirement_outcome(
    uow: UnitOfWork, cmd: RecordRequirementOutcome, ctx: HandlerContext
) -> HandlerResult:
    application = uow.get(ProviderApplication, cmd.application_id)
    application.record_requirement_outcome(
        pack=_pinned(application, ctx),
        code=cmd.code,
        evidence=cmd.evidence,
        outcome=cmd.outcome,
        facts=cmd.facts,
        motivation=cmd.motivation,
        at=ctx.at,
    )
    return {"outcome": application.requirement_outcomes[cmd.code].outcome.value}


class RecordExclusionFinding(_ApplicationCommand):
    application_id: UUID
    code: RuleCode
    present: bool
    subject: Text
    evidence: Text
    fact_date: date | None = None


@REGISTRY.handles(RecordExclusionFinding)
def record_exclusion_finding(
    uow: UnitOfWork, cmd: RecordExclusionFinding, ctx: HandlerContext
) -> HandlerResult:
    application = uow.get(ProviderApplication, cmd.application_id)
    application.record_exclusion_finding(
        pack=_pinned(application, ctx),
        code=cmd.code,
        present=cmd.present,
        subject=cmd.subject,
        evidence=cmd.evidence,
        fact_date=cmd.fact_date,
        at=ctx.at,
    )
    return {"counts": application.exclusion_findings[cmd.code].counts}


class OpenIntegrityInvestigation(_ApplicationCommand):
    application_id: UUID
    reason: Text


@REGISTRY.handles(OpenIntegrityInvestigation)
def open_integrity_investigation(
    uow: UnitOfWork, cmd: OpenIntegrityInvestigation, ctx: HandlerContext
) -> HandlerResult:
    application = uow.get(ProviderApplication, cmd.application_id)
    application.open_integrity_investigation(reason=cmd.reason, at=ctx.at)
    return None


class ConcludeIntegrityInvestigation(_ApplicationCommand):
    application_id: UUID
    advice: IntegrityAdvice
    motivation: Text


@REGISTRY.handles(ConcludeIntegrityInvestigation)
def conclude_integrity_investigation(
    uow: UnitOfWork, cmd: ConcludeIntegrityInvestigation, ctx: HandlerContext
) -> HandlerResult:
    application = uow.get(ProviderApplication, cmd.application_id)
    application.conclude_integrity_investigation(
        pack=_pinned(application, ctx), advice=cmd.advice, motivation=cmd.motivation, at=ctx.at
    )
    return None


# --- decision -------------------------------------------------------------------------------


class ApproveApplication(_ApplicationCommand):
    application_id: UUID
    contract_type: RuleCode
    motivation: str | None = Field(default=None, max_length=4000)


@REGISTRY.handles(ApproveApplication)
def approve_application(
    uow: UnitOfWork, cmd: ApproveApplication, ctx: HandlerContext
) -> HandlerResult:
    application = uow.get(ProviderApplication, cmd.application_id)
    application.approve(
        pack=_pinned(application, ctx),
        contract_type=cmd.contract_type,
        motivation=cmd.motivation,
        at=ctx.at,
    )
    return {"provisional_start": str(application.provisional_start)}


class Rejection(BaseModel):
    """One reason for a rejection; requirement and exclusion reasons name their rule code."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ReasonKind
    rule: RuleCode | None = None


class RejectApplication(_ApplicationCommand):
    application_id: UUID
    reasons: tuple[Rejection, ...] = Field(min_length=1)
    motivation: Text


@REGISTRY.handles(RejectApplication)
def reject_application(
    uow: UnitOfWork, cmd: RejectApplication, ctx: HandlerContext
) -> HandlerResult:
    application = uow.get(ProviderApplication, cmd.application_id)
    application.reject(
        pack=_pinned(application, ctx),
        reasons=tuple(RejectionReason(kind=r.kind, rule=r.rule) for r in cmd.reasons),
        motivation=cmd.motivation,
        at=ctx.at,
    )
    return None


class WithdrawApplication(_ApplicationCommand):
    application_id: UUID
    reason: str | None = Field(default=None, max_length=4000)


@REGISTRY.handles(WithdrawApplication)
def withdraw_application(
    uow: UnitOfWork, cmd: WithdrawApplication, ctx: HandlerContext
) -> HandlerResult:
    uow.get(ProviderApplication, cmd.application_id).withdraw(reason=cmd.reason, at=ctx.at)
    return None
