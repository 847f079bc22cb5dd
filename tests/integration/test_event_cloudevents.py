"""Every event a full lifecycle stores leaves as a valid CloudEvent with a stable, unique id.

The lifecycle runs through the real bus and store (SQLite and PostgreSQL); each stored row is
converted, parsed back with the CloudEvents SDK's structured JSON parser, and its data validated
against its published model. A second store over the same database gives the same envelopes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from cloudevents.core.formats.json import JSONFormat

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.events.contract import by_type
from care_contracts.services.events.envelope import to_cloudevent
from care_contracts.services.store.application import ContractingStore
from tests.integration.event_lifecycle import run_lifecycle, stored_events
from tests.integration.lifecycle_steps import ZZ, Steps

Envelope = tuple[str, dict[str, str], dict[str, Any]]


def _envelopes(store: ContractingStore) -> list[Envelope]:
    return [
        to_cloudevent(
            position, body, stored.topic, UUID(str(stored.originator_id)), stored.originator_version
        )
        for position, stored, body in stored_events(store)
    ]


@pytest.fixture
def lifecycle_store(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> ContractingStore:
    run_lifecycle(Steps(bus, store, clock, catalog))
    return store


def test_every_stored_event_is_a_cloudevent_the_sdk_accepts_with_data_valid_for_its_model(
    lifecycle_store: ContractingStore,
) -> None:
    rows = stored_events(lifecycle_store)
    envelopes = _envelopes(lifecycle_store)

    assert len(envelopes) == len(rows) > 30
    for (position, stored, body), (_, headers, event) in zip(rows, envelopes, strict=True):
        parsed = JSONFormat().read(None, json.dumps(event).encode())
        contract = by_type()[parsed.get_type()]
        assert contract.topic == stored.topic
        assert parsed.get_specversion() == "1.0"
        assert parsed.get_subject() == str(stored.originator_id)
        assert parsed.get_time() == datetime.fromisoformat(body["data"]["timestamp"])
        assert parsed.get_dataschema() == contract.dataschema
        assert parsed.get_extension("position") == position
        assert parsed.get_extension("aggregateversion") == stored.originator_version
        assert parsed.get_extension("correlationid") == body["meta"]["correlation_id"]
        assert parsed.get_extension("actorrole") == body["meta"]["actor"]["role"]
        assert parsed.get_extension("actorid") == body["meta"]["actor"]["subject"]
        model = contract.model.model_validate_json(json.dumps(parsed.get_data()))
        assert model.model_dump(mode="json") == event["data"]
        assert headers == {"Nats-Msg-Id": parsed.get_id()}


def test_ids_are_unique_and_the_same_when_read_again_through_another_store(
    lifecycle_store: ContractingStore, open_store: Callable[[], ContractingStore]
) -> None:
    first = _envelopes(lifecycle_store)
    again = _envelopes(open_store())

    ids = [event["id"] for _, _, event in first]
    assert len(set(ids)) == len(ids)
    assert again == first


def test_subjects_name_aggregate_event_insurer_and_care_type(
    lifecycle_store: ContractingStore,
) -> None:
    subjects = {subject for subject, _, _ in _envelopes(lifecycle_store)}

    for subject in subjects:
        root, aggregate, event, insurer, care_type = subject.split(".")
        assert (root, insurer) == ("contracting", ZZ)
        assert care_type in {"msz", "gzsp"}
        assert f"nl.care-contracts.{aggregate}.{event}.v1" in by_type()
    assert {
        f"contracting.contract.signed.{ZZ}.gzsp",
        f"contracting.contract.offer_declined.{ZZ}.msz",
        f"contracting.application.submitted.{ZZ}.msz",
        f"contracting.revenue_ceiling.revised.{ZZ}.gzsp",
        f"contracting.financial_frame.reserved.{ZZ}.gzsp",
    } <= subjects
