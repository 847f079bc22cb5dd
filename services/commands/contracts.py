"""Commands on Contract and their handlers: load → one domain call (brief §4.3).

An offer is made from an approved application under the newest version of its pack in force on
the day of the offer; every later command decides by the pack version recorded on the offer.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.approval import ProviderDetails
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.contract.status import TerminationInitiator
from care_contracts.domain.dates import local_date
from care_contracts.domain.errors import DomainError
from care_contracts.domain.values import AgbCode, KvkNumber, Postcode
from care_contracts.services.commands.base import Command
from care_contracts.services.commands.bus import REGISTRY, HandlerContext, HandlerResult
from care_contracts.services.commands.fields import (
    AgbField,
    KvkField,
    PostcodeField,
    RuleCode,
    Text,
)
from care_contracts.services.commands.unit_of_work import UnitOfWork

__all__ = [
    "AmendContract",
    "ContractAlreadyOffered",
    "DeclineOffer",
    "EndContract",
    "EstablishTerminationGround",
    "ExpireOffer",
    "ExtendSigningDeadline",
    "IssueTariffAnnex",
    "LiftSuspension",
    "OfferContract",
    "RegisterRunningContract",
    "RunningContractAlreadyRegistered",
    "SignContract",
    "SuspendContract",
    "TerminateContract",
    "WithdrawOffer",
]

Ground = str  # a ground as the officer names it: a rule code or a short description
Grounds = tuple[Ground, ...]


class ContractAlreadyOffered(DomainError):
    code = "contract_already_offered"
    title = "This approved application already has its contract offer"


class RunningContractAlreadyRegistered(DomainError):
    code = "running_contract_already_registered"
    title = "This provider's running contract is already registered for this pack and sub-type"


class _ContractCommand(Command):
    aggregate: ClassVar[str] = "Contract"


class _OnContract(_ContractCommand):
    contract_id: UUID


# --- coming about ---------------------------------------------------------------------------


class OfferContract(_ContractCommand):
    """Offer the approved contract type; the offer pins the pack version in force today."""

    application_id: UUID
    received_on: date | None = None
    ends_on: date | None = None
    excluded_services: tuple[Text, ...] = ()
    exclusion_reason: str | None = Field(default=None, max_length=4000)


@REGISTRY.handles(OfferContract)
def offer_contract(uow: UnitOfWork, cmd: OfferContract, ctx: HandlerContext) -> HandlerResult:
    approval = uow.get(ProviderApplication, cmd.application_id, target=False).approval
    pack = ctx.policies.newest_in_force(approval.pack.id, local_date(ctx.at))
    contract_id = Contract.create_id(
        approval.application_id,
        approval.insurer,
        approval.provider.agb_enterprise,
        pack.ref.id,
        approval.sub_type,
    )
    if uow.find(Contract, contract_id) is not None:
        raise ContractAlreadyOffered(
            f"application {approval.application_id} already has contract {contract_id}",
            application_id=str(approval.application_id),
            contract_id=str(contract_id),
        )
    contract = Contract.offer(
        approval=approval,
        pack=pack,
        at=ctx.at,
        received_on=cmd.received_on,
        ends_on=cmd.ends_on,
        excluded_services=cmd.excluded_services,
        exclusion_reason=cmd.exclusion_reason,
    )
    uow.add(contract)
    return {
        "contract_id": str(contract.id),
        "pack": str(contract.pack),
        "signing_deadline": str(contract.signing_deadline),
    }


class RegisterRunningContract(_ContractCommand):
    """A running multi-year contract enters the system signed, without an offer (004 §2.6)."""

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
    contract_type: RuleCode
    starts_on: date
    ends_on: date | None = None
    signed_on: date


@REGISTRY.handles(RegisterRunningContract)
def register_running_contract(
    uow: UnitOfWork, cmd: RegisterRunningContract, ctx: HandlerContext
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
    pack = ctx.policies.in_force(cmd.insurer, cmd.year, cmd.care_type, local_date(ctx.at))
    contract_id = Contract.create_id(
        None, pack.pack.insurer, provider.agb_enterprise, pack.ref.id, cmd.sub_type
    )
    if uow.find(Contract, contract_id) is not None:
        raise RunningContractAlreadyRegistered(
            f"provider {provider.agb_enterprise} already has running contract {contract_id}",
            contract_id=str(contract_id),
        )
    contract = Contract.register_running_contract(
        provider=provider,
        contract_type=cmd.contract_type,
        sub_type=cmd.sub_type,
        pack=pack,
        starts_on=cmd.starts_on,
        ends_on=cmd.ends_on,
        signed_on=cmd.signed_on,
        at=ctx.at,
    )
    uow.add(contract)
    return {"contract_id": str(contract.id), "pack": str(contract.pack)}


# --- answering the offer --------------------------------------------------------------------


class SignContract(_OnContract):
    vecozo_ref: Text


@REGISTRY.handles(SignContract)
def sign_contract(uow: UnitOfWork, cmd: SignContract, ctx: HandlerContext) -> HandlerResult:
    uow.get(Contract, cmd.contract_id).sign(vecozo_ref=cmd.vecozo_ref, at=ctx.at)
    return None


class DeclineOffer(_OnContract):
    reason: str | None = Field(default=None, max_length=4000)


@REGISTRY.handles(DeclineOffer)
def decline_offer(uow: UnitOfWork, cmd: DeclineOffer, ctx: HandlerContext) -> HandlerResult:
    uow.get(Contract, cmd.contract_id).decline(reason=cmd.reason, at=ctx.at)
    return None


class ExpireOffer(_OnContract):
    """The deadline timer's command: an unsigned offer lapses after its signing deadline."""


