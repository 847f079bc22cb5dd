"""Every event the bus stores names its own aggregate's insurer and care type in its metadata.

Run through the group committer (as the service runs) and through the bus's plain save; the
revision command stores a ceiling's and a frame's events together, each with its own scope.
"""

from __future__ import annotations

import pytest

from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.values import Money
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.commands.scope import scope_of
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.chain import CommandRecord
from care_contracts.services.store.group_commit import GroupCommitter
from care_contracts.services.store.metadata import EventMetadata
from tests.integration.event_lifecycle import run_lifecycle, stored_events
from tests.integration.lifecycle_steps import OFFICER, ZZ, Steps


@pytest.mark.parametrize("committer", [True, False], ids=["group-commit", "plain-save"])
def test_stored_events_carry_the_scope_of_their_own_aggregate(
    store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog, committer: bool
) -> None:
    bus = CommandBus(
        store,
        clock,
        catalog,
        all_handlers(),
        committer=GroupCommitter(store) if committer else None,
    )
    lifecycle = run_lifecycle(Steps(bus, store, clock, catalog))

    events = stored_events(store)
    scopes = {}
    for _, stored, body in events:
        aggregate = store.repository.get(stored.originator_id)
        assert body["meta"]["scope"] == scope_of(aggregate).model_dump(), stored.topic
        scopes[stored.originator_id] = body["meta"]["scope"]
    assert scopes[lifecycle.msz_contract] == {"insurer": ZZ, "care_type": "msz"}
    assert scopes[lifecycle.ceiling] == {"insurer": ZZ, "care_type": "gzsp"}
    assert scopes[lifecycle.frame] == {"insurer": ZZ, "care_type": "gzsp"}
    topics = {stored.topic for _, stored, _ in events}
    assert {"contracting.revenue_ceiling.revised", "contracting.financial_frame.reserved"} <= topics


def test_one_save_of_two_aggregates_stores_each_events_own_scope(
    store: ContractingStore, clock: SimulatedClock
) -> None:
    frames = [
        FinancialFrame.open(
            insurer=ZZ, year=2027, care_type=care_type, amount=Money.euros(1), at=clock.now()
        )
        for care_type in ("msz", "gzsp")
    ]
    command = EventMetadata(
        command_id="cmd-1", command="OpenFrames", correlation_id="c-1", actor=OFFICER
    )
    by_aggregate = {f.id: command.model_copy(update={"scope": scope_of(f)}) for f in frames}
    record = CommandRecord(
        command_id="cmd-1",
        command="OpenFrames",
        payload_hash="0" * 64,
        outcome="{}",
        recorded_at=clock.now().isoformat(),
    )

    GroupCommitter(store).save(frames, record, command, by_aggregate=by_aggregate)

    scopes = {
        stored.originator_id: body["meta"]["scope"] for _, stored, body in stored_events(store)
    }
    assert scopes == {
        frames[0].id: {"insurer": ZZ, "care_type": "msz"},
        frames[1].id: {"insurer": ZZ, "care_type": "gzsp"},
    }
