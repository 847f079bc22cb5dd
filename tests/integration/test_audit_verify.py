"""Verification against the hash chain: an untouched store is clean, and every kind of tampering
with the rows (made directly in the database, as an intruder would) is named at its position.

The seeded log (see audit_rows): positions 1..8 hold A v1, B v1, A v2, B v2, A v3, B v3, A v4, B v4.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from care_contracts.services.audit.verify import FindingKind, VerifyReport, verify
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.base import CommandContext
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.errors import StoreRefusedWrite
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.mapper import dumps_canonical

from .audit_rows import OFFICER, Rows, Seeded, seed, submit

K = FindingKind


@pytest.fixture
def seeded(bus: CommandBus, clock: SimulatedClock) -> Seeded:
    return seed(bus, clock)


@pytest.fixture
def rows(settings: Settings) -> Rows:
    return Rows(settings)


def _found(report: VerifyReport) -> list[tuple[int, FindingKind, UUID | None, int | None]]:
    return [(f.position, f.kind, f.aggregate_id, f.version) for f in report.findings]


def test_an_untouched_store_verifies_clean_and_reports_its_head(
    store: ContractingStore, seeded: Seeded
) -> None:
    report = verify(store, page_size=3)

    assert report.ok
    assert report.findings == ()
    assert (report.events, report.chain_rows, report.aggregates) == (8, 8, 2)
    assert report.head_position == 8
    assert report.head_hash == store.chain.select_chain(7, 1)[0].hash


def test_an_empty_store_verifies_clean(store: ContractingStore) -> None:
    report = verify(store)

    assert report.ok
    assert (report.events, report.head_position, report.head_hash) == (0, None, None)


def test_an_edited_event_state_is_named_at_its_position(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    body = rows.body(3)
    body["data"]["request"] = "nothing needed"
    rows.set_body(3, body)

    assert _found(verify(store, page_size=3)) == [(3, K.EDITED, seeded.a, 2)]


def test_a_deleted_middle_event_is_named_and_leaves_a_version_gap(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    rows.delete_event(5)

    assert _found(verify(store, page_size=3)) == [
        (5, K.DELETED, seeded.a, 3),
        (7, K.VERSION_GAP, seeded.a, 3),
    ]


def test_a_deleted_middle_event_with_its_chain_row_breaks_the_chain_and_leaves_a_gap(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    rows.delete_event(5)
    rows.delete_link(5)

    assert _found(verify(store)) == [
        (6, K.CHAIN_BROKEN, seeded.b, 3),
        (7, K.VERSION_GAP, seeded.a, 3),
    ]


def test_the_deleted_newest_event_of_the_log_is_named(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    rows.delete_event(8)

    assert _found(verify(store)) == [(8, K.DELETED, seeded.b, 4)]


def test_after_the_newest_event_is_deleted_the_log_does_not_silently_move_on(
    settings: Settings, store: ContractingStore, bus: CommandBus, seeded: Seeded, rows: Rows
) -> None:
    rows.delete_event(8)
    command = submit("06111111", "11111111", "Kliniek Zuid")

    if settings.uses_postgres:
        # PostgreSQL never hands position 8 out again: the next event chains on at 9.
        bus.execute(command, CommandContext(actor=OFFICER))
        assert _found(verify(store)) == [(8, K.DELETED, seeded.b, 4)]
    else:
        # SQLite would give rowid 8 to the next event; the chain's primary key refuses the append,
        # and the refusal says it is the store, not a concurrent command.
        with pytest.raises(StoreRefusedWrite):
            bus.execute(command, CommandContext(actor=OFFICER))
        assert store.recorder.max_notification_id() == 7
        assert _found(verify(store)) == [(8, K.DELETED, seeded.b, 4)]


def test_a_forged_row_in_the_newest_rows_place_is_named(
    settings: Settings, store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    forged_state = rows.state(7)  # A's completion, replayed as a fifth event of A
    rows.delete_event(8)

    position = rows.insert_event(seeded.a, 5, "contracting.application.completed", forged_state)

    if settings.uses_postgres:
        assert position == 9
        assert _found(verify(store)) == [(8, K.DELETED, seeded.b, 4), (9, K.INSERTED, seeded.a, 5)]
    else:
        assert position == 8  # SQLite reused the deleted row's rowid
        assert _found(verify(store)) == [(8, K.REORDERED, seeded.a, 5)]


def test_a_forged_event_row_is_named_as_inserted(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    body = rows.body(3)
    body["data"]["request"] = "a request nobody made"
    position = rows.insert_event(
        seeded.a, 5, "contracting.application.information_requested", dumps_canonical(body)
    )

    assert position == 9
    assert _found(verify(store, page_size=3)) == [(9, K.INSERTED, seeded.a, 5)]


def test_two_events_swapped_between_positions_are_named_as_reordered(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    rows.swap_positions(3, 4)

    assert _found(verify(store)) == [(3, K.REORDERED, seeded.b, 2), (4, K.REORDERED, seeded.a, 2)]


def test_one_aggregates_events_swapped_in_order_are_named_as_reordered(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    rows.swap_positions(3, 5)

    assert _found(verify(store)) == [(3, K.REORDERED, seeded.a, 3), (5, K.REORDERED, seeded.a, 2)]


def test_two_events_with_swapped_states_are_both_named_as_edited(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    rows.swap_states(4, 6)

    assert _found(verify(store)) == [(4, K.EDITED, seeded.b, 2), (6, K.EDITED, seeded.b, 3)]


def test_a_rewritten_chain_hash_is_named_as_a_broken_chain_not_an_edited_event(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    rows.set_link(4, "hash", "f" * 64)

    assert _found(verify(store)) == [(4, K.CHAIN_BROKEN, seeded.b, 2)]


def test_a_rewritten_chain_prev_hash_is_named_as_a_broken_chain(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    rows.set_link(6, "prev_hash", "e" * 64)

    assert _found(verify(store)) == [(6, K.CHAIN_BROKEN, seeded.b, 3)]


def test_at_the_newest_row_a_mismatch_cannot_tell_event_from_chain_row_and_is_named_edited(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    rows.set_link(8, "hash", "f" * 64)

    assert _found(verify(store)) == [(8, K.EDITED, seeded.b, 4)]


def test_several_kinds_of_damage_are_each_named_at_their_position(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    body = rows.body(2)
    body["meta"]["actor"]["subject"] = "someone-else"
    rows.set_body(2, body)
    rows.delete_event(5)
    rows.set_link(6, "hash", "0" * 64)
    rows.insert_event(seeded.b, 5, "contracting.application.completed", rows.state(8))

    assert _found(verify(store, page_size=2)) == [
        (2, K.EDITED, seeded.b, 1),
        (5, K.DELETED, seeded.a, 3),
        (6, K.CHAIN_BROKEN, seeded.b, 3),
        (7, K.VERSION_GAP, seeded.a, 3),
        (9, K.INSERTED, seeded.b, 5),
    ]


def test_events_appended_after_a_clean_verification_keep_it_clean(
    store: ContractingStore, bus: CommandBus, clock: SimulatedClock, seeded: Seeded
) -> None:
    assert verify(store).ok
    clock.advance(timedelta(days=1))

    bus.execute(submit("06111111", "11111111", "Kliniek Zuid"), CommandContext(actor=OFFICER))

    report = verify(store, page_size=4)
    assert report.ok
    assert (report.events, report.aggregates, report.head_position) == (9, 3, 9)


def test_cutting_the_newest_rows_from_both_tables_is_beyond_the_chain_alone(
    store: ContractingStore, seeded: Seeded, rows: Rows
) -> None:
    before = verify(store)
    rows.delete_event(8)
    rows.delete_link(8)

    after = verify(store)

    # Nothing inside the store contradicts the shorter log: only a head recorded elsewhere does.
    assert after.ok
    assert (before.head_position, after.head_position) == (8, 7)
    assert after.head_hash != before.head_hash


def test_an_event_committed_while_verify_walks_the_log_is_not_taken_for_damage(
    store: ContractingStore,
    bus: CommandBus,
    seeded: Seeded,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    select_notifications = store.recorder.select_notifications
    committed: list[int] = []

    def then_a_command_commits(*args: Any, **kwargs: Any) -> Any:
        page = select_notifications(*args, **kwargs)
        if not page and not committed:  # the walk has read the last event row, not the chain yet
            outcome = bus.execute(
                submit("06111111", "11111111", "Kliniek Zuid"), CommandContext(actor=OFFICER)
            )
            committed.append(outcome.events[0].position or 0)
        return page

    monkeypatch.setattr(store.recorder, "select_notifications", then_a_command_commits)

    report = verify(store, page_size=100)

    assert committed == [9]
    assert report.chain_rows == 9  # the chain walk saw the new row, the event walk had finished
    assert report.ok
