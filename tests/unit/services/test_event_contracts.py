"""Every domain event of the four aggregates has a frozen, strict data model, type and schema."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic
from pydantic import ValidationError

from care_contracts.services.events.contract import (
    AGGREGATES,
    UnknownEventType,
    by_type,
    contract_for,
    contracts,
)
from care_contracts.services.events.schemas import export_document

NOT_DATA = {"originator_id", "originator_version", "originator_topic", "timestamp"}


def _recorded_event_classes(aggregate: type[Aggregate]) -> set[type[Any]]:
    """Found another way than the registry: every subclass of the aggregate's event base whose
    topic lies under the aggregate's own, less the never-recorded ``Created`` placeholder."""
    found: set[type[Any]] = set()
    pending: list[type[Any]] = [aggregate.Event]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        topic = get_topic(cls)
        if topic.startswith(f"{aggregate.TOPIC}.") and topic != f"{aggregate.TOPIC}.created":
            found.add(cls)
    return found


@pytest.mark.parametrize("aggregate", AGGREGATES, ids=lambda a: a.__name__)
def test_every_recorded_event_class_has_a_published_contract(aggregate: type[Aggregate]) -> None:
    expected = _recorded_event_classes(aggregate)
    registered = {c.event_class for c in contracts().values() if c.event_class in expected}

    assert expected, aggregate
    assert registered == expected


def test_every_contract_has_a_schema_under_its_type_identified_by_its_dataschema() -> None:
    schemas = export_document()["$defs"]

    assert set(schemas) == set(by_type())
    for event_type, contract in by_type().items():
        assert schemas[event_type]["$id"] == contract.dataschema
        assert schemas[event_type]["title"] == contract.model.__name__
        assert schemas[event_type]["additionalProperties"] is False


def test_names_type_and_dataschema_follow_the_topic_and_class_version() -> None:
    signed = contract_for("contracting.contract.signed")

    assert signed.model.__name__ == "ContractSignedV1"
    assert signed.type == "nl.care-contracts.contract.signed.v1"
    assert signed.dataschema == "urn:care-contracts:schema:contract.signed.v1"
    reserved = contract_for("contracting.financial_frame.reserved", 1)
    assert reserved.model.__name__ == "FinancialFrameReservedV1"
    assert reserved.type == "nl.care-contracts.financial_frame.reserved.v1"


def test_a_model_holds_the_events_own_fields_without_store_identity_or_timestamp() -> None:
    for contract in contracts().values():
        own = {f.name for f in dataclasses.fields(contract.event_class)} - NOT_DATA
        assert set(contract.model.model_fields) == own, contract.topic


def test_models_are_frozen_and_refuse_unknown_fields() -> None:
    contract = contract_for("contracting.contract.signed")
    data = {"signed_at": "2026-11-02T09:00:00Z", "signed_on": "2026-11-02", "vecozo_ref": "VZ-1"}
    model = contract.data({**data, "timestamp": "2026-11-02T09:00:00Z"})

    with pytest.raises(ValidationError):
        contract.model.model_validate({**data, "surprise": 1})
    with pytest.raises(ValidationError):
        model.vecozo_ref = "VZ-2"  # type: ignore[misc]


def test_value_objects_are_published_plainly_and_decimals_as_numbers() -> None:
    reserved = contract_for("contracting.financial_frame.reserved").data(
        {
            "amount": {"cents": 500},
            "ceiling_id": "4f8a1f0e-1111-4c1e-9a55-2f6f6f6f6f6f",
            "ceiling_version": 3,
            "remaining_before": {"cents": 1000},
            "pack_id": "zz-2027-gzsp",
            "pack_version": "1.0",
            "rules": ["R-1"],
            "timestamp": "2027-10-10T08:00:00Z",
        }
    )
    metrics = contract_for("contracting.application.metrics_recorded").data(
        {
            "metrics": [["fte", {"$decimal": "1.5"}], ["kind", "zbc"], ["ok", True]],
            "evidence": "check",
            "reopened": [],
            "timestamp": "2027-10-10T08:00:00Z",
        }
    )

    assert reserved.model_dump(mode="json")["amount"] == {"cents": 500}
    assert metrics.model_dump(mode="json")["metrics"] == [
        ["fte", 1.5],
        ["kind", "zbc"],
        ["ok", True],
    ]
    assert type(metrics).model_validate_json(metrics.model_dump_json()) == metrics


def test_an_agb_code_is_published_as_its_eight_digits() -> None:
    offered = contract_for("contracting.contract.offered")
    field_schema = offered.model.model_json_schema()["properties"]["agb_enterprise"]

    assert field_schema["type"] == "string"
    assert field_schema["pattern"] == "^[0-9]{8}$"


def test_an_unknown_topic_has_no_contract() -> None:
    with pytest.raises(UnknownEventType):
        contract_for("contracting.contract.vanished")
    with pytest.raises(UnknownEventType):
        contract_for("contracting.contract.signed", 2)
