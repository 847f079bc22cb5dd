"""Hand-built published events for projection tests that need no store and no stream."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from care_contracts.projections.events import EventType, ProjectedEvent


def event(
    type_: EventType,
    aggregate_id: UUID,
    version: int,
    data: dict[str, Any] | None = None,
    *,
    sequence: int = 0,
    position: int | None = None,
    at: datetime | None = None,
) -> ProjectedEvent:
    return ProjectedEvent(
        sequence=sequence,
        id=str(uuid4()),
        type=type_,
        aggregate_id=aggregate_id,
        version=version,
        time=at or datetime(2026, 10, 5, 8, tzinfo=UTC),
        position=position if position is not None else sequence or version,
        correlation_id="corr",
        actor_role="officer",
        actor_id="officer-7",
        policy_pack="zz-2027-gzsp@1.0",
        data=data or {},
    )


def offered(
    contract_id: UUID,
    *,
    name: str = "Praktijk de Linde",
    agb: str = "06111111",
    city: str = "Utrecht",
    postcode: str = "3511 AB",
    care_type: str = "gzsp",
    insurer: str = "zorg-en-zekerheid",
    excluded: tuple[str, ...] = (),
    listed: bool = True,
    publish_from: date | None = date(2026, 11, 12),
    sequence: int = 0,
) -> ProjectedEvent:
    return event(
        "contract.offered.v1",
        contract_id,
        1,
        {
            "application_id": str(uuid4()),
            "provider_name": name,
            "agb_enterprise": agb,
            "agb_establishments": [],
            "kvk": "12345678",
            "city": city,
            "postcode": postcode,
            "insurer": insurer,
            "year": 2027,
            "care_type": care_type,
            "sub_type": None,
            "contract_type": "ZZ-GZSP-CT-MAATWERK",
            "carries_ceiling": True,
            "route": "application",
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
            "excluded_services": list(excluded),
            "exclusion_reason": "not offered" if excluded else None,
            "signing_deadline": "2026-11-16",
            "signing_rule": "ZZ-SIGN",
            "offered_on": "2026-10-05",
            "received_on": "2026-10-01",
            "pack_id": "zz-2027-gzsp",
            "pack_version": "1.0",
            "rules": [],
            "listed": listed,
            "publish_from": None if publish_from is None else publish_from.isoformat(),
        },
        sequence=sequence,
    )


def signed(contract_id: UUID, on: date, version: int = 2, sequence: int = 0) -> ProjectedEvent:
    return event(
        "contract.signed.v1",
        contract_id,
        version,
        {
            "signed_at": f"{on.isoformat()}T09:00:00Z",
            "signed_on": on.isoformat(),
            "vecozo_ref": "VZ-1",
        },
        sequence=sequence,
    )
