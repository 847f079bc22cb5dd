"""Commands on RevenueCeiling and FinancialFrame and their handlers (brief §4.4, §10).

A ceiling decides by the pack version its contract was offered under. A revision decision goes
through ``revise_ceiling``, so an approval changes the ceiling and its financial frame in one
save: two approvals drawing on one frame both write the frame's next version, and optimistic
concurrency lets only one commit; the other is refused on retry by the smaller remainder.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.ceiling.outcomes import ApproveRevision, RefusalReason, RefuseRevision
from care_contracts.domain.ceiling.revision import revise_ceiling
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.model import PackRef
from care_contracts.domain.values import Money
from care_contracts.services.commands.base import Command
from care_contracts.services.commands.bus import REGISTRY, HandlerContext, HandlerResult
from care_contracts.services.commands.fields import AwareDatetime, RuleCode, Text
from care_contracts.services.commands.unit_of_work import UnitOfWork

__all__ = [
    "AgreeCeiling",
    "ApproveCeilingRevision",
    "CeilingAlreadyAgreed",
    "FinancialFrameAlreadyOpen",
    "FlagCeilingDecisionOverdue",
    "OpenFinancialFrame",
    "RecordCeilingGroundEvidence",
    "RefuseCeilingRevision",
    "ReportExpectedOverrun",
    "SetFinancialFrame",
]

Cents = Annotated[int, Field(strict=True, description="an amount in whole euro cents")]


class CeilingAlreadyAgreed(DomainError):
    code = "ceiling_already_agreed"
    title = "This contract already has a revenue ceiling for this year"


class FinancialFrameAlreadyOpen(DomainError):
    code = "financial_frame_already_open"
    title = "The financial frame for this insurer, year and care type is already open"


class _FrameCommand(Command):
    aggregate: ClassVar[str] = "FinancialFrame"


class _CeilingCommand(Command):
    aggregate: ClassVar[str] = "RevenueCeiling"


class _OnCeiling(_CeilingCommand):
    ceiling_id: UUID


def _pinned(ceiling: RevenueCeiling, ctx: HandlerContext) -> ResolvedPack:
    """The pack version the ceiling's contract was offered under: every decision reads it."""
    return ctx.policies.get(PackRef(id=ceiling.pack_id, version=ceiling.pack_version))


# --- the financial frame --------------------------------------------------------------------


class OpenFinancialFrame(_FrameCommand):
    insurer: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    year: int = Field(ge=2020, le=2100)
    care_type: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    amount_cents: Cents


@REGISTRY.handles(OpenFinancialFrame)
def open_financial_frame(
    uow: UnitOfWork, cmd: OpenFinancialFrame, ctx: HandlerContext
) -> HandlerResult:
    frame_id = FinancialFrame.create_id(cmd.insurer, cmd.year, cmd.care_type)
    if uow.find(FinancialFrame, frame_id) is not None:
        raise FinancialFrameAlreadyOpen(
            f"frame {cmd.insurer}/{cmd.year}/{cmd.care_type} is open", frame_id=str(frame_id)
        )
    frame = FinancialFrame.open(
        insurer=cmd.insurer,
        year=cmd.year,
        care_type=cmd.care_type,
        amount=Money(cmd.amount_cents),
        at=ctx.at,
    )
    uow.add(frame)
    return {"frame_id": str(frame.id)}


class SetFinancialFrame(_FrameCommand):
    frame_id: UUID
    amount_cents: Cents


@REGISTRY.handles(SetFinancialFrame)
def set_financial_frame(
    uow: UnitOfWork, cmd: SetFinancialFrame, ctx: HandlerContext
) -> HandlerResult:
    uow.get(FinancialFrame, cmd.frame_id).set_frame(amount=Money(cmd.amount_cents), at=ctx.at)
    return None


# --- agreeing and reporting -----------------------------------------------------------------


class AgreeCeiling(_CeilingCommand):
    contract_id: UUID
    year: int = Field(ge=2020, le=2100)
    amount_cents: Cents


@REGISTRY.handles(AgreeCeiling)
def agree_ceiling(uow: UnitOfWork, cmd: AgreeCeiling, ctx: HandlerContext) -> HandlerResult:
    contract = uow.get(Contract, cmd.contract_id, target=False)
    ceiling_id = RevenueCeiling.create_id(contract.id, cmd.year)
    if uow.find(RevenueCeiling, ceiling_id) is not None:
        raise CeilingAlreadyAgreed(
            f"contract {contract.id} has a {cmd.year} ceiling", ceiling_id=str(ceiling_id)
        )
    ceiling = RevenueCeiling.agree(
        contract=contract.facts(ctx.at),
        pack=ctx.policies.get(contract.pack),
        year=cmd.year,
        amount=Money(cmd.amount_cents),
        at=ctx.at,
    )
    uow.add(ceiling)
    return {"ceiling_id": str(ceiling.id)}


