"""What an approved assessment hands to the offer: the facts a Contract is born from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from care_contracts.domain.immutable import immutable_value
from care_contracts.domain.policy.model import PackRef, Route
from care_contracts.domain.values import AgbCode, KvkNumber, Postcode

__all__ = ["ApprovedAssessment", "ProviderDetails"]


@immutable_value
@dataclass(frozen=True, slots=True)
class ProviderDetails:
    """Who applies: enterprise-level AGB code first (Z&Z contracts at enterprise level)."""

    agb_enterprise: AgbCode
    kvk: KvkNumber
    name: str
    city: str
    postcode: Postcode
    agb_establishments: tuple[AgbCode, ...] = ()
    role: str | None = None  # e.g. "regio_organisatie" for the multidisciplinary pack


@immutable_value
@dataclass(frozen=True, slots=True)
class ApprovedAssessment:
    """An approved ProviderApplication, read by ``Contract.offer`` (brief §4.1 invariant)."""

    application_id: UUID
    provider: ProviderDetails
    insurer: str
    year: int
    care_type: str
    sub_type: str | None
    route: Route
    pack: PackRef
    contract_type: str
    application_date: date  # the month of application: the complete-received date (brief §14.1)
    decided_at: datetime
    provisional_start: date
