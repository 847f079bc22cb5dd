"""Properties: random command sequences on two ceilings and one frame never break a rule.

No forbidden state is reached, reservations never exceed the frame, a rejected command records
nothing, and replaying the recorded events rebuilds equal aggregates.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from hypothesis import event, given, settings
from hypothesis import strategies as st

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.ceiling.outcomes import (
    ApproveRevision,
    CeilingStatus,
    RefusalReason,
    RefuseRevision,
)
from care_contracts.domain.ceiling.revision import revise_ceiling
from care_contracts.domain.contract.facts import ContractFacts
from care_contracts.domain.dates import local_date
from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.model import PackRef
from care_contracts.domain.values import Money

SIGNED_AT = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
CEILING = Money(10_000)
FRAME = Money(3_000)
# Instants either side of every deadline: notice 1 Oct 2027 (CEST), MSZ decision 31 Mar 2028.
INSTANTS = (
    datetime(2027, 9, 30, 12, 0, tzinfo=UTC),
    datetime(2027, 10, 1, 21, 59, 59, tzinfo=UTC),
    datetime(2027, 10, 1, 22, 0, 0, tzinfo=UTC),
    datetime(2028, 3, 31, 21, 59, 59, tzinfo=UTC),
    datetime(2028, 3, 31, 22, 0, 0, tzinfo=UTC),
    datetime(2028, 5, 1, 8, 0, tzinfo=UTC),
)
OCCURRED = (None, date(2026, 11, 4), date(2026, 11, 5), date(2026, 11, 6), date(2027, 6, 1))

instants = st.sampled_from(INSTANTS)
who = st.integers(0, 1)
# Amounts near the boundaries: zero, one cent, half the frame, all of it, one cent over.
cents = st.one_of(st.integers(-100, 4_000), st.sampled_from([0, 1, 1_500, 2_999, 3_000, 3_001]))
reason_sets = st.lists(st.sampled_from(list(RefusalReason)), max_size=3, unique=True)

commands = st.one_of(
    st.tuples(st.just("notice"), who, instants, instants, cents, st.booleans(), st.booleans()),
    st.tuples(
        st.just("ground"), who, st.booleans(), st.booleans(), st.sampled_from(OCCURRED), instants
    ),
    st.tuples(st.just("approve"), who, cents, st.sampled_from([None, "", "data late"]), instants),
    st.tuples(st.just("approve"), who, st.integers(1, 3_001), st.just("late"), instants),
    st.tuples(st.just("refuse"), who, reason_sets, st.booleans(), st.booleans(), instants),
    st.tuples(st.just("flag"), who, instants),
    st.tuples(st.just("set_frame"), cents, instants),
    st.tuples(st.just("release"), who, cents, instants),
)


@st.composite
def scripts(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """A prelude that gets some ceilings to a pending, grounded report, then random commands."""
    prelude: list[tuple[Any, ...]] = []
    for i in (0, 1):
        stage = draw(st.integers(0, 3))  # 0: agreed, 1: reported, 2-3: reported and grounded
        if stage >= 1:
            prelude.append(("notice", i, INSTANTS[0], INSTANTS[0], 500, True, True))
        if stage >= 2:
            prelude.append(("ground", i, False, True, None, INSTANTS[0]))
    return prelude + draw(st.lists(commands, max_size=25))


def _facts(pack: ResolvedPack, contract_id: UUID, *, live: bool = True) -> ContractFacts:
    code = next(c.code for c in pack.pack.contract_types if c.carries_ceiling)
    return ContractFacts(
        contract_id=contract_id,
        pack=pack.ref,
        insurer=pack.pack.insurer,
        year=pack.pack.year,
        care_type=pack.pack.care_type,
        contract_type=code,
        carries_ceiling=True,
        signed_at=SIGNED_AT,
        live=live,
        start=date(2027, 1, 1),
        end=date(2027, 12, 31),
    )


@dataclass
class World:
    pack: ResolvedPack
    ceilings: tuple[RevenueCeiling, RevenueCeiling]
    frame: FinancialFrame

    def run(self, command: tuple[Any, ...]) -> None:
        pack, frame = self.pack, self.frame
        assert pack.pack.ceiling is not None
        grounds = [g.code for g in pack.pack.ceiling.grounds]
        match command:
            case ("notice", i, received_at, at, amount, live, claim):
                ceiling = self.ceilings[i]
                ceiling.report_expected_overrun(
                    contract=_facts(pack, ceiling.contract_id, live=live),
                    pack=pack,
                    received_at=received_at,
                    channel="mail",
                    expected_amount=Money(amount),
                    grounds_claimed=tuple(grounds[:1]) if claim else (),
                    at=at,
                )
            case ("ground", i, unforeseen, established, occurred_on, at):
                self.ceilings[i].record_ground_evidence(
                    pack=pack,
                    ground=grounds[1] if unforeseen else grounds[0],
                    evidence="finding",
                    established=established,
                    occurred_on=occurred_on,
                    at=at,
                )
            case ("approve", i, increase, late_reason, at):
                ceiling = self.ceilings[i]
                decision = ApproveRevision(
                    new_amount=ceiling.amount + Money(increase), late_reason=late_reason
                )
                revise_ceiling(ceiling, frame, decision, pack=pack, at=at)
            case ("refuse", i, reasons, motivated, late_reason, at):
                refusal = RefuseRevision(
                    reasons=tuple(reasons),
                    motivation="capacity" if motivated else None,
                    late_reason="backlog" if late_reason else None,
                )
                revise_ceiling(self.ceilings[i], frame, refusal, pack=pack, at=at)
            case ("flag", i, at):
                self.ceilings[i].flag_decision_overdue(pack=pack, at=at)
            case ("set_frame", amount, at):
                frame.set_frame(amount=Money(amount), at=at)
            case ("release", i, amount, at):
                frame.release(
                    amount=Money(amount), ceiling_id=self.ceilings[i].id, reason="annulled", at=at
                )
            case _:
                raise AssertionError(command)

    def aggregates(self) -> tuple[Aggregate, ...]:
        return (*self.ceilings, self.frame)


def _state(aggregate: Aggregate) -> dict[str, Any]:
    return {k: v for k, v in aggregate.__dict__.items() if k != "_pending_events"}


def _check_invariants(world: World) -> None:
    frame = world.frame
    assert Money(0) <= frame.reserved <= frame.amount
    assert frame.remaining >= Money(0)
    assert sum((m for m in frame.reserved_by_ceiling.values()), Money(0)) == frame.reserved
    for ceiling in world.ceilings:
        held = frame.reserved_by_ceiling.get(ceiling.id, Money(0))
        assert ceiling.amount >= CEILING  # increase only
        assert held <= ceiling.amount - CEILING
        if ceiling.status is not CeilingStatus.REVISED:
            assert ceiling.amount == CEILING
        if ceiling.overdue_flagged:
            assert ceiling.status is not CeilingStatus.AGREED


def _check_history(world: World) -> None:
    policy = world.pack.pack.ceiling
    assert policy is not None
    unforeseen = {g.code for g in policy.grounds if g.occurred_after_signing}
    for ceiling in world.ceilings:
        events = list(ceiling.pending_events)
        decisions = [
            e
            for e in events
            if isinstance(e, RevenueCeiling.Revised | RevenueCeiling.RevisionRefused)
        ]
        assert len(decisions) <= 1
        assert len([e for e in events if isinstance(e, RevenueCeiling.DecisionOverdue)]) <= 1
        for e in events:
            if isinstance(e, RevenueCeiling.OverrunReported):
                assert local_date(e.received_at) <= policy.notice_deadline
            if isinstance(e, RevenueCeiling.OverrunNoticeRejected):
                assert local_date(e.received_at) > policy.notice_deadline
            if isinstance(e, RevenueCeiling.RevisionGroundAssessed) and e.established:
                assert e.ground not in unforeseen or (
                    e.occurred_on is not None and e.occurred_on > ceiling.signed_on
                )
            if isinstance(e, RevenueCeiling.Revised):
                assert e.grounds
                assert e.new > e.old
                assert e.new - e.old <= e.frame_remaining_before
                assert not e.late or bool(e.late_reason)
            assert e.rules
            assert (e.pack_id, e.pack_version) == (world.pack.ref.id, world.pack.ref.version)


@settings(max_examples=100, deadline=None)
@given(script=scripts())
def test_random_command_sequences_keep_every_rule(
    catalog: PolicyCatalog, script: list[tuple[Any, ...]]
) -> None:
    pack = catalog.get(PackRef(id="zz-2027-msz", version="1.1"))
    agreed = tuple(
        RevenueCeiling.agree(
            contract=_facts(pack, UUID(int=n)), pack=pack, year=2027, amount=CEILING, at=SIGNED_AT
        )
        for n in (1, 2)
    )
    frame = FinancialFrame.open(
        insurer=pack.pack.insurer,
        year=2027,
        care_type=pack.pack.care_type,
        amount=FRAME,
        at=SIGNED_AT,
    )
    world = World(pack=pack, ceilings=(agreed[0], agreed[1]), frame=frame)

    for command in script:
        before = [(len(a.pending_events), deepcopy(_state(a))) for a in world.aggregates()]
        try:
            world.run(command)
        except DomainError as refused:
            event(f"{command[0]} refused: {refused.code}")
            after = [(len(a.pending_events), _state(a)) for a in world.aggregates()]
            assert after == before, f"{command} was refused but changed an aggregate"
        _check_invariants(world)
    _check_history(world)
    for ceiling in world.ceilings:
        event(f"ceiling ends {ceiling.status}")
    used = (
        "none" if frame.reserved == Money(0) else "all" if frame.remaining == Money(0) else "some"
    )
    event(f"frame reserved: {used}")

    for aggregate in world.aggregates():
        replayed: Aggregate | None = None
        for recorded in aggregate.pending_events:
            replayed = recorded.mutate(replayed)
        assert replayed is not None
        assert _state(replayed) == _state(aggregate)
