"""JSON Lines export: one object per event, in position order, equal on every run."""

from __future__ import annotations

import io
import json
from uuid import uuid4

import pytest

from care_contracts.services.audit.export import export_lines, write_export
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.errors import AggregateNotFound
from care_contracts.services.store.application import ContractingStore

from .audit_rows import Seeded, seed


@pytest.fixture
def seeded(bus: CommandBus, clock: SimulatedClock) -> Seeded:
    return seed(bus, clock)


def _export(store: ContractingStore, page_size: int = 500) -> str:
    out = io.StringIO()
    write_export(store, out, page_size=page_size)
    return out.getvalue()


def test_the_export_is_one_json_object_per_event_in_position_order(
    store: ContractingStore, seeded: Seeded
) -> None:
    records = [json.loads(line) for line in _export(store).splitlines()]

    assert [r["position"] for r in records] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [r["aggregate_id"] for r in records] == [str(seeded.a), str(seeded.b)] * 4
    assert [r["version"] for r in records] == [1, 1, 2, 2, 3, 3, 4, 4]
    assert set(records[0]) == {
        "position",
        "aggregate_id",
        "version",
        "topic",
        "class_version",
        "timestamp",
        "meta",
        "data",
        "chain",
    }


def test_each_exported_event_carries_its_metadata_data_time_and_chain_row(
    store: ContractingStore, seeded: Seeded
) -> None:
    links = {link.position: link for link in store.chain.select_chain(0, 100)}

    records = [json.loads(line) for line in _export(store).splitlines()]

    third = records[2]
    assert third["topic"] == "contracting.application.information_requested"
    assert third["class_version"] == 1
    assert third["data"]["request"] == "staffing plan"
    assert third["meta"]["command_id"] == "cmd-3"
    assert third["meta"]["correlation_id"] == "corr-3"
    assert third["meta"]["actor"]["role"] == "officer"
    assert third["timestamp"] == seeded.times[2].isoformat().replace("+00:00", "Z")
    assert records[0]["meta"]["pack"] == {"id": "zz-2027-msz", "version": "1.1"}
    for record in records:
        link = links[record["position"]]
        assert record["chain"] == {"prev_hash": link.prev_hash, "hash": link.hash}


def test_two_exports_of_one_store_are_equal_byte_for_byte_whatever_the_page_size(
    store: ContractingStore, seeded: Seeded
) -> None:
    first = _export(store)

    assert _export(store) == first
    assert _export(store, page_size=3) == first
    assert "\n".join(export_lines(store, page_size=1)) + "\n" == first


def test_an_aggregates_export_holds_only_its_events_with_their_log_positions(
    store: ContractingStore, seeded: Seeded
) -> None:
    out = io.StringIO()

    count = write_export(store, out, aggregate_id=seeded.b, page_size=3)

    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == 4
    assert [r["position"] for r in records] == [2, 4, 6, 8]
    assert {r["aggregate_id"] for r in records} == {str(seeded.b)}
    whole = _export(store).splitlines()
    assert out.getvalue().splitlines() == [whole[i] for i in (1, 3, 5, 7)]


def test_exporting_an_unknown_aggregate_is_not_found_and_writes_nothing(
    store: ContractingStore, seeded: Seeded
) -> None:
    out = io.StringIO()

    with pytest.raises(AggregateNotFound):
        write_export(store, out, aggregate_id=uuid4())

    assert out.getvalue() == ""


def test_an_empty_store_exports_nothing(store: ContractingStore) -> None:
    assert _export(store) == ""