@REGISTRY.handles(ExpireOffer)
def expire_offer(uow: UnitOfWork, cmd: ExpireOffer, ctx: HandlerContext) -> HandlerResult:
    uow.get(Contract, cmd.contract_id).expire(at=ctx.at)
    return None


class WithdrawOffer(_OnContract):
    reason: Text


@REGISTRY.handles(WithdrawOffer)
def withdraw_offer(uow: UnitOfWork, cmd: WithdrawOffer, ctx: HandlerContext) -> HandlerResult:
    uow.get(Contract, cmd.contract_id).withdraw_offer(reason=cmd.reason, at=ctx.at)
    return None


class ExtendSigningDeadline(_OnContract):
    """Only where configuration allows it (``Settings.signing_deadline_extensions_allowed``)."""

    until: date
    motivation: Text


@REGISTRY.handles(ExtendSigningDeadline)
def extend_signing_deadline(
    uow: UnitOfWork, cmd: ExtendSigningDeadline, ctx: HandlerContext
) -> HandlerResult:
    uow.get(Contract, cmd.contract_id).extend_signing_deadline(
        until=cmd.until,
        motivation=cmd.motivation,
        allowed=ctx.settings.signing_deadline_extensions_allowed,
        at=ctx.at,
    )
    return None


# --- the signed contract --------------------------------------------------------------------


class SuspendContract(_OnContract):
    grounds: Grounds = Field(min_length=1)


@REGISTRY.handles(SuspendContract)
def suspend_contract(uow: UnitOfWork, cmd: SuspendContract, ctx: HandlerContext) -> HandlerResult:
    uow.get(Contract, cmd.contract_id).suspend(grounds=cmd.grounds, at=ctx.at)
    return None


class LiftSuspension(_OnContract):
    motivation: Text


@REGISTRY.handles(LiftSuspension)
def lift_suspension(uow: UnitOfWork, cmd: LiftSuspension, ctx: HandlerContext) -> HandlerResult:
    uow.get(Contract, cmd.contract_id).lift_suspension(motivation=cmd.motivation, at=ctx.at)
    return None


class TerminateContract(_OnContract):
    grounds: Grounds = Field(min_length=1)
    effective_on: date
    initiated_by: TerminationInitiator


@REGISTRY.handles(TerminateContract)
def terminate_contract(
    uow: UnitOfWork, cmd: TerminateContract, ctx: HandlerContext
) -> HandlerResult:
    uow.get(Contract, cmd.contract_id).terminate(
        grounds=cmd.grounds,
        effective_on=cmd.effective_on,
        initiated_by=cmd.initiated_by,
        at=ctx.at,
    )
    return None


class EstablishTerminationGround(_OnContract):
    code: RuleCode
    fact_date: date
    evidence: Text


@REGISTRY.handles(EstablishTerminationGround)
def establish_termination_ground(
    uow: UnitOfWork, cmd: EstablishTerminationGround, ctx: HandlerContext
) -> HandlerResult:
    contract = uow.get(Contract, cmd.contract_id)
    contract.establish_termination_ground(
        pack=ctx.policies.get(contract.pack),
        code=cmd.code,
        fact_date=cmd.fact_date,
        evidence=cmd.evidence,
        at=ctx.at,
    )
    return None


class EndContract(_OnContract):
    """The term timer's command: the contract ends after the last day of its term."""


@REGISTRY.handles(EndContract)
def end_contract(uow: UnitOfWork, cmd: EndContract, ctx: HandlerContext) -> HandlerResult:
    uow.get(Contract, cmd.contract_id).end(at=ctx.at)
    return None


class AmendContract(_OnContract):
    description: Text
    effective_on: date


@REGISTRY.handles(AmendContract)
def amend_contract(uow: UnitOfWork, cmd: AmendContract, ctx: HandlerContext) -> HandlerResult:
    uow.get(Contract, cmd.contract_id).amend(
        description=cmd.description, effective_on=cmd.effective_on, at=ctx.at
    )
    return None


class IssueTariffAnnex(_OnContract):
    annex_ref: Text
    year: int = Field(ge=2020, le=2100)


@REGISTRY.handles(IssueTariffAnnex)
def issue_tariff_annex(
    uow: UnitOfWork, cmd: IssueTariffAnnex, ctx: HandlerContext
) -> HandlerResult:
    uow.get(Contract, cmd.contract_id).issue_tariff_annex(
        annex_ref=cmd.annex_ref, year=cmd.year, at=ctx.at
    )
    return None
