"""Two writers racing on one aggregate: exactly one wins, the other is refused, nothing is lost.

Each writer has its own ``ContractingStore`` over the same database and its own ``CommandBus``, on
its own thread; a barrier releases both commands together. The loser either collides on the save
(``ConcurrentWriteConflict``), finds a version it did not expect (``AggregateVersionMismatch``) or,
having loaded after the winner committed, is refused by the domain rule. Which of these happens is
timing; that exactly one command wins and the stored state is consistent is not.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from uuid import UUID

import pytest

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.errors import FrameExhausted
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.ceiling.outcomes import CeilingStatus
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.contract.errors import ContractNotActive, ContractNotOpenForSigning
from care_contracts.domain.contract.status import ContractStatus
from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.values import Money
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.base import Command, CommandContext, CommandOutcome
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.ceilings import (
    AgreeCeiling,
    ApproveCeilingRevision,
    OpenFinancialFrame,
    RecordCeilingGroundEvidence,
    ReportExpectedOverrun,
    SetFinancialFrame,
)
from care_contracts.services.commands.contracts import (
    LiftSuspension,
    SignContract,
    SuspendContract,
)
from care_contracts.services.commands.errors import (
    AggregateVersionMismatch,
    ConcurrentWriteConflict,
)
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.store.application import ContractingStore
from tests.integration.conftest import StoreFactory
from tests.integration.lifecycle_steps import (
    GZSP,
    MSZ_MAATWERK,
    MSZ_ZBC_METRICS,
    OFFICER,
    ZZ,
    Steps,
    approved_application,
    local,
    offered_contract,
    provider_actor,
    signed_gzsp_contract,
)

ROUNDS = 3
RACE_TIMEOUT_S = 30
Result = CommandOutcome | BaseException


@pytest.fixture
def steps(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> Steps:
    return Steps(bus, store, clock, catalog)


def race(
    open_store: StoreFactory,
    clock: SimulatedClock,
    catalog: PolicyCatalog,
    commands: Sequence[tuple[Command, CommandContext]],
) -> list[Result]:
    """Run each command on its own thread, store and bus, released together by a barrier."""
    buses = [CommandBus(open_store(), clock, catalog, all_handlers()) for _ in commands]
    barrier = threading.Barrier(len(commands), timeout=RACE_TIMEOUT_S)
    results: list[Result | None] = [None] * len(commands)

    def writer(index: int) -> None:
        command, context = commands[index]
        barrier.wait()
        try:
            results[index] = buses[index].execute(command, context)
        except BaseException as error:  # the test inspects what each writer got
            results[index] = error

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RACE_TIMEOUT_S)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return [r for r in results if r is not None]


def one_winner(results: list[Result], *refusals: type[DomainError]) -> CommandOutcome:
    """Exactly one writer won; every other was refused for one of the expected reasons."""
    assert len(results) == 2
    won = [r for r in results if isinstance(r, CommandOutcome)]
    lost = [r for r in results if not isinstance(r, CommandOutcome)]
    assert len(won) == 1, results
    for error in lost:
        assert isinstance(error, (ConcurrentWriteConflict, AggregateVersionMismatch, *refusals)), (
            repr(error)
        )
    return won[0]


def test_two_providers_signing_one_offer_record_exactly_one_signature(
    steps: Steps, open_store: StoreFactory, clock: SimulatedClock, catalog: PolicyCatalog
) -> None:
    application_id = approved_application(
        steps, agb="06123456", care_type="msz", contract_type=MSZ_MAATWERK, metrics=MSZ_ZBC_METRICS
    )
    contract_id = offered_contract(steps, application_id)
    version = steps.outcomes[-1].version

    results = race(
        open_store,
        clock,
        catalog,
        [
            (
                SignContract(contract_id=contract_id, vecozo_ref=f"VZ-{writer}"),
                CommandContext(
                    actor=provider_actor("06123456"), command_id=writer, expected_version=version
                ),
            )
            for writer in ("a", "b")
        ],
    )

    winner = one_winner(results, ContractNotOpenForSigning)
    reloaded: Contract = open_store().repository.get(contract_id)
    assert reloaded.version == version + 1 == winner.version
    assert reloaded.status is ContractStatus.SIGNED
    assert reloaded.vecozo_ref == f"VZ-{winner.command_id}"  # the winner's signature, not lost


def test_two_officers_suspending_one_contract_suspend_it_once_round_after_round(
    steps: Steps, open_store: StoreFactory, clock: SimulatedClock, catalog: PolicyCatalog
) -> None:
    application_id = approved_application(
        steps, agb="06123456", care_type="msz", contract_type=MSZ_MAATWERK, metrics=MSZ_ZBC_METRICS
    )
    contract_id = offered_contract(steps, application_id)
    steps.run(SignContract(contract_id=contract_id, vecozo_ref="VZ-1"), provider_actor("06123456"))
    steps.at(local(2027, 2, 1))

    for round_ in range(ROUNDS):
        version: int = open_store().repository.get(contract_id).version
        results = race(
            open_store,
            clock,
            catalog,
            [
                (
                    SuspendContract(contract_id=contract_id, grounds=(f"finding {round_}{w}",)),
                    CommandContext(actor=OFFICER),
                )
                for w in ("a", "b")
            ],
        )

        winner = one_winner(results, ContractNotActive)
        reloaded: Contract = open_store().repository.get(contract_id)
        assert reloaded.status is ContractStatus.SUSPENDED, round_
        assert reloaded.version == version + 1 == winner.version, round_
        steps.run(LiftSuspension(contract_id=contract_id, motivation=f"round {round_} closed"))

    suspended = [
        e
        for e in steps.store.recorder.select_events(contract_id)
        if e.topic == "contracting.contract.suspended"
    ]
    assert len(suspended) == ROUNDS


def _ceilings_on_one_frame(steps: Steps, pairs: int) -> tuple[list[UUID], UUID]:
    """``2 * pairs`` GZSP ceilings of EUR 1,000,000, each with a pending, grounded overrun."""
    policy = steps.catalog.get(GZSP).pack.ceiling
    assert policy is not None
    growth = next(g.code for g in policy.grounds if not g.occurred_after_signing)
    contracts = [signed_gzsp_contract(steps, f"0650{i:04d}") for i in range(2 * pairs)]
    steps.at(local(2026, 11, 2))
    ceilings = [
        steps.run(
            AgreeCeiling(contract_id=c, year=2027, amount_cents=Money.euros(1_000_000).cents)
        ).aggregate_id
        for c in contracts
    ]
    frame_id = steps.run(
        OpenFinancialFrame(insurer=ZZ, year=2027, care_type="gzsp", amount_cents=0)
    ).aggregate_id
    steps.at(local(2027, 9, 15))
    for ceiling_id in ceilings:
        steps.run(
            ReportExpectedOverrun(
                ceiling_id=ceiling_id,
                channel="mail",
                expected_amount_cents=Money.euros(1_100_000).cents,
                grounds_claimed=(growth,),
            )
        )
        steps.run(
            RecordCeilingGroundEvidence(
                ceiling_id=ceiling_id, ground=growth, evidence="Vektis growth", established=True
            )
        )
    steps.at(local(2027, 10, 10))
    return ceilings, frame_id


def test_two_revisions_that_together_overspend_one_frame_never_both_commit(
    steps: Steps, open_store: StoreFactory, clock: SimulatedClock, catalog: PolicyCatalog
) -> None:
    ceilings, frame_id = _ceilings_on_one_frame(steps, ROUNDS)
    increase = Money.euros(60_000)
    reserved = Money.zero()

    for round_ in range(ROUNDS):
        # Each round the frame has EUR 100,000 left: room for one increase of 60,000, not two.
        steps.run(
            SetFinancialFrame(
                frame_id=frame_id, amount_cents=(reserved + Money.euros(100_000)).cents
            )
        )
        pair = ceilings[2 * round_ : 2 * round_ + 2]
        results = race(
            open_store,
            clock,
            catalog,
            [
                (
                    ApproveCeilingRevision(
                        ceiling_id=ceiling_id,
                        frame_id=frame_id,
                        new_amount_cents=(Money.euros(1_000_000) + increase).cents,
                    ),
                    CommandContext(actor=OFFICER),
                )
                for ceiling_id in pair
            ],
        )

        winner = one_winner(results, FrameExhausted)
        reserved = reserved + increase
        fresh = open_store()
        frame: FinancialFrame = fresh.repository.get(frame_id)
        assert frame.reserved == reserved, round_
        assert frame.remaining == Money.euros(40_000), round_
        assert len(frame.reserved_by_ceiling) == round_ + 1, round_
        for ceiling_id in pair:
            ceiling: RevenueCeiling = fresh.repository.get(ceiling_id)
            won = ceiling_id == winner.aggregate_id
            assert ceiling.status is (
                CeilingStatus.REVISED if won else CeilingStatus.OVERRUN_REPORTED
            ), round_
            assert ceiling.amount == Money.euros(1_060_000 if won else 1_000_000), round_
            assert (ceiling_id in frame.reserved_by_ceiling) is won, round_
