"""The deadline watcher over real stores (SQLite and PostgreSQL) and the real bus and packs.

An MSZ offer made on 5 October 2026 must be signed by 16 November 2026 (received + 42 days);
its maatwerk term ends on 31 December 2027. A GZSP maatwerk ceiling's revision is decided by
1 November 2027. Every date is an Amsterdam calendar day and inclusive.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from uuid import UUID

import pytest
from structlog.testing import capture_logs

from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.contract.status import ContractStatus
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.values import Money
from care_contracts.services.api.metrics import REGISTRY
from care_contracts.services.clock import Clock, SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.ceilings import AgreeCeiling, ReportExpectedOverrun
from care_contracts.services.commands.contracts import ExpireOffer, SignContract
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.deadlines.index import DeadlineKind
from care_contracts.services.deadlines.watcher import DeadlineWatcher, WatchRound
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.group_commit import GroupCommitter
from tests.integration.conftest import StoreFactory
from tests.integration.lifecycle_steps import (
    GZSP,
    MSZ_MAATWERK,
    MSZ_ZBC_METRICS,
    Steps,
    approved_application,
    local,
    offered_contract,
    provider_actor,
    signed_gzsp_contract,
)

AGB = "06123456"
EXPIRED = "contracting.contract.offer_expired"
ENDED = "contracting.contract.ended"
OVERDUE = "contracting.revenue_ceiling.decision_overdue"


@pytest.fixture
def steps(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> Steps:
    return Steps(bus, store, clock, catalog)


@pytest.fixture
def offer(steps: Steps) -> UUID:
    """An MSZ maatwerk offer made on 5 October 2026: signing closes on 16 November 2026."""
    application_id = approved_application(
        steps, agb=AGB, care_type="msz", contract_type=MSZ_MAATWERK, metrics=MSZ_ZBC_METRICS
    )
    return offered_contract(steps, application_id)


@pytest.fixture
def watcher(
    store: ContractingStore, bus: CommandBus, clock: SimulatedClock, catalog: PolicyCatalog
) -> DeadlineWatcher:
    return DeadlineWatcher(store, bus, clock, policies=catalog)


def second_watcher(
    open_store: StoreFactory, clock: SimulatedClock, catalog: PolicyCatalog, reads: Clock
) -> DeadlineWatcher:
    """Another service instance: its own store (and connections) and bus on the same database;
    its bus runs on ``clock``, the watcher reads ``reads``."""
    store = open_store()
    bus = CommandBus(store, clock, catalog, all_handlers(), committer=GroupCommitter(store))
    return DeadlineWatcher(store, bus, reads, policies=catalog, batch=3)


def stored(store: ContractingStore, topic: str) -> list[UUID]:
    notifications = store.recorder.select_notifications(start=1, limit=100_000, topics=[topic])
    return [UUID(str(n.originator_id)) for n in notifications]


def acted_on(round_: WatchRound) -> list[tuple[DeadlineKind, UUID]]:
    return [(d.kind, d.aggregate_id) for d in round_.appended]


def contract(store: ContractingStore, contract_id: UUID) -> Contract:
    found: Contract = store.repository.get(contract_id)
    return found


def test_an_unsigned_offer_expires_only_after_its_deadline_day_and_once_across_two_instances(
    steps: Steps,
    offer: UUID,
    watcher: DeadlineWatcher,
    open_store: StoreFactory,
    catalog: PolicyCatalog,
) -> None:
    rounds: list[WatchRound] = []
    # The other instance has read the log (the offer is open) when this one's round runs whole.
    other_clock = _BeforeNextReading(steps.clock, lambda: rounds.append(watcher.run_once()))
    other = second_watcher(open_store, steps.clock, catalog, other_clock)

    steps.at(local(2026, 11, 16, 23))  # the deadline day itself, 23:00 in Amsterdam
    on_the_day = watcher.run_once()
    steps.at(local(2026, 11, 17, 0))  # the first instant after it
    second = other.run_once()
    after = [watcher.run_once(), other.run_once()]

    assert (on_the_day.pending, on_the_day.appended, on_the_day.refused) == (1, (), ())
    assert [acted_on(r) for r in rounds] == [[(DeadlineKind.EXPIRE_OFFER, offer)]]
    assert [d.aggregate_id for d in second.replayed] == [offer]  # the same command id
    assert (second.appended, second.refused) == ((), ())
    assert [(r.pending, r.appended, r.replayed) for r in after] == [(0, (), ())] * 2
    assert all(r.position == steps.position() for r in after)
    assert stored(steps.store, EXPIRED) == [offer]
    assert contract(steps.store, offer).status is ContractStatus.EXPIRED


def test_two_instances_racing_the_same_round_expire_the_offer_once(
    steps: Steps,
    offer: UUID,
    bus: CommandBus,
    store: ContractingStore,
    open_store: StoreFactory,
    catalog: PolicyCatalog,
) -> None:
    together = _Together(steps.clock, parties=2)  # both have read the log before either acts
    watchers = [
        DeadlineWatcher(store, bus, together, policies=catalog),
        second_watcher(open_store, steps.clock, catalog, together),
    ]
    steps.at(local(2026, 11, 17, 0))

    with ThreadPoolExecutor(max_workers=2) as pool:
        rounds = list(pool.map(lambda w: w.run_once(), watchers))

    appended = [d.aggregate_id for r in rounds for d in r.appended]
    lost = [d.aggregate_id for r in rounds for d in (*r.replayed, *r.refused)]
    assert (appended, lost) == ([offer], [offer])
    assert stored(steps.store, EXPIRED) == [offer]


def test_a_signed_offer_is_never_expired(
    steps: Steps, offer: UUID, watcher: DeadlineWatcher
) -> None:
    watcher.run_once()
    steps.run(SignContract(contract_id=offer, vecozo_ref="VZ-1"), provider_actor(AGB))

    steps.at(local(2026, 11, 17, 0))
    after_the_deadline = watcher.run_once()
    steps.at(local(2027, 6, 1))
    mid_term = watcher.run_once()

    assert [r.appended for r in (after_the_deadline, mid_term)] == [(), ()]
    assert mid_term.pending == 1  # only the end of the term is left
    assert stored(steps.store, EXPIRED) == []
    assert contract(steps.store, offer).status is ContractStatus.SIGNED


def test_a_signed_contract_is_ended_after_the_last_day_of_its_term(
    steps: Steps, offer: UUID, watcher: DeadlineWatcher
) -> None:
    steps.run(SignContract(contract_id=offer, vecozo_ref="VZ-1"), provider_actor(AGB))

    steps.at(local(2027, 12, 31, 23))
    last_day = watcher.run_once()
    steps.at(local(2028, 1, 1, 0))
    ended = watcher.run_once()

    assert last_day.appended == ()
    assert acted_on(ended) == [(DeadlineKind.END_CONTRACT, offer)]
    assert stored(steps.store, ENDED) == [offer]
    assert contract(steps.store, offer).status is ContractStatus.ENDED
    assert watcher.run_once().pending == 0


def reported_ceiling(steps: Steps) -> UUID:
    """A GZSP maatwerk ceiling agreed in 2026, an overrun reported on 15 September 2027."""
    agb = "06111111"
    contract_id = signed_gzsp_contract(steps, agb)
    steps.at(local(2026, 11, 2))
    ceiling_id = steps.run(
        AgreeCeiling(contract_id=contract_id, year=2027, amount_cents=Money.euros(10**6).cents)
    ).aggregate_id
    policy = steps.catalog.get(GZSP).pack.ceiling
    assert policy is not None
    steps.at(local(2027, 9, 15))
    steps.run(
        ReportExpectedOverrun(
            ceiling_id=ceiling_id,
            channel="zorginkoop.wijkverpleging@zorgenzekerheid.nl",
            expected_amount_cents=Money.euros(1_150_000).cents,
            grounds_claimed=(policy.grounds[0].code,),
        ),
        provider_actor(agb),
    )
    return ceiling_id


def test_an_undecided_ceiling_revision_is_flagged_overdue_after_the_decision_deadline(
    steps: Steps, watcher: DeadlineWatcher
) -> None:
    ceiling_id = reported_ceiling(steps)

    steps.at(local(2027, 11, 1, 23))  # the decision deadline, 1 November 2027, 23:00
    on_the_day = watcher.run_once()
    steps.at(local(2027, 11, 2, 0))
    overdue = watcher.run_once()
    again = watcher.run_once()

    assert on_the_day.appended == ()
    assert acted_on(overdue) == [(DeadlineKind.FLAG_CEILING_DECISION_OVERDUE, ceiling_id)]
    assert again.appended == again.replayed == again.unchanged == ()
    assert stored(steps.store, OVERDUE) == [ceiling_id]


def test_a_failing_round_is_logged_once_counted_and_retried_until_stopped(
    steps: Steps, store: ContractingStore, bus: CommandBus, catalog: PolicyCatalog
) -> None:
    """A ceiling pinned to a pack the watcher's catalog lacks: the round fails at that event."""
    reported_ceiling(steps)
    lacking = PolicyCatalog(p for p in catalog if p.id != GZSP.id)
    watcher = DeadlineWatcher(store, bus, steps.clock, policies=lacking)
    failed_before = _runs("failed")

    async def fail_three_times() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run_forever(stop, interval_s=0.01))
        await _until(lambda: _runs("failed") >= failed_before + 3)
        stop.set()
        await task

    with capture_logs() as logs:
        asyncio.run(asyncio.wait_for(fail_three_times(), 60))

    assert [(e["event"], e["log_level"]) for e in logs] == [
        ("deadline_watcher.failing", "error"),
        ("deadline_watcher.stopped", "info"),
    ]
    assert logs[0]["error"].startswith("PolicyPackNotFound")
    assert 0 < watcher.position < steps.position()  # stopped at the unreadable event


