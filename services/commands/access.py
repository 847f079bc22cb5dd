"""Who may issue which command, on whose aggregates (enforced by the command bus for every caller).

Roles (brief §2; issue "Who may do what"):

- **provider**: acts only on its own AGB enterprise code's applications, contracts and ceilings:
  submits and withdraws applications, supplies information, signs or declines an offer, reports
  an expected ceiling overrun, ends a contract from its side.
- **officer**: acts for one insurer (``Actor.insurer``), on that insurer's aggregates only: the
  whole assessment, offers, suspensions, terminations, ceilings, frames.
- **system**: the deadline watcher; only the date-driven commands.
- **auditor**, **public**, **operator**: change nothing.

``authorize_command`` runs before the handler; ``authorize_aggregates`` after it, on every
aggregate the command read or changed (an offer reads its application), before anything is saved.
A refusal is a ``DomainError`` with its own code (HTTP 403) and records nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from uuid import UUID

from eventsourcing.domain import Aggregate

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.errors import DomainError
from care_contracts.services.commands.base import Command
from care_contracts.services.store.metadata import Actor, Role

__all__ = [
    "PERMISSIONS",
    "ActionNotAllowed",
    "NotYours",
    "authorize_aggregates",
    "authorize_command",
    "roles_for",
]

_P, _O, _S = Role.PROVIDER, Role.OFFICER, Role.SYSTEM

# By command type name (the command modules register with the bus, which checks access here);
# a test keeps this table equal to the registered commands.
PERMISSIONS: Mapping[str, frozenset[Role]] = {
    # applications
    "SubmitApplication": frozenset({_P, _O}),
    "RequestApplicationInformation": frozenset({_O}),
    "SupplyApplicationInformation": frozenset({_P, _O}),
    "MarkApplicationComplete": frozenset({_O}),
    "RecordApplicationMetrics": frozenset({_O}),
    "RecordRequirementOutcome": frozenset({_O}),
    "RecordExclusionFinding": frozenset({_O}),
    "OpenIntegrityInvestigation": frozenset({_O}),
    "ConcludeIntegrityInvestigation": frozenset({_O}),
    "ApproveApplication": frozenset({_O}),
    "RejectApplication": frozenset({_O}),
    "WithdrawApplication": frozenset({_P, _O}),
    # contracts
    "OfferContract": frozenset({_O}),
    "RegisterRunningContract": frozenset({_O}),
    "SignContract": frozenset({_P}),
    "DeclineOffer": frozenset({_P}),
    "ExpireOffer": frozenset({_O, _S}),
    "WithdrawOffer": frozenset({_O}),
    "ExtendSigningDeadline": frozenset({_O}),
    "SuspendContract": frozenset({_O}),
    "LiftSuspension": frozenset({_O}),
    "TerminateContract": frozenset({_P, _O}),
    "EstablishTerminationGround": frozenset({_O}),
    "EndContract": frozenset({_O, _S}),
    "AmendContract": frozenset({_O}),
    "IssueTariffAnnex": frozenset({_O}),
    # revenue ceilings and financial frames
    "OpenFinancialFrame": frozenset({_O}),
    "SetFinancialFrame": frozenset({_O}),
    "AgreeCeiling": frozenset({_O}),
    "ReportExpectedOverrun": frozenset({_P, _O}),
    "RecordCeilingGroundEvidence": frozenset({_O}),
    "ApproveCeilingRevision": frozenset({_O}),
    "RefuseCeilingRevision": frozenset({_O}),
    "FlagCeilingDecisionOverdue": frozenset({_O, _S}),
}


# A command field that names the party acting must name the caller's own side where the caller
# is that party (an officer also records a provider's written notice, so it may name either).
_SPEAKS_FOR: Mapping[str, tuple[str, Mapping[Role, str]]] = {
    "TerminateContract": ("initiated_by", {_P: "provider"}),
}


class ActionNotAllowed(DomainError):
    """The actor's role may not issue this command at all."""

    code = "action_not_allowed"
    title = "Your role may not do this"


class NotYours(DomainError):
    """The actor may issue the command, but not on this provider's or insurer's aggregate."""

    code = "not_yours"
    title = "This belongs to another provider or insurer"


def roles_for(command_type: type[Command]) -> frozenset[Role]:
    """The roles that may issue ``command_type`` (none for a command not listed)."""
    return PERMISSIONS.get(command_type.__name__, frozenset())


def authorize_command(actor: Actor, command: Command) -> None:
    """Refuse a role that may not issue the command, or a new aggregate for someone else."""
    if actor.role not in roles_for(type(command)):
        raise ActionNotAllowed(
            f"a {actor.role} may not {type(command).__name__}",
            role=str(actor.role),
            command=type(command).__name__,
        )
    if actor.role is Role.OFFICER and actor.insurer is None:
        raise NotYours("an officer acts for one insurer; this one names none")
    # A command that creates an aggregate names whose it is: refuse before any rule runs.
    named_insurer = getattr(command, "insurer", None)
    if actor.role is Role.OFFICER and named_insurer is not None and named_insurer != actor.insurer:
        raise NotYours(f"{named_insurer} is not {actor.insurer}", insurer=named_insurer)
    named_agb = getattr(command, "agb_enterprise", None)
    if actor.role is Role.PROVIDER and named_agb is not None and named_agb != actor.subject:
        raise NotYours(f"AGB {named_agb} is not {actor.subject}", agb=named_agb)
    speaks_for = _SPEAKS_FOR.get(type(command).__name__)
    if speaks_for is not None:
        field, by_role = speaks_for
        given, own = str(getattr(command, field)), by_role.get(actor.role)
        if own is not None and given != own:
            raise ActionNotAllowed(
                f"a {actor.role} acts as {own}, not as {given} ({field})",
                field=field,
                given=given,
            )


def authorize_aggregates(
    actor: Actor,
    aggregates: Iterable[Aggregate],
    contract_of: Callable[[UUID], Contract | None],
) -> None:
    """Refuse when any aggregate the command touched is not the actor's to act on."""
    if actor.role is Role.SYSTEM:
        return
    for aggregate in aggregates:
        _check(actor, aggregate, contract_of)


def _check(
    actor: Actor, aggregate: Aggregate, contract_of: Callable[[UUID], Contract | None]
) -> None:
    if actor.role is Role.OFFICER:
        insurer = getattr(aggregate, "insurer", None)
        if insurer != actor.insurer:
            raise NotYours(
                f"{type(aggregate).__name__} {aggregate.id} is {insurer}'s, not {actor.insurer}'s",
                id=str(aggregate.id),
            )
        return
    if actor.role is Role.PROVIDER:
        owner = _provider_of(aggregate, contract_of)
        if owner != actor.subject:
            raise NotYours(
                f"{type(aggregate).__name__} {aggregate.id} is not AGB {actor.subject}'s",
                id=str(aggregate.id),
            )
        return
    raise ActionNotAllowed(f"a {actor.role} changes nothing", role=str(actor.role))


def _provider_of(
    aggregate: Aggregate, contract_of: Callable[[UUID], Contract | None]
) -> str | None:
    if isinstance(aggregate, ProviderApplication):
        return str(aggregate.provider.agb_enterprise.value)
    if isinstance(aggregate, Contract):
        return str(aggregate.agb_enterprise.value)
    if isinstance(aggregate, RevenueCeiling):
        contract = contract_of(aggregate.contract_id)
        return None if contract is None else str(contract.agb_enterprise.value)
    if isinstance(aggregate, FinancialFrame):
        return None  # the insurer's budget: never a provider's
    return None
