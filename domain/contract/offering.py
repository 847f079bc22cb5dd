"""The terms of an offer, computed from the pack version in force (brief §4.3, §6.2-6.3, §9, §11).

Pure: ``decide_offer`` checks every rule of an offer and returns the fields the ``Offered`` event
records, so ``Contract.offer`` only picks the route's inputs and records.
``decide_running_contract`` does the same for a running contract, which is registered as signed
and never offered (004 §2.6).
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict
from uuid import UUID

from care_contracts.domain.application.approval import ProviderDetails
from care_contracts.domain.contract.errors import (
    ContractMotivationRequired,
    ContractTypeNotEligible,
    EndDateFixedByContractType,
    ExplicitEndDateRequired,
    OfferBornExpired,
    ReceiptBeforeOffer,
    RunningContractMissesPackYear,
    SignedAfterRegistration,
    TermEndsBeforeStart,
)
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.errors import NoPolicyInForce, PolicyPackMismatch
from care_contracts.domain.policy.model import ContractTypeSpec, PackRef, Route
from care_contracts.domain.policy.rules import signing_deadline, start_date
from care_contracts.domain.values import AgbCode, KvkNumber, Postcode

__all__ = [
    "OfferedFields",
    "RunningContractFields",
    "decide_offer",
    "decide_running_contract",
    "require_same_pack",
]


class OfferedFields(TypedDict):
    """The ``Offered`` event's fields: who, what, the term and deadline, and which rules decided."""

    application_id: UUID | None
    provider_name: str
    agb_enterprise: AgbCode
    agb_establishments: tuple[AgbCode, ...]
    kvk: KvkNumber
    city: str
    postcode: Postcode
    insurer: str
    year: int
    care_type: str
    sub_type: str | None
    route: Route
    contract_type: str
    carries_ceiling: bool
    starts_on: date
    ends_on: date
    signing_deadline: date
    signing_rule: str
    offered_on: date
    received_on: date
    excluded_services: tuple[str, ...]
    exclusion_reason: str | None
    pack_id: str
    pack_version: str
    rules: tuple[str, ...]
    listed: bool
    publish_from: date | None


def decide_offer(
    pack: ResolvedPack,
    *,
    application_id: UUID | None,
    provider: ProviderDetails,
    route: Route,
    contract_type: str,
    sub_type: str | None,
    application_date: date | None,
    offered_on: date,
    received_on: date | None,
    ends_on: date | None,
    excluded_services: tuple[str, ...] = (),
    exclusion_reason: str | None = None,
) -> OfferedFields:
    """Term, signing deadline and care-finder listing of an offer under ``pack`` (brief §4.3)."""
    _require_in_force(pack, offered_on)
    pack.require_sub_type(sub_type)
    spec = pack.contract_type(contract_type)
    _require_eligible(spec, route, sub_type)
    received = offered_on if received_on is None else received_on
    if received < offered_on:
        raise ReceiptBeforeOffer(
            f"received on {received.isoformat()}, before the offer on {offered_on.isoformat()}",
            offered_on=offered_on,
            received_on=received,
        )
    start = start_date(pack, route, spec, application_date=application_date, offered_on=offered_on)
    end = _term_end(spec, ends_on)
    if end < start.value:
        raise TermEndsBeforeStart(
            f"the term would run from {start.value.isoformat()} to {end.isoformat()}",
            starts_on=start.value,
            ends_on=end,
        )
    deadline = signing_deadline(pack, route, spec.code, offered_on=offered_on, received_on=received)
    if deadline.value < offered_on:
        raise OfferBornExpired(
            f"{deadline.rule} closed signing on {deadline.value.isoformat()}, "
            f"before the offer on {offered_on.isoformat()}",
            rule=deadline.rule,
            deadline=deadline.value,
            offered_on=offered_on,
        )
    excluded = tuple(dict.fromkeys(s.strip() for s in excluded_services if s.strip()))
    care_finder = pack.pack.care_finder
    return OfferedFields(
        application_id=application_id,
        provider_name=provider.name,
        agb_enterprise=provider.agb_enterprise,
        agb_establishments=provider.agb_establishments,
        kvk=provider.kvk,
        city=provider.city,
        postcode=provider.postcode,
        insurer=pack.pack.insurer,
        year=pack.pack.year,
        care_type=pack.pack.care_type,
        sub_type=sub_type,
        route=route,
        contract_type=spec.code,
        carries_ceiling=spec.carries_ceiling,
        starts_on=start.value,
        ends_on=end,
        signing_deadline=deadline.value,
        signing_rule=deadline.rule,
        offered_on=offered_on,
        received_on=received,
        excluded_services=excluded,
        exclusion_reason=_exclusion_reason(excluded, exclusion_reason),
        pack_id=pack.ref.id,
        pack_version=pack.ref.version,
        rules=(spec.code, start.rule, deadline.rule),
        listed=care_finder is not None and care_finder.listed,
        publish_from=care_finder.publish_from if care_finder is not None else None,
    )


