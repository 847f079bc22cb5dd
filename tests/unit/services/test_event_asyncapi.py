"""The AsyncAPI document (FastStream) lists every published event type, its subject and payload."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from care_contracts.services.cli import app
from care_contracts.services.events.asyncapi import (
    ASYNCAPI_FILE,
    REFRESH_COMMAND,
    cloudevent_model,
    render,
)
from care_contracts.services.events.contract import by_type
from care_contracts.services.events.envelope import DATACONTENTTYPE, SOURCE, to_cloudevent

runner = CliRunner()

REPOSITORY_FILE = Path(__file__).parents[3] / "services" / "events" / ASYNCAPI_FILE.name
CONTRACT = UUID("0b6f7a52-31c4-5e0a-9d7e-5c2b9a1d4e10")


@cache
def _rendered() -> str:
    return render()


def document() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(_rendered())
    return parsed


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def unlisted_types(doc: dict[str, Any]) -> list[str]:
    """Every CloudEvents type of the registry without a channel, send operation and payload."""
    missing = []
    for event_type, contract in by_type().items():
        channel = doc.get("channels", {}).get(event_type)
        operation = doc.get("operations", {}).get(event_type)
        if channel is None or operation is None or operation.get("action") != "send":
            missing.append(event_type)
            continue
        messages = [_resolve(doc, m["$ref"]) for m in channel.get("messages", {}).values()]
        payloads = [_resolve(doc, m["payload"]["$ref"]) for m in messages if "payload" in m]
        if not any(
            p.get("properties", {}).get("type", {}).get("const") == event_type
            and p["properties"]["data"]["$ref"].endswith(f"/{contract.model.__name__}")
            for p in payloads
        ):
            missing.append(event_type)
    return missing


def test_the_document_is_asyncapi_3_0() -> None:
    assert document()["asyncapi"] == "3.0.0"


def test_every_event_type_has_a_channel_a_send_operation_and_its_cloudevent_payload() -> None:
    doc = document()

    assert by_type(), "the registry is empty"
    assert unlisted_types(doc) == []
    assert set(doc["channels"]) == set(by_type())
    assert set(doc["operations"]) == set(by_type())


@pytest.mark.parametrize("event_type", sorted(by_type()))
def test_a_document_without_one_event_type_is_caught(event_type: str) -> None:
    doc = copy.deepcopy(document())
    del doc["channels"][event_type]

    assert unlisted_types(doc) == [event_type]


def test_each_operation_points_at_its_own_channel() -> None:
    doc = document()

    for event_type, operation in doc["operations"].items():
        assert operation["channel"] == {"$ref": f"#/channels/{event_type}"}
        assert operation["messages"], event_type


def test_each_payload_is_the_cloudevent_with_the_types_dataschema_and_data_model() -> None:
    doc = document()
    schemas = doc["components"]["schemas"]

    for event_type, contract in by_type().items():
        envelope = schemas[cloudevent_model(contract).__name__]["properties"]
        assert envelope["type"]["const"] == event_type
        assert envelope["dataschema"]["const"] == contract.dataschema
        assert envelope["specversion"]["const"] == "1.0"
        assert envelope["source"]["const"] == SOURCE
        assert envelope["datacontenttype"]["const"] == DATACONTENTTYPE
        data = schemas[contract.model.__name__]
        assert envelope["data"] == {"$ref": f"#/components/schemas/{contract.model.__name__}"}
        assert set(data.get("properties", {})) == set(contract.model.model_fields)
        assert set(data.get("required", [])) == set(contract.model.model_fields)


def test_each_subject_carries_the_aggregate_and_event_and_documents_both_parameters() -> None:
    doc = document()

    for event_type, contract in by_type().items():
        channel = doc["channels"][event_type]
        address = f"contracting.{contract.aggregate}.{contract.event}.{{insurer}}.{{care_type}}"
        assert channel["address"] == address
        assert channel["bindings"]["nats"]["subject"] == address
        assert set(channel["parameters"]) == {"insurer", "care_type"}
        assert all(p["description"] for p in channel["parameters"].values())
        assert event_type in channel["description"]


def test_a_relayed_cloudevent_matches_its_documented_payload_model() -> None:
    body = {
        "data": {
            "timestamp": "2026-11-02T10:15:00+01:00",
            "signed_at": "2026-11-02T09:15:00Z",
            "signed_on": "2026-11-02",
            "vecozo_ref": "VZ-06111111",
        },
        "meta": {
            "correlation_id": "corr-1",
            "actor": {"role": "provider", "subject": "06111111", "insurer": None},
            "scope": {"insurer": "Zorg en Zekerheid", "care_type": "GZSP"},
            "pack": {"id": "zz-2027-gzsp", "version": "1.0"},
        },
    }
    subject, _, event = to_cloudevent(42, body, "contracting.contract.signed", CONTRACT, 2)
    contract = by_type()[event["type"]]
    model = cloudevent_model(contract)
    address = document()["channels"][event["type"]]["address"]

    assert set(event) <= set(model.model_fields)
    assert model.model_validate(event).model_dump(mode="json", exclude_none=True) == event
    assert subject == address.format(insurer="zorg-en-zekerheid", care_type="gzsp")
    with pytest.raises(ValidationError):
        model.model_validate(event | {"type": "nl.care-contracts.contract.offered.v1"})


def test_the_asyncapi_file_in_the_repository_is_up_to_date() -> None:
    assert REPOSITORY_FILE.is_file(), f"missing {REPOSITORY_FILE}; run: {REFRESH_COMMAND}"
    assert REPOSITORY_FILE.read_text(encoding="utf-8") == _rendered(), (
        f"{REPOSITORY_FILE.name} is out of date with the event models; run: {REFRESH_COMMAND}"
    )


def test_the_installed_package_ships_the_asyncapi_file() -> None:
    assert ASYNCAPI_FILE.is_file(), f"{ASYNCAPI_FILE} is not installed with the package"
    assert ASYNCAPI_FILE.read_text(encoding="utf-8") == _rendered()


def test_the_cli_prints_the_document_as_valid_json() -> None:
    result = runner.invoke(app, ["asyncapi"])

    assert result.exit_code == 0, result.output
    assert result.stdout == _rendered()
    assert unlisted_types(json.loads(result.stdout)) == []


def test_the_cli_writes_the_document_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "asyncapi.json"

    result = runner.invoke(app, ["asyncapi", "--output", str(target)])

    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == _rendered()
