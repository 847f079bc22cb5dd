"""After a restart (a new store over the same database) every aggregate reloads as it was."""

from __future__ import annotations

from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.outcomes import CeilingStatus
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.values import Money
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.base import CommandContext
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.ceilings import (
    AgreeCeiling,
    ApproveCeilingRevision,
    OpenFinancialFrame,
    RecordCeilingGroundEvidence,
    ReportExpectedOverrun,
)
from care_contracts.services.commands.contracts import SignContract
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.store.application import ContractingStore
from tests.integration.conftest import StoreFactory
from tests.integration.lifecycle_steps import (
    GZSP,
    GZSP_MAATWERK,
    GZSP_MAATWERK_METRICS,
    ZZ,
    Steps,
    approved_application,
    local,
    offered_contract,
    provider_actor,
    signed_gzsp_contract,
)

AGB = "06123456"


@pytest.fixture
def steps(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> Steps:
    return Steps(bus, store, clock, catalog)


def _revised_ceiling(steps: Steps) -> list[UUID]:
    """Application, signed contract, revised ceiling and frame: the ids of everything written."""
    policy = steps.catalog.get(GZSP).pack.ceiling
    assert policy is not None
    growth = next(g.code for g in policy.grounds if not g.occurred_after_signing)
    contract_id = signed_gzsp_contract(steps, AGB)
    steps.at(local(2026, 11, 2))
    ceiling_id = steps.run(
        AgreeCeiling(contract_id=contract_id, year=2027, amount_cents=Money.euros(900_000).cents)
    ).aggregate_id
    frame_id = steps.run(
        OpenFinancialFrame(
            insurer=ZZ, year=2027, care_type="gzsp", amount_cents=Money.euros(80_000).cents
        )
    ).aggregate_id
    steps.at(local(2027, 9, 15))
    steps.run(
        ReportExpectedOverrun(
            ceiling_id=ceiling_id,
            channel="mail",
            expected_amount_cents=Money.euros(980_000).cents,
            grounds_claimed=(growth,),
        )
    )
    steps.run(
        RecordCeilingGroundEvidence(
            ceiling_id=ceiling_id, ground=growth, evidence="Vektis growth", established=True
        )
    )
    steps.at(local(2027, 10, 10))
    steps.run(
        ApproveCeilingRevision(
            ceiling_id=ceiling_id,
            frame_id=frame_id,
            new_amount_cents=Money.euros(950_000).cents,
        )
    )
    return list(dict.fromkeys(e.aggregate_id for o in steps.outcomes for e in o.events))


def test_a_new_store_over_the_same_database_reloads_every_aggregate_equal(
    steps: Steps, open_store: StoreFactory
) -> None:
    written = _revised_ceiling(steps)
    originals: dict[UUID, Aggregate] = {i: steps.store.repository.get(i) for i in written}

    restarted = open_store()

    assert len(written) == 4  # application, contract, ceiling, frame
    for aggregate_id, original in originals.items():
        reloaded: Aggregate = restarted.repository.get(aggregate_id)
        assert type(reloaded) is type(original)
        assert vars(reloaded) == vars(original), type(original).__name__
    [ceiling] = [a for a in originals.values() if isinstance(a, RevenueCeiling)]
    assert ceiling.status is CeilingStatus.REVISED
    assert ceiling.amount == Money.euros(950_000)
    assert restarted.recorder.max_notification_id() == steps.position()


def test_after_a_restart_a_repeated_command_id_still_returns_the_first_outcome(
    steps: Steps,
    open_store: StoreFactory,
    clock: SimulatedClock,
    catalog: PolicyCatalog,
) -> None:
    application_id = approved_application(
        steps,
        agb=AGB,
        care_type="gzsp",
        contract_type=GZSP_MAATWERK,
        metrics=GZSP_MAATWERK_METRICS,
    )
    contract_id = offered_contract(steps, application_id)
    sign = SignContract(contract_id=contract_id, vecozo_ref="VZ-1")
    first = steps.run(sign, provider_actor(AGB), command_id="sign-once")

    restarted = CommandBus(open_store(), clock, catalog, all_handlers())
    again = restarted.execute(
        sign, CommandContext(actor=provider_actor(AGB), command_id="sign-once")
    )

    assert again.replayed is True
    assert again.model_dump(exclude={"replayed"}) == first.model_dump(exclude={"replayed"})
    assert steps.store.recorder.max_notification_id() == first.events[-1].position
