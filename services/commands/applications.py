"""Commands on ProviderApplication and their handlers: load → one domain call."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.approval import ProviderDetails
from care_contracts.domain.application.states import Channel, Origin
from care_contracts.domain.dates import local_date
from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.model import Route
from care_contracts.domain.values import AgbCode, KvkNumber, Postcode
from care_contracts.services.commands.base import Command
from care_contracts.services.commands.bus import REGISTRY, HandlerContext, HandlerResult
from care_contracts.services.commands.fields import (
    AgbField,
    AwareDatetime,
    KvkField,
    PostcodeField,
    Text,
)
from care_contracts.services.commands.unit_of_work import UnitOfWork

__all__ = [
    "ApplicationAlreadySubmitted",
    "MarkApplicationComplete",
    "RequestApplicationInformation",
    "SubmitApplication",
    "SupplyApplicationInformation",
]


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
