"""The command bus refuses what the caller may not do, for every entry point, recording nothing."""

from __future__ import annotations

from datetime import date

import pytest

from care_contracts.domain.contract.status import TerminationInitiator
from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.access import ActionNotAllowed, NotYours
from care_contracts.services.commands.base import Command
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.ceilings import AgreeCeiling, ReportExpectedOverrun
from care_contracts.services.commands.contracts import (
    SignContract,
    SuspendContract,
    TerminateContract,
)
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.metadata import Actor, Role
from tests.integration.lifecycle_steps import (
    GZSP,
    GZSP_MAATWERK,
    GZSP_MAATWERK_METRICS,
    OFFICER,
    Steps,
    approved_application,
    local,
    offered_contract,
    provider_actor,
    signed_gzsp_contract,
    submission,
)

OTHER_PROVIDER = provider_actor("06999999")
OTHER_INSURER = Actor(role=Role.OFFICER, subject="officer-9", insurer="eucare")
AUDITOR = Actor(role=Role.AUDITOR, subject="auditor-1")


@pytest.fixture
def steps(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> Steps:
    return Steps(bus, store, clock, catalog)


def _refused(steps: Steps, command: Command, actor: Actor, error: type[DomainError]) -> None:
    before = steps.position()
    with pytest.raises(error):
        steps.run(command, actor)
    assert steps.position() == before


def test_a_provider_may_not_sign_another_providers_offer(steps: Steps) -> None:
    application = approved_application(
        steps,
        agb="06111111",
        care_type="gzsp",
        contract_type=GZSP_MAATWERK,
        metrics=GZSP_MAATWERK_METRICS,
    )
    offer = offered_contract(steps, application)

    _refused(steps, SignContract(contract_id=offer, vecozo_ref="VZ-x"), OTHER_PROVIDER, NotYours)
    _refused(steps, SignContract(contract_id=offer, vecozo_ref="VZ-x"), OFFICER, ActionNotAllowed)
    steps.run(SignContract(contract_id=offer, vecozo_ref="VZ-1"), provider_actor("06111111"))


def test_a_provider_may_not_submit_in_another_agb_code(steps: Steps) -> None:
    _refused(steps, submission("06111111", "gzsp"), OTHER_PROVIDER, NotYours)


def test_an_officer_acts_only_for_its_insurer_and_an_auditor_never(steps: Steps) -> None:
    contract = signed_gzsp_contract(steps, "06111111")
    steps.at(local(2027, 2, 1))
    suspend = SuspendContract(contract_id=contract, grounds=("inquiry",))

    _refused(steps, suspend, OTHER_INSURER, NotYours)
    _refused(steps, suspend, AUDITOR, ActionNotAllowed)
    steps.run(suspend, OFFICER)


def test_a_provider_reports_an_overrun_only_on_its_own_ceiling(
    steps: Steps, catalog: PolicyCatalog
) -> None:
    policy = catalog.get(GZSP).pack.ceiling
    assert policy is not None
    ground = next(g.code for g in policy.grounds if not g.occurred_after_signing)
    contract = signed_gzsp_contract(steps, "06111111")
    steps.at(local(2026, 11, 2))
    ceiling = steps.run(AgreeCeiling(contract_id=contract, year=2027, amount_cents=100_000_00))
    steps.at(local(2027, 9, 15))

    def report() -> Command:
        return ReportExpectedOverrun(
            ceiling_id=ceiling.aggregate_id,
            channel="mail",
            expected_amount_cents=120_000_00,
            grounds_claimed=(ground,),
        )

    _refused(steps, report(), OTHER_PROVIDER, NotYours)
    steps.run(report(), provider_actor("06111111"))


def test_a_provider_terminates_only_as_the_provider(steps: Steps) -> None:
    contract = signed_gzsp_contract(steps, "06111111")
    steps.at(local(2027, 2, 1))
    owner = provider_actor("06111111")

    def terminate(by: TerminationInitiator) -> TerminateContract:
        return TerminateContract(
            contract_id=contract,
            grounds=("moving abroad",),
            effective_on=date(2027, 4, 1),
            initiated_by=by,
        )

    _refused(steps, terminate(TerminationInitiator.INSURER), owner, ActionNotAllowed)
    steps.run(terminate(TerminationInitiator.PROVIDER), owner)