class RunningContractFields(TypedDict):
    """The ``RunningContractRegistered`` event's fields: who, what, the running term, the
    original signature and which rules decided; no offer and no signing deadline."""

    provider_name: str
    agb_enterprise: AgbCode
    agb_establishments: tuple[AgbCode, ...]
    kvk: KvkNumber
    city: str
    postcode: Postcode
    insurer: str
    year: int
    care_type: str
    sub_type: str | None
    contract_type: str
    carries_ceiling: bool
    starts_on: date
    ends_on: date
    signed_on: date
    pack_id: str
    pack_version: str
    rules: tuple[str, ...]
    listed: bool
    publish_from: date | None


def decide_running_contract(
    pack: ResolvedPack,
    *,
    provider: ProviderDetails,
    contract_type: str,
    sub_type: str | None,
    starts_on: date,
    ends_on: date | None,
    signed_on: date,
    registered_on: date,
) -> RunningContractFields:
    """A multi-year contract running into the pack's year is not offered again (004 §2.6, §9)."""
    _require_in_force(pack, registered_on)
    pack.require_sub_type(sub_type)
    spec = pack.running_contract_type(contract_type)
    _require_eligible(spec, Route.RUNNING_CONTRACT, sub_type)
    if ends_on is None:
        raise ExplicitEndDateRequired(
            f"{spec.code} is a running contract; its registration must state the end date",
            contract_type=spec.code,
        )
    end = _term_end(spec, ends_on)
    if end < starts_on:
        raise TermEndsBeforeStart(
            f"the term would run from {starts_on.isoformat()} to {end.isoformat()}",
            starts_on=starts_on,
            ends_on=end,
        )
    year = pack.pack.year
    if not starts_on.year <= year <= end.year:
        raise RunningContractMissesPackYear(
            f"the term {starts_on.isoformat()} to {end.isoformat()} does not reach {year}",
            pack=str(pack.ref),
            year=year,
            starts_on=starts_on,
            ends_on=end,
        )
    if signed_on > registered_on:
        raise SignedAfterRegistration(
            f"signed on {signed_on.isoformat()}, after the registration on "
            f"{registered_on.isoformat()}",
            signed_on=signed_on,
            registered_on=registered_on,
        )
    care_finder = pack.pack.care_finder
    return RunningContractFields(
        provider_name=provider.name,
        agb_enterprise=provider.agb_enterprise,
        agb_establishments=provider.agb_establishments,
        kvk=provider.kvk,
        city=provider.city,
        postcode=provider.postcode,
        insurer=pack.pack.insurer,
        year=year,
        care_type=pack.pack.care_type,
        sub_type=sub_type,
        contract_type=spec.code,
        carries_ceiling=spec.carries_ceiling,
        starts_on=starts_on,
        ends_on=end,
        signed_on=signed_on,
        pack_id=pack.ref.id,
        pack_version=pack.ref.version,
        rules=(spec.code,),
        listed=care_finder is not None and care_finder.listed,
        publish_from=care_finder.publish_from if care_finder is not None else None,
    )


def _require_in_force(pack: ResolvedPack, on: date) -> None:
    if pack.pack.valid_from > on:
        raise NoPolicyInForce(
            f"pack {pack.ref} is valid from {pack.pack.valid_from.isoformat()}, "
            f"after {on.isoformat()}",
            pack=str(pack.ref),
            on=on,
        )


def _require_eligible(spec: ContractTypeSpec, route: Route, sub_type: str | None) -> None:
    if spec.routes and route not in spec.routes:
        raise ContractTypeNotEligible(
            f"{spec.code} is not offered on route {route.value}",
            contract_type=spec.code,
            route=route.value,
        )
    if spec.applies.sub_types and sub_type not in spec.applies.sub_types:
        raise ContractTypeNotEligible(
            f"{spec.code} is not offered for sub-type {sub_type!r}",
            contract_type=spec.code,
            sub_type=sub_type,
        )


def _term_end(spec: ContractTypeSpec, ends_on: date | None) -> date:
    """The type's own term end, or the offer's explicit one when the type has none (brief §9)."""
    fixed = spec.term.end if spec.term is not None else None
    if fixed is None:
        if ends_on is None:
            raise ExplicitEndDateRequired(
                f"{spec.code} has no term end; the offer must state one",
                contract_type=spec.code,
            )
        return ends_on
    if ends_on is not None and ends_on != fixed:
        raise EndDateFixedByContractType(
            f"{spec.code} ends on {fixed.isoformat()}, not {ends_on.isoformat()}",
            contract_type=spec.code,
            term_end=fixed,
            ends_on=ends_on,
        )
    return fixed


def _exclusion_reason(excluded: tuple[str, ...], reason: str | None) -> str | None:
    """Leaving services out is the insurer's reserved right, always with a reason (brief §12)."""
    if not excluded:
        return None
    text = (reason or "").strip()
    if not text:
        raise ContractMotivationRequired(
            "an offer that leaves services out says why",
            field="exclusion_reason",
            excluded_services=excluded,
        )
    return text


def require_same_pack(pack: ResolvedPack, approved_under: PackRef) -> None:
    """The offer uses the approval's pack id, in a version no older than the approval's."""
    older = _version_key(pack.ref.version) < _version_key(approved_under.version)
    if pack.ref.id != approved_under.id or older:
        raise PolicyPackMismatch(
            f"the application was approved under {approved_under}; the offer names {pack.ref}",
            approved_under=str(approved_under),
            offered_under=str(pack.ref),
        )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