def test_a_refusal_is_counted_and_logged_not_raised(
    steps: Steps, offer: UUID, bus: CommandBus, store: ContractingStore, catalog: PolicyCatalog
) -> None:
    """An officer expires the offer by hand after the watcher read the log, before it acts."""
    steps.at(local(2026, 11, 17, 9))
    by_hand = _BeforeNextReading(steps.clock, lambda: steps.run(ExpireOffer(contract_id=offer)))
    watcher = DeadlineWatcher(store, bus, by_hand, policies=catalog)

    with capture_logs() as logs:
        refused = watcher.run_once()
        after = watcher.run_once()

    assert ([d.aggregate_id for d in refused.refused], refused.appended) == ([offer], ())
    assert (after.pending, after.refused) == (0, ())
    assert [(e["event"], e["log_level"], e["code"]) for e in logs] == [
        ("deadline_watcher.refused", "info", "offer_not_open")
    ]
    assert stored(steps.store, EXPIRED) == [offer]  # the officer's, and only that


def test_moving_the_simulated_clock_forward_makes_the_next_round_act(
    steps: Steps, offer: UUID, watcher: DeadlineWatcher
) -> None:
    async def watch_while_the_clock_moves() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run_forever(stop, interval_s=0.01))
        await _until(lambda: watcher.state == "watching")
        assert stored(steps.store, EXPIRED) == []
        steps.clock.advance(timedelta(days=43))  # 5 October 2026 + 43 days: 17 November
        await _until(lambda: bool(stored(steps.store, EXPIRED)))
        stop.set()
        await task

    with capture_logs() as logs:
        asyncio.run(asyncio.wait_for(watch_while_the_clock_moves(), 60))

    assert stored(steps.store, EXPIRED) == [offer]
    assert [e["event"] for e in logs] == [
        "deadline_watcher.watching",
        "deadline_watcher.appended",
        "deadline_watcher.stopped",
    ]
    assert logs[1]["command"] == "ExpireOffer"
    assert watcher.state == "stopped"


class _BeforeNextReading:
    """A clock that runs ``act`` just before it is next read (the watcher reads it once a round,
    after catching up with the log): a competing command lands between reading and acting."""

    def __init__(self, clock: Clock, act: Callable[[], object]) -> None:
        self._clock = clock
        self._act: Callable[[], object] | None = act

    def now(self) -> datetime:
        act, self._act = self._act, None
        if act is not None:
            act()
        return self._clock.now()


def _runs(result: str) -> float:
    return (
        REGISTRY.get_sample_value("care_contracts_deadline_watcher_runs_total", {"result": result})
        or 0.0
    )


class _Together:
    """A clock each watcher reads once a round, after reading the log: none gets the time until
    all ``parties`` have read the log, so their commands race."""

    def __init__(self, clock: Clock, parties: int) -> None:
        self._clock = clock
        self._barrier = threading.Barrier(parties, timeout=30)

    def now(self) -> datetime:
        self._barrier.wait()
        return self._clock.now()


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)