class ReportExpectedOverrun(_OnCeiling):
    """The provider's notice; a late one is recorded as rejected, and ``result`` says so."""

    received_at: AwareDatetime | None = None
    channel: Text
    expected_amount_cents: Cents
    grounds_claimed: tuple[RuleCode, ...] = ()


@REGISTRY.handles(ReportExpectedOverrun)
def report_expected_overrun(
    uow: UnitOfWork, cmd: ReportExpectedOverrun, ctx: HandlerContext
) -> HandlerResult:
    ceiling = uow.get(RevenueCeiling, cmd.ceiling_id)
    contract = uow.get(Contract, ceiling.contract_id, target=False)
    outcome = ceiling.report_expected_overrun(
        contract=contract.facts(ctx.at),
        pack=_pinned(ceiling, ctx),
        received_at=cmd.received_at or ctx.at,
        channel=cmd.channel,
        expected_amount=Money(cmd.expected_amount_cents),
        grounds_claimed=cmd.grounds_claimed,
        at=ctx.at,
    )
    return {"notice": outcome.value}


class RecordCeilingGroundEvidence(_OnCeiling):
    ground: RuleCode
    evidence: Text
    established: bool
    occurred_on: date | None = None


@REGISTRY.handles(RecordCeilingGroundEvidence)
def record_ceiling_ground_evidence(
    uow: UnitOfWork, cmd: RecordCeilingGroundEvidence, ctx: HandlerContext
) -> HandlerResult:
    ceiling = uow.get(RevenueCeiling, cmd.ceiling_id)
    ceiling.record_ground_evidence(
        pack=_pinned(ceiling, ctx),
        ground=cmd.ground,
        evidence=cmd.evidence,
        established=cmd.established,
        occurred_on=cmd.occurred_on,
        at=ctx.at,
    )
    return None


# --- the revision decision ------------------------------------------------------------------


class ApproveCeilingRevision(_OnCeiling):
    """Raise the ceiling within what the frame still has; the frame is saved with it."""

    frame_id: UUID
    new_amount_cents: Cents
    late_reason: str | None = Field(default=None, max_length=4000)


@REGISTRY.handles(ApproveCeilingRevision)
def approve_ceiling_revision(
    uow: UnitOfWork, cmd: ApproveCeilingRevision, ctx: HandlerContext
) -> HandlerResult:
    ceiling = uow.get(RevenueCeiling, cmd.ceiling_id)
    frame = uow.get(FinancialFrame, cmd.frame_id, target=False)
    decision = ApproveRevision(new_amount=Money(cmd.new_amount_cents), late_reason=cmd.late_reason)
    revise_ceiling(ceiling, frame, decision, pack=_pinned(ceiling, ctx), at=ctx.at)
    return {"frame_remaining_cents": frame.remaining.cents}


class RefuseCeilingRevision(_OnCeiling):
    frame_id: UUID
    reasons: tuple[RefusalReason, ...] = Field(min_length=1)
    motivation: str | None = Field(default=None, max_length=4000)
    late_reason: str | None = Field(default=None, max_length=4000)


@REGISTRY.handles(RefuseCeilingRevision)
def refuse_ceiling_revision(
    uow: UnitOfWork, cmd: RefuseCeilingRevision, ctx: HandlerContext
) -> HandlerResult:
    ceiling = uow.get(RevenueCeiling, cmd.ceiling_id)
    frame = uow.get(FinancialFrame, cmd.frame_id, target=False)
    decision = RefuseRevision(
        reasons=cmd.reasons, motivation=cmd.motivation, late_reason=cmd.late_reason
    )
    revise_ceiling(ceiling, frame, decision, pack=_pinned(ceiling, ctx), at=ctx.at)
    return None


class FlagCeilingDecisionOverdue(_OnCeiling):
    """The deadline timer's command: safe to repeat; when it flags nothing, nothing is stored."""


@REGISTRY.handles(FlagCeilingDecisionOverdue)
def flag_ceiling_decision_overdue(
    uow: UnitOfWork, cmd: FlagCeilingDecisionOverdue, ctx: HandlerContext
) -> HandlerResult:
    ceiling = uow.get(RevenueCeiling, cmd.ceiling_id)
    flagged = ceiling.flag_decision_overdue(pack=_pinned(ceiling, ctx), at=ctx.at)
    return {"flagged": flagged}
