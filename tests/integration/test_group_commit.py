"""Group commit: concurrent commands share one transaction and each keeps its own outcome.

A test committer holds its leader's first write until every writer has queued, so the batch is
certain, not timing; the product committer has no such wait.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.audit.verify import verify
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.applications import (
    MarkApplicationComplete,
    SubmitApplication,
)
from care_contracts.services.commands.base import Command, CommandContext, CommandOutcome
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.errors import ConcurrentWriteConflict
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.group_commit import GroupCommitter
from care_contracts.services.store.metadata import Actor, Role

TIMEOUT_S = 30


class HeldCommitter(GroupCommitter):
    """Lets the first write wait until ``expected`` saves are queued: one certain batch."""

    def __init__(self, store: ContractingStore, expected: int) -> None:
        super().__init__(store)
        self._expected = expected
        self.batch_sizes: list[int] = []

    def _write(self, batch: list[Any]) -> None:
        if not self.batch_sizes:
            for _ in range(TIMEOUT_S * 100):
                with self._lock:
                    if len(self._queue) + len(batch) >= self._expected:
                        break
                threading.Event().wait(0.01)
            with self._lock:  # take what queued while holding
                batch.extend(self._queue)
                self._queue.clear()
        self.batch_sizes.append(len(batch))
        super()._write(batch)


def _submit(agb: str) -> SubmitApplication:
    return SubmitApplication(
        agb_enterprise=agb,
        kvk="12345678",
        name=f"Kliniek {agb}",
        city="Goes",
        postcode="4461 AB",
        insurer="zorg-en-zekerheid",
        year=2027,
        care_type="msz",
        sub_type="zbc",
        is_new_provider=True,
    )


def _run_together(
    bus: CommandBus, commands: Sequence[tuple[Command, CommandContext]]
) -> list[CommandOutcome | BaseException]:
    results: list[CommandOutcome | BaseException | None] = [None] * len(commands)

    def writer(index: int) -> None:
        command, context = commands[index]
        try:
            results[index] = bus.execute(command, context)
        except BaseException as error:  # inspected by the test
            results[index] = error

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return [r for r in results if r is not None]


def _stored_events(store: ContractingStore) -> int:
    return len(store.recorder.select_notifications(start=1, limit=10_000))


@pytest.fixture
def provider_of() -> Any:
    return lambda agb: Actor(role=Role.PROVIDER, subject=agb)


def test_concurrent_commands_commit_in_one_transaction_each_with_its_own_outcome(
    store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog, provider_of: Any
) -> None:
    committer = HeldCommitter(store, expected=6)
    bus = CommandBus(store, clock, catalog, all_handlers(), committer=committer)
    agbs = [f"0612345{i}" for i in range(6)]

    results = _run_together(
        bus,
        [
            (_submit(agb), CommandContext(actor=provider_of(agb), command_id=f"key-{agb}"))
            for agb in agbs
        ],
    )

    assert committer.batch_sizes[0] == 6
    outcomes = [r for r in results if isinstance(r, CommandOutcome)]
    assert len(outcomes) == 6
    positions = sorted(e.position for o in outcomes for e in o.events if e.position is not None)
    assert positions == list(range(1, 7))
    for outcome in outcomes:
        (stored,) = store.recorder.select_events(outcome.aggregate_id)
        meta = store.contracting_mapper.read_body(stored)["meta"]
        assert meta["command_id"] == outcome.command_id
        record = store.chain.select_command(outcome.command_id)
        assert record is not None
        assert record.positions == f"[{outcome.events[0].position}]"
    assert verify(store).ok


def test_a_lost_race_inside_a_batch_fails_only_that_command(
    store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog, provider_of: Any
) -> None:
    plain = CommandBus(store, clock, catalog, all_handlers())
    target = plain.execute(_submit("06123450"), CommandContext(actor=provider_of("06123450")))
    officer = Actor(role=Role.OFFICER, subject="officer-7", insurer="zorg-en-zekerheid")
    committer = HeldCommitter(store, expected=4)
    bus = CommandBus(store, clock, catalog, all_handlers(), committer=committer)
    before = _stored_events(store)

    results = _run_together(
        bus,
        [
            (
                MarkApplicationComplete(application_id=target.aggregate_id),
                CommandContext(actor=officer, command_id=f"complete-{n}"),
            )
            for n in range(2)
        ]
        + [
            (_submit(agb), CommandContext(actor=provider_of(agb), command_id=f"key-{agb}"))
            for agb in ("06123451", "06123452")
        ],
    )

    assert committer.batch_sizes[0] == 4
    completes, submits = results[:2], results[2:]
    assert sum(isinstance(r, CommandOutcome) for r in completes) == 1
    assert sum(isinstance(r, ConcurrentWriteConflict) for r in completes) == 1
    assert all(isinstance(r, CommandOutcome) for r in submits)
    assert _stored_events(store) == before + 3  # PostgreSQL positions may skip; count rows
    assert verify(store).ok


def test_a_lone_command_commits_without_waiting_for_company(
    store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog, provider_of: Any
) -> None:
    committer = GroupCommitter(store)
    bus = CommandBus(store, clock, catalog, all_handlers(), committer=committer)

    outcome = bus.execute(_submit("06123459"), CommandContext(actor=provider_of("06123459")))

    assert outcome.events[0].position == store.recorder.max_notification_id()
    assert (committer.batches, committer.saves) == (1, 1)
