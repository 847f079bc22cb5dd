"""A full lifecycle through the real bus, for tests that read every stored event afterwards.

Two care types under one insurer: a GZSP maatwerk contract signed, its ceiling agreed, a frame
opened, an overrun reported on time, its ground established and the revision approved (a ceiling
and a frame in one command); and an MSZ contract offered and declined by the provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from care_contracts.domain.values import Money
from care_contracts.services.commands.ceilings import (
    AgreeCeiling,
    ApproveCeilingRevision,
    OpenFinancialFrame,
    RecordCeilingGroundEvidence,
    ReportExpectedOverrun,
)
from care_contracts.services.commands.contracts import DeclineOffer
from care_contracts.services.store.application import ContractingStore
from tests.integration.lifecycle_steps import (
    GZSP,
    MSZ_MAATWERK,
    MSZ_ZBC_METRICS,
    ZZ,
    Steps,
    approved_application,
    local,
    offered_contract,
    provider_actor,
    signed_gzsp_contract,
)

GZSP_AGB = "06111111"
MSZ_AGB = "06222222"


@dataclass(frozen=True)
class Lifecycle:
    gzsp_contract: UUID
    ceiling: UUID
    frame: UUID
    msz_contract: UUID


def run_lifecycle(steps: Steps) -> Lifecycle:
    contract_id = signed_gzsp_contract(steps, GZSP_AGB)
    msz_application = approved_application(
        steps, agb=MSZ_AGB, care_type="msz", contract_type=MSZ_MAATWERK, metrics=MSZ_ZBC_METRICS
    )
    msz_contract = offered_contract(steps, msz_application)
    steps.run(DeclineOffer(contract_id=msz_contract, reason="no capacity"), provider_actor(MSZ_AGB))
    steps.at(local(2026, 11, 2))
    ceiling_id = steps.run(
        AgreeCeiling(contract_id=contract_id, year=2027, amount_cents=Money.euros(1_000_000).cents)
    ).aggregate_id
    frame_id = steps.run(
        OpenFinancialFrame(
            insurer=ZZ, year=2027, care_type="gzsp", amount_cents=Money.euros(100_000).cents
        )
    ).aggregate_id
    policy = steps.catalog.get(GZSP).pack.ceiling
    assert policy is not None
    growth = next(g.code for g in policy.grounds if not g.occurred_after_signing)
    steps.at(local(2027, 9, 15))
    steps.run(
        ReportExpectedOverrun(
            ceiling_id=ceiling_id,
            channel="zorginkoop@zorgenzekerheid.nl",
            expected_amount_cents=Money.euros(1_050_000).cents,
            grounds_claimed=(growth,),
        ),
        provider_actor(GZSP_AGB),
    )
    steps.at(local(2027, 10, 6))
    steps.run(
        RecordCeilingGroundEvidence(
            ceiling_id=ceiling_id, ground=growth, evidence="Vektis +6 %", established=True
        )
    )
    steps.at(local(2027, 10, 10))
    steps.run(
        ApproveCeilingRevision(
            ceiling_id=ceiling_id,
            frame_id=frame_id,
            new_amount_cents=Money.euros(1_040_000).cents,
        )
    )
    return Lifecycle(contract_id, ceiling_id, frame_id, msz_contract)


def stored_events(store: ContractingStore) -> list[tuple[int, StoredEvent, dict[str, Any]]]:
    """Every stored event in log order: (position, stored event, stored body)."""
    notifications = store.recorder.select_notifications(start=1, limit=10_000)
    return [(n.id, n, store.contracting_mapper.read_body(n)) for n in notifications]
