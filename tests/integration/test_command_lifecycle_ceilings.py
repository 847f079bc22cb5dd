"""Revenue ceilings of GZSP maatwerk contracts through the real bus, against one financial frame.

Two providers' contracts are applied for, approved, offered and signed through the bus on the real
``zz-2027-gzsp`` pack (notice by 1 October 2027, decision by 1 November 2027). Refusals append
nothing; a revision and its frame reservation are stored by one command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

import pytest

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.errors import FrameBelowReserved, FrameExhausted
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.ceiling.outcomes import CeilingStatus, NoticeOutcome, RefusalReason
from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.values import Money
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.base import Command
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.ceilings import (
    AgreeCeiling,
    ApproveCeilingRevision,
    CeilingAlreadyAgreed,
    FinancialFrameAlreadyOpen,
    FlagCeilingDecisionOverdue,
    OpenFinancialFrame,
    RecordCeilingGroundEvidence,
    RefuseCeilingRevision,
    ReportExpectedOverrun,
    SetFinancialFrame,
)
from care_contracts.services.store.application import ContractingStore
from tests.integration.lifecycle_steps import (
    GZSP,
    TIMER,
    ZZ,
    Steps,
    local,
    provider_actor,
    signed_gzsp_contract,
)

CEILING = Money.euros(1_000_000)
FRAME = Money.euros(100_000)
AGBS = ("06111111", "06222222")


@dataclass(frozen=True)
class Ceilings:
    contracts: tuple[UUID, UUID]
    ceilings: tuple[UUID, UUID]
    frame: UUID


@pytest.fixture
def steps(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> Steps:
    return Steps(bus, store, clock, catalog)


@pytest.fixture
def growth(catalog: PolicyCatalog) -> str:
    policy = catalog.get(GZSP).pack.ceiling
    assert policy is not None
    return next(g.code for g in policy.grounds if not g.occurred_after_signing)


@pytest.fixture
def agreed(steps: Steps) -> Ceilings:
    """Two signed GZSP maatwerk contracts, a EUR 1,000,000 ceiling each, a EUR 100,000 frame."""
    contracts = (signed_gzsp_contract(steps, AGBS[0]), signed_gzsp_contract(steps, AGBS[1]))
    steps.at(local(2026, 11, 2))
    ceilings = tuple(
        steps.run(AgreeCeiling(contract_id=c, year=2027, amount_cents=CEILING.cents)).aggregate_id
        for c in contracts
    )
    frame = steps.run(
        OpenFinancialFrame(insurer=ZZ, year=2027, care_type="gzsp", amount_cents=FRAME.cents)
    ).aggregate_id
    return Ceilings(contracts, (ceilings[0], ceilings[1]), frame)


def _report(steps: Steps, ceiling_id: UUID, growth: str, agb: str) -> NoticeOutcome:
    outcome = steps.run(
        ReportExpectedOverrun(
            ceiling_id=ceiling_id,
            channel="zorginkoop.wijkverpleging@zorgenzekerheid.nl",
            expected_amount_cents=Money.euros(1_150_000).cents,
            grounds_claimed=(growth,),
        ),
        provider_actor(agb),
    )
    assert outcome.result is not None
    return NoticeOutcome(str(outcome.result["notice"]))


def _ground(steps: Steps, ceiling_id: UUID, growth: str) -> None:
    steps.run(
        RecordCeilingGroundEvidence(
            ceiling_id=ceiling_id,
            ground=growth,
            evidence="insured persons in the region +6.1 % (Vektis)",
            established=True,
        )
    )


def ready_for_decision(steps: Steps, agreed: Ceilings, growth: str) -> None:
    """Both ceilings reported on time (15 September 2027) and their growth ground established."""
    steps.at(local(2027, 9, 15))
    for ceiling_id, agb in zip(agreed.ceilings, AGBS, strict=True):
        assert _report(steps, ceiling_id, growth, agb) is NoticeOutcome.REPORTED
    steps.at(local(2027, 10, 6))
    for ceiling_id in agreed.ceilings:
        _ground(steps, ceiling_id, growth)


def _ceiling(steps: Steps, ceiling_id: UUID) -> RevenueCeiling:
    found: RevenueCeiling = steps.store.repository.get(ceiling_id)
    return found


def _frame(steps: Steps, frame_id: UUID) -> FinancialFrame:
    found: FinancialFrame = steps.store.repository.get(frame_id)
    return found


def test_a_ceiling_is_agreed_on_the_signed_contracts_pack(steps: Steps, agreed: Ceilings) -> None:
    ceiling = _ceiling(steps, agreed.ceilings[0])

    assert ceiling.contract_id == agreed.contracts[0]
    assert (ceiling.pack_id, ceiling.pack_version) == (GZSP.id, GZSP.version)
    assert ceiling.amount == CEILING
    assert ceiling.status is CeilingStatus.AGREED


def test_a_late_notice_is_recorded_as_rejected_and_the_caller_learns_it(
    steps: Steps, agreed: Ceilings, growth: str
) -> None:
    ceiling_id = agreed.ceilings[0]
    steps.at(local(2027, 9, 15))
    assert _report(steps, ceiling_id, growth, AGBS[0]) is NoticeOutcome.REPORTED
    steps.at(local(2027, 10, 2, 9))

    late = _report(steps, ceiling_id, growth, AGBS[0])

    assert late is NoticeOutcome.REJECTED_LATE
    [event] = steps.outcomes[-1].events
    assert event.type == "contracting.revenue_ceiling.overrun_notice_rejected"
    [stored] = steps.store.recorder.select_events(ceiling_id, gt=event.version - 1, limit=1)
    data = steps.store.contracting_mapper.read_body(stored)["data"]
    assert data["reason"] == "NOTICE_DEADLINE_PASSED"
    assert data["notice_deadline"] == "2027-10-01"
    assert data["rules"] == ["ZZ-GZSP-CEILING-NOTICE"]
    ceiling = _ceiling(steps, ceiling_id)
    assert ceiling.status is CeilingStatus.OVERRUN_REPORTED
    assert ceiling.notices == 1


def test_a_revision_within_the_frame_reserves_it_in_the_same_command_and_an_overspend_is_refused(
    steps: Steps, agreed: Ceilings, growth: str
) -> None:
    ready_for_decision(steps, agreed, growth)
    steps.at(local(2027, 10, 10))
    frame_version = _frame(steps, agreed.frame).version

    approved = steps.run(
        ApproveCeilingRevision(
            ceiling_id=agreed.ceilings[0],
            frame_id=agreed.frame,
            new_amount_cents=Money.euros(1_060_000).cents,
        )
    )
    before = steps.position()
    with pytest.raises(FrameExhausted):
        steps.run(
            ApproveCeilingRevision(
                ceiling_id=agreed.ceilings[1],
                frame_id=agreed.frame,
                new_amount_cents=Money.euros(1_050_000).cents,
            )
        )

    assert steps.position() == before
    assert [(e.aggregate_id, e.type) for e in approved.events] == [
        (agreed.ceilings[0], "contracting.revenue_ceiling.revised"),
        (agreed.frame, "contracting.financial_frame.reserved"),
    ]
    positions = [e.position for e in approved.events]
    assert positions == [before - 1, before]
    assert approved.result == {"frame_remaining_cents": Money.euros(40_000).cents}
    frame = _frame(steps, agreed.frame)
    assert frame.version == frame_version + 1
    assert frame.reserved == Money.euros(60_000)
    assert _ceiling(steps, agreed.ceilings[0]).amount == Money.euros(1_060_000)
    assert _ceiling(steps, agreed.ceilings[1]).status is CeilingStatus.OVERRUN_REPORTED
    with pytest.raises(FrameBelowReserved):
        steps.run(SetFinancialFrame(frame_id=agreed.frame, amount_cents=Money.euros(50_000).cents))

    steps.run(
        RefuseCeilingRevision(
            ceiling_id=agreed.ceilings[1],
            frame_id=agreed.frame,
            reasons=(RefusalReason.FRAME_EXHAUSTED,),
        )
    )
    assert _ceiling(steps, agreed.ceilings[1]).status is CeilingStatus.REFUSED
    assert _frame(steps, agreed.frame).version == frame_version + 1


def test_the_overdue_flag_records_once_and_only_after_the_decision_deadline(
    steps: Steps, agreed: Ceilings, growth: str
) -> None:
    ready_for_decision(steps, agreed, growth)
    flag = FlagCeilingDecisionOverdue(ceiling_id=agreed.ceilings[0])
    before = steps.position()

    on_time = steps.run(flag, TIMER)
    steps.at(local(2027, 11, 2))
    flagged = steps.run(flag, TIMER)
    again = steps.run(flag, TIMER)

    assert (on_time.events, on_time.result) == ((), {"flagged": False})
    assert [e.type for e in flagged.events] == ["contracting.revenue_ceiling.decision_overdue"]
    assert (again.events, again.result) == ((), {"flagged": False})
    assert steps.position() == before + 1
    assert _ceiling(steps, agreed.ceilings[0]).overdue_flagged is True


def test_the_frame_figure_changes_by_command(steps: Steps, agreed: Ceilings) -> None:
    steps.run(SetFinancialFrame(frame_id=agreed.frame, amount_cents=Money.euros(250_000).cents))

    assert _frame(steps, agreed.frame).remaining == Money.euros(250_000)


# --- refusals append nothing ------------------------------------------------------------------

Refusal = Callable[[Ceilings], Command]

_AGREED_REFUSALS: dict[str, Refusal] = {
    "a second frame for one scope": lambda s: OpenFinancialFrame(
        insurer=ZZ, year=2027, care_type="gzsp", amount_cents=1
    ),
    "a negative frame": lambda s: OpenFinancialFrame(
        insurer=ZZ, year=2027, care_type="msz", amount_cents=-1
    ),
    "setting a negative frame": lambda s: SetFinancialFrame(frame_id=s.frame, amount_cents=-1),
    "a second ceiling for one contract year": lambda s: AgreeCeiling(
        contract_id=s.contracts[0], year=2027, amount_cents=1
    ),
    "a ceiling for a year the contract does not cover": lambda s: AgreeCeiling(
        contract_id=s.contracts[0], year=2028, amount_cents=1
    ),
    "a ceiling on an unknown contract": lambda s: AgreeCeiling(
        contract_id=uuid4(), year=2027, amount_cents=1
    ),
    "a notice claiming an unknown ground": lambda s: ReportExpectedOverrun(
        ceiling_id=s.ceilings[0],
        channel="mail",
        expected_amount_cents=1,
        grounds_claimed=("ZZ-GZSP-CEILING-GROUND-WEATHER",),
    ),
    "ground evidence without a pending report": lambda s: RecordCeilingGroundEvidence(
        ceiling_id=s.ceilings[0],
        ground="ZZ-GZSP-CEILING-GROUND-GROWTH",
        evidence="x",
        established=True,
    ),
    "approving without a pending report": lambda s: ApproveCeilingRevision(
        ceiling_id=s.ceilings[0], frame_id=s.frame, new_amount_cents=CEILING.cents + 1
    ),
    "refusing without a pending report": lambda s: RefuseCeilingRevision(
        ceiling_id=s.ceilings[0], frame_id=s.frame, reasons=(RefusalReason.DISCRETION,)
    ),
}


@pytest.mark.parametrize("refusal", _AGREED_REFUSALS.values(), ids=list(_AGREED_REFUSALS))
def test_a_refused_ceiling_or_frame_command_appends_nothing(
    steps: Steps, agreed: Ceilings, refusal: Refusal
) -> None:
    before = steps.position()

    with pytest.raises(DomainError):
        steps.run(refusal(agreed))

    assert steps.position() == before


def test_an_established_unforeseen_ground_must_postdate_the_signing(
    steps: Steps, agreed: Ceilings, growth: str, catalog: PolicyCatalog
) -> None:
    policy = catalog.get(GZSP).pack.ceiling
    assert policy is not None
    unforeseen = next(g.code for g in policy.grounds if g.occurred_after_signing)
    steps.at(local(2027, 9, 15))
    _report(steps, agreed.ceilings[0], growth, AGBS[0])
    before = steps.position()

    with pytest.raises(DomainError):
        steps.run(
            RecordCeilingGroundEvidence(
                ceiling_id=agreed.ceilings[0],
                ground=unforeseen,
                evidence="fire at a nearby clinic",
                established=True,
                occurred_on=date(2026, 9, 1),
            )
        )

    assert steps.position() == before


def test_a_second_ceiling_for_one_contract_year_is_a_typed_refusal(
    steps: Steps, agreed: Ceilings
) -> None:
    with pytest.raises(CeilingAlreadyAgreed) as refused:
        steps.run(AgreeCeiling(contract_id=agreed.contracts[0], year=2027, amount_cents=1))
    assert refused.value.facts["ceiling_id"] == str(agreed.ceilings[0])

    with pytest.raises(FinancialFrameAlreadyOpen):
        steps.run(OpenFinancialFrame(insurer=ZZ, year=2027, care_type="gzsp", amount_cents=1))
