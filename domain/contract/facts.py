"""What a contract tells the revenue ceiling: read by ``RevenueCeiling`` commands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from care_contracts.domain.immutable import immutable_value
from care_contracts.domain.policy.model import PackRef

__all__ = ["ContractFacts"]


@immutable_value
@dataclass(frozen=True, slots=True)
class ContractFacts:
    contract_id: UUID
    pack: PackRef  # the pack version recorded on the offer
    insurer: str
    year: int
    care_type: str
    contract_type: str
    carries_ceiling: bool
    signed_at: datetime | None  # None until signed
    live: bool  # signed, active or suspended; False once declined, expired, terminated or ended
    start: date | None
    end: date | None
