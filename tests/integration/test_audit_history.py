"""An aggregate's history as recorded, and its state as of a version or an instant."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from care_contracts.domain.application.states import ApplicationStatus
from care_contracts.services.audit.errors import NotYetCreated, VersionNotRecorded
from care_contracts.services.audit.history import aggregate_state, history, state_as_of
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.errors import AggregateNotFound
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.metadata import Role

from .audit_rows import Seeded, seed


@pytest.fixture
def seeded(bus: CommandBus, clock: SimulatedClock) -> Seeded:
    return seed(bus, clock)


def test_history_lists_one_aggregates_events_in_version_order_with_their_log_positions(
    store: ContractingStore, seeded: Seeded
) -> None:
    entries = history(store, seeded.a)

    assert [e.version for e in entries] == [1, 2, 3, 4]
    assert [e.position for e in entries] == [1, 3, 5, 7]
    assert [e.topic for e in entries] == [
        "contracting.application.submitted",
        "contracting.application.information_requested",
        "contracting.application.information_supplied",
        "contracting.application.completed",
    ]
    assert {e.aggregate_id for e in entries} == {seeded.a}


def test_history_carries_each_events_decision_time_command_correlation_and_actor(
    store: ContractingStore, seeded: Seeded
) -> None:
    entries = history(store, seeded.b)

    assert [e.timestamp for e in entries] == list(seeded.times[1::2])
    assert [e.command_id for e in entries] == ["cmd-2", "cmd-4", "cmd-6", "cmd-8"]
    assert [e.correlation_id for e in entries] == ["corr-2", "corr-4", "corr-6", "corr-8"]
    assert [e.command for e in entries] == [
        "SubmitApplication",
        "RequestApplicationInformation",
        "SupplyApplicationInformation",
        "MarkApplicationComplete",
    ]
    assert [(e.actor.role, e.actor.subject) for e in entries] == [
        (Role.PROVIDER, "06654321"),
        (Role.OFFICER, "officer-7"),
        (Role.PROVIDER, "06654321"),
        (Role.OFFICER, "officer-7"),
    ]
    assert entries[1].data["request"] == "quality report"
    assert entries[0].class_version == 1


def test_history_gives_each_event_the_chain_hash_at_its_position(
    store: ContractingStore, seeded: Seeded
) -> None:
    links = {link.position: link for link in store.chain.select_chain(0, 100)}

    entries = history(store, seeded.a)

    for entry in entries:
        assert entry.position is not None
        assert entry.hash == links[entry.position].hash
        # The chain runs through the whole log: A's event chains to B's event before it.
        assert entry.prev_hash == (
            links[entry.position - 1].hash if entry.position > 1 else "0" * 64
        )


def test_history_of_an_unknown_aggregate_is_not_found(
    store: ContractingStore, seeded: Seeded
) -> None:
    with pytest.raises(AggregateNotFound):
        history(store, uuid4())


def test_state_as_of_a_version_replays_only_the_events_up_to_it(
    store: ContractingStore, seeded: Seeded
) -> None:
    at_two = state_as_of(store, seeded.a, version=2)
    latest = state_as_of(store, seeded.a)

    assert at_two.version == 2
    assert at_two.status == ApplicationStatus.INCOMPLETE  # information requested, not yet supplied
    assert latest.version == 4
    assert latest.status == ApplicationStatus.UNDER_ASSESSMENT


def test_state_as_of_an_instant_between_two_events_is_the_state_after_the_earlier(
    store: ContractingStore, seeded: Seeded
) -> None:
    # A's v2 was decided at times[2] and v3 at times[4]; B's v2 in between does not count.
    between = seeded.times[2] + timedelta(hours=30)

    state = state_as_of(store, seeded.a, at=between)

    assert state.version == 2
    assert state.status == ApplicationStatus.INCOMPLETE
    assert state_as_of(store, seeded.a, at=seeded.times[4]).version == 3  # at the instant itself


def test_state_as_of_an_instant_before_creation_is_refused(
    store: ContractingStore, seeded: Seeded
) -> None:
    with pytest.raises(NotYetCreated) as refused:
        state_as_of(store, seeded.b, at=seeded.times[1] - timedelta(seconds=1))
    assert refused.value.facts["created_at"] == seeded.times[1].isoformat()


@pytest.mark.parametrize("version", [0, 5])
def test_state_as_of_a_version_the_aggregate_never_had_is_refused(
    store: ContractingStore, seeded: Seeded, version: int
) -> None:
    with pytest.raises(VersionNotRecorded):
        state_as_of(store, seeded.a, version=version)


def test_state_as_of_needs_an_aware_instant_and_not_both_a_version_and_an_instant(
    store: ContractingStore, seeded: Seeded
) -> None:
    with pytest.raises(ValueError, match="time zone"):
        state_as_of(store, seeded.a, at=seeded.times[3].replace(tzinfo=None))
    with pytest.raises(ValueError, match="not both"):
        state_as_of(store, seeded.a, version=1, at=seeded.times[3])


def test_the_state_as_json_names_type_version_and_plain_values(
    store: ContractingStore, seeded: Seeded
) -> None:
    document = aggregate_state(state_as_of(store, seeded.a, version=3))

    assert document["type"] == "ProviderApplication"
    assert document["id"] == str(seeded.a)
    assert document["version"] == 3
    assert document["state"]["status"] == "received"  # information supplied
    assert document["state"]["last_received_on"] == "2026-10-09"
    assert document["state"]["provider"]["name"] == "Kliniek Zeeland"
    assert document["modified_on"] == seeded.times[4].isoformat()
