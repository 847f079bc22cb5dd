"""A contract's life through the real bus: the offer, its answers and the signed contract's events.

Runs on SQLite and PostgreSQL with the real packs. Every refusal appends nothing to the store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

import pytest

from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.contract.errors import SigningDeadlineExtensionNotAllowed
from care_contracts.domain.contract.status import ContractStatus, TerminationInitiator
from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.base import Command
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.contracts import (
    AmendContract,
    ContractAlreadyOffered,
    DeclineOffer,
    EndContract,
    EstablishTerminationGround,
    ExpireOffer,
    ExtendSigningDeadline,
    IssueTariffAnnex,
    LiftSuspension,
    OfferContract,
    RegisterRunningContract,
    RunningContractAlreadyRegistered,
    SignContract,
    SuspendContract,
    TerminateContract,
    WithdrawOffer,
)
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.metadata import Actor, Role
from tests.integration.lifecycle_steps import (
    MSZ_MAATWERK,
    MSZ_ZBC_METRICS,
    OFFICER,
    TIMER,
    Steps,
    approved_application,
    local,
    offered_contract,
    provider_actor,
    submission,
)

AGB = "06123456"
TAX_GROUND = "ZZ-EXCL-TAX"


@pytest.fixture
def steps(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> Steps:
    return Steps(bus, store, clock, catalog)


@pytest.fixture
def application_id(steps: Steps) -> UUID:
    """An approved MSZ ZBC application (maatwerk), decided on 5 October 2026."""
    return approved_application(
        steps, agb=AGB, care_type="msz", contract_type=MSZ_MAATWERK, metrics=MSZ_ZBC_METRICS
    )


@pytest.fixture
def offer(steps: Steps, application_id: UUID) -> UUID:
    """The offer made on 5 October 2026: signing closes six weeks later, on 16 November."""
    return offered_contract(steps, application_id)


@pytest.fixture
def signed(steps: Steps, offer: UUID) -> UUID:
    steps.run(SignContract(contract_id=offer, vecozo_ref="VZ-1"), provider_actor(AGB))
    return offer


def _contract(steps: Steps, contract_id: UUID) -> Contract:
    found: Contract = steps.store.repository.get(contract_id)
    return found


def test_a_second_offer_for_one_application_is_refused_and_appends_nothing(
    steps: Steps, application_id: UUID, offer: UUID
) -> None:
    before = steps.position()

    with pytest.raises(ContractAlreadyOffered) as refused:
        steps.run(OfferContract(application_id=application_id))

    assert refused.value.facts["contract_id"] == str(offer)
    assert steps.position() == before


def test_the_offer_pins_the_pack_in_force_and_the_deadline_of_the_application_route(
    steps: Steps, offer: UUID
) -> None:
    contract = _contract(steps, offer)

    assert contract.status is ContractStatus.OFFERED
    assert contract.signing_deadline == date(2026, 11, 16)
    assert steps.outcomes[-1].result == {
        "contract_id": str(offer),
        "pack": str(contract.pack),
        "signing_deadline": "2026-11-16",
    }


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (lambda c: DeclineOffer(contract_id=c, reason="no capacity"), ContractStatus.DECLINED),
        (
            lambda c: WithdrawOffer(contract_id=c, reason="integrity finding"),
            ContractStatus.WITHDRAWN,
        ),
    ],
    ids=["declined", "withdrawn"],
)
def test_an_open_offer_is_declined_or_withdrawn(
    steps: Steps, offer: UUID, answer: Callable[[UUID], Command], status: ContractStatus
) -> None:
    command = answer(offer)
    # The provider declines its offer; the insurer's officer withdraws it.
    steps.run(command, provider_actor(AGB) if isinstance(command, DeclineOffer) else OFFICER)

    assert _contract(steps, offer).status is status


def test_the_timer_expires_an_offer_only_after_its_deadline(steps: Steps, offer: UUID) -> None:
    steps.at(local(2026, 11, 16, 23))
    with pytest.raises(DomainError):
        steps.run(ExpireOffer(contract_id=offer), TIMER)

    steps.at(local(2026, 11, 17, 0))
    outcome = steps.run(ExpireOffer(contract_id=offer), TIMER)

    assert [e.type for e in outcome.events] == ["contracting.contract.offer_expired"]
    assert _contract(steps, offer).status is ContractStatus.EXPIRED


def test_extending_a_signing_deadline_is_refused_unless_configuration_allows_it(
    steps: Steps,
    offer: UUID,
    settings: Settings,
    store: ContractingStore,
    clock: SimulatedClock,
    catalog: PolicyCatalog,
) -> None:
    extend = ExtendSigningDeadline(contract_id=offer, until=date(2026, 11, 30), motivation="strike")
    before = steps.position()
    with pytest.raises(SigningDeadlineExtensionNotAllowed):
        steps.run(extend)
    assert steps.position() == before

    allowed = settings.model_copy(update={"signing_deadline_extensions_allowed": True})
    configured = CommandBus(store, clock, catalog, all_handlers(), settings=allowed)
    Steps(configured, store, clock, catalog).run(extend)

    assert _contract(steps, offer).signing_deadline == date(2026, 11, 30)
    steps.at(local(2026, 11, 25))
    steps.run(SignContract(contract_id=offer, vecozo_ref="VZ-late"), provider_actor(AGB))
    assert _contract(steps, offer).status is ContractStatus.SIGNED


def test_a_signed_contract_is_amended_annexed_suspended_lifted_and_ends_after_its_term(
    steps: Steps, signed: UUID
) -> None:
    steps.at(local(2027, 2, 1))
    steps.run(
        AmendContract(contract_id=signed, description="extra site", effective_on=date(2027, 3, 1))
    )
    steps.run(IssueTariffAnnex(contract_id=signed, annex_ref="TA-2027-2", year=2027))
    steps.run(SuspendContract(contract_id=signed, grounds=("integrity inquiry",)))
    assert _contract(steps, signed).status is ContractStatus.SUSPENDED
    steps.run(LiftSuspension(contract_id=signed, motivation="inquiry closed without findings"))
    steps.run(
        EstablishTerminationGround(
            contract_id=signed,
            code=TAX_GROUND,
            fact_date=date(2027, 1, 20),
            evidence="tax authority statement",
        )
    )
    steps.at(local(2028, 1, 1))
    ended = steps.run(EndContract(contract_id=signed), TIMER)

    contract = _contract(steps, signed)
    assert contract.status is ContractStatus.ENDED
    assert contract.tariff_annexes == ("TA-2027-2",)
    assert contract.termination_grounds == (TAX_GROUND,)
    assert [o.command for o in steps.outcomes[-6:]] == [
        "AmendContract",
        "IssueTariffAnnex",
        "SuspendContract",
        "LiftSuspension",
        "EstablishTerminationGround",
        "EndContract",
    ]
    assert ended.version == contract.version


def test_a_terminated_contract_is_no_longer_live_from_its_effective_date(
    steps: Steps, signed: UUID
) -> None:
    steps.at(local(2027, 5, 3))
    steps.run(
        TerminateContract(
            contract_id=signed,
            grounds=(TAX_GROUND,),
            effective_on=date(2027, 6, 1),
            initiated_by=TerminationInitiator.INSURER,
        )
    )

    contract = _contract(steps, signed)
    assert contract.status is ContractStatus.TERMINATED
    assert contract.is_live(date(2027, 5, 31)) is True
    assert contract.is_live(date(2027, 6, 1)) is False


def _running(**overrides: object) -> RegisterRunningContract:
    fields: dict[str, object] = {
        "agb_enterprise": "01054321",
        "kvk": "87654321",
        "name": "Apotheek Centrum",
        "city": "Utrecht",
        "postcode": "3511 AA",
        "insurer": "eucare",
        "year": 2027,
        "care_type": "pharmacy",
        "contract_type": "CQ-FARM-CT-RUNNING",
        "starts_on": date(2025, 1, 1),
        "ends_on": date(2028, 12, 31),
        "signed_on": date(2024, 11, 20),
    }
    return RegisterRunningContract.model_validate(fields | overrides)


def test_a_running_contract_is_registered_signed_once_and_gets_its_tariff_annex(
    steps: Steps,
) -> None:
    eucare = Actor(role=Role.OFFICER, subject="officer-3", insurer="eucare")
    registered = steps.run(_running(), eucare)
    steps.run(
        IssueTariffAnnex(contract_id=registered.aggregate_id, annex_ref="TA-27", year=2027), eucare
    )
    before = steps.position()

    with pytest.raises(RunningContractAlreadyRegistered):
        steps.run(_running(name="Apotheek Centrum BV"), eucare)

    contract = _contract(steps, registered.aggregate_id)
    assert contract.status is ContractStatus.SIGNED
    assert contract.signing_deadline is None
    assert contract.tariff_annexes == ("TA-27",)
    assert steps.position() == before


# --- refusals append nothing ------------------------------------------------------------------

Refusal = Callable[[UUID], Command]

_SIGNED_NOT_YET_STARTED_REFUSALS: dict[str, Refusal] = {
    "signing twice": lambda c: SignContract(contract_id=c, vecozo_ref="VZ-2"),
    "declining a signed contract": lambda c: DeclineOffer(contract_id=c),
    "expiring a signed contract": lambda c: ExpireOffer(contract_id=c),
    "withdrawing a signed contract": lambda c: WithdrawOffer(contract_id=c, reason="discretion"),
    "extending a signed contract's deadline": lambda c: ExtendSigningDeadline(
        contract_id=c, until=date(2026, 12, 1), motivation="late"
    ),
    "suspending before the start date": lambda c: SuspendContract(
        contract_id=c, grounds=("inquiry",)
    ),
    "lifting a suspension never imposed": lambda c: LiftSuspension(contract_id=c, motivation="x"),
    "terminating retroactively": lambda c: TerminateContract(
        contract_id=c,
        grounds=(TAX_GROUND,),
        effective_on=date(2026, 10, 1),
        initiated_by=TerminationInitiator.INSURER,
    ),
    "a ground that terminates nothing": lambda c: EstablishTerminationGround(
        contract_id=c, code="ZZ-MIN-KVK", fact_date=date(2026, 9, 1), evidence="register"
    ),
    "ending before the term is over": lambda c: EndContract(contract_id=c),
    "amending outside the term": lambda c: AmendContract(
        contract_id=c, description="extra site", effective_on=date(2028, 1, 1)
    ),
    "a tariff annex for a year outside the term": lambda c: IssueTariffAnnex(
        contract_id=c, annex_ref="TA-2030", year=2030
    ),
}


@pytest.mark.parametrize(
    "refusal",
    _SIGNED_NOT_YET_STARTED_REFUSALS.values(),
    ids=list(_SIGNED_NOT_YET_STARTED_REFUSALS),
)
def test_a_refused_contract_command_appends_nothing(
    steps: Steps, signed: UUID, refusal: Refusal
) -> None:
    before = steps.position()
    version = _contract(steps, signed).version

    with pytest.raises(DomainError):
        steps.run(refusal(signed))

    assert steps.position() == before
    assert _contract(steps, signed).version == version


def test_an_offer_from_an_application_not_yet_approved_is_refused(steps: Steps) -> None:
    application_id = steps.run(submission(AGB, "msz"), provider_actor(AGB)).aggregate_id
    before = steps.position()

    with pytest.raises(DomainError):
        steps.run(OfferContract(application_id=application_id))

    assert steps.position() == before
