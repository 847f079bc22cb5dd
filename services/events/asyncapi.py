"""The AsyncAPI 3.0 document of every published event, generated with FastStream from the registry.

A FastStream ``NatsBroker`` that is never connected (``documentation_broker``) carries one
publisher per event type and version of ``contract.contracts()``:

- channel and operation named by the CloudEvents type (``nl.care-contracts.contract.signed.v1``),
  address ``contracting.<aggregate>.<event>.{insurer}.{care_type}`` with both parameters described;
- message payload: the CloudEvents 1.0 structured JSON event (``envelope.to_cloudevent``) whose
  ``type``, ``dataschema`` and ``data`` are those of the event (``ContractSignedV1CloudEvent`` with
  ``data`` the ``ContractSignedV1`` model), under ``components.schemas``.

FastStream emits neither channel parameters nor our correlation id's place, so ``document()``
adds them to its output. The rendering is stable (sorted keys, two-space indent, final newline):
the copy kept in the repository (``ASYNCAPI_FILE``) is compared to a fresh one by a test, and
``care-contracts asyncapi --output services/events/asyncapi.json`` refreshes it.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar, cast
from uuid import UUID

from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import SkipJsonSchema

from care_contracts.services.events.contract import EventContract, EventData, contracts
from care_contracts.services.events.envelope import UNKNOWN_TOKEN

__all__ = [
    "ASYNCAPI_FILE",
    "ASYNCAPI_VERSION",
    "REFRESH_COMMAND",
    "SUBJECT_PARAMETERS",
    "CloudEvent",
    "channel_address",
    "cloudevent_model",
    "document",
    "documentation_broker",
    "render",
]

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "1"
ASYNCAPI_FILE = Path(__file__).parent / "asyncapi.json"  # shipped as package data too
REFRESH_COMMAND = "care-contracts asyncapi --output services/events/asyncapi.json"
SUBJECT_PARAMETERS: dict[str, dict[str, Any]] = {
    "insurer": {
        "description": (
            "The insurer of the event's scope as one subject token (lower case, [a-z0-9_-]),"
            f" e.g. zorg-en-zekerheid; {UNKNOWN_TOKEN} when the event has no scope."
        ),
        "examples": ["zorg-en-zekerheid"],
    },
    "care_type": {
        "description": (
            "The care type of the event's scope as one subject token (lower case, [a-z0-9_-]),"
            f" e.g. gzsp; {UNKNOWN_TOKEN} when the event has no scope."
        ),
        "examples": ["gzsp"],
    },
}

DataT = TypeVar("DataT", bound=EventData)


def _absent_when_unset(schema: dict[str, Any]) -> None:
    """An optional attribute is left out, never null: no ``default: null`` in its schema."""
    schema.pop("default", None)


class CloudEvent(BaseModel, Generic[DataT]):
    """A CloudEvents 1.0 event in structured JSON mode, as the relay publishes it."""

    model_config = ConfigDict(frozen=True)

    specversion: Literal["1.0"]
    id: str = Field(description="Stable event id (uuid5 of aggregate id and version).")
    source: Literal["urn:care-contracts:contracting"]  # envelope.SOURCE
    type: str = Field(description="CloudEvents type, e.g. nl.care-contracts.contract.signed.v1.")
    subject: UUID = Field(description="The aggregate id.")
    time: datetime = Field(description="The decision time, UTC.")
    datacontenttype: Literal["application/json"]  # envelope.DATACONTENTTYPE
    dataschema: str = Field(description="The $id of the data's JSON Schema.")
    correlationid: str
    aggregateversion: int = Field(ge=1)
    position: int = Field(ge=1, description="The event store's notification id.")
    actorrole: str
    actorid: str = Field(description="Who decided: an AGB code, an officer's id or a job name.")
    policypack: str | SkipJsonSchema[None] = Field(
        default=None,
        description="<pack id>@<version>, present where a policy rule decided.",
        json_schema_extra=_absent_when_unset,
    )
    data: DataT


@cache
def cloudevent_model(contract: EventContract) -> type[CloudEvent[Any]]:
    """The envelope of one event type: ``type`` and ``dataschema`` fixed, ``data`` its model."""
    base: type[CloudEvent[Any]] = CloudEvent[contract.model]  # type: ignore[name-defined]
    fixed_type: Any = Literal[contract.type]
    fixed_schema: Any = Literal[contract.dataschema]
    model = create_model(
        f"{contract.model.__name__}CloudEvent",
        __base__=base,
        __doc__=f"CloudEvent {contract.type}: structured JSON, data {contract.model.__name__}.",
        type=(fixed_type, ...),
        dataschema=(fixed_schema, ...),
    )
    return cast("type[CloudEvent[Any]]", model)


def channel_address(contract: EventContract) -> str:
    return f"contracting.{contract.aggregate}.{contract.event}.{{insurer}}.{{care_type}}"


def documentation_broker() -> NatsBroker:
    """A broker for documentation only (never connected): one publisher per event type."""
    broker = NatsBroker(
        specification_url="nats://localhost:4222",
        description="The NATS server the relay publishes to (CARE_CONTRACTS_NATS_URL).",
    )
    for contract in sorted(contracts().values(), key=lambda c: c.type):
        broker.publisher(
            channel_address(contract),
            title=contract.type,
            description=(
                f"CloudEvents type {contract.type} (dataschema {contract.dataschema}): the"
                f" {contract.aggregate} aggregate's {contract.event} event, published as a"
                " CloudEvents 1.0 structured JSON event with Nats-Msg-Id = id, on the"
                " CONTRACTING JetStream stream."
            ),
            schema=cloudevent_model(contract),
        )
    return broker


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document as JSON data."""
    specification = AsyncAPI(
        documentation_broker(),
        title="care-contracts published events",
        version=DOCUMENT_VERSION,
        description=(
            "Every domain event the relay publishes, one channel per CloudEvents type; generated"
            " by `care-contracts asyncapi`, do not edit."
        ),
        schema_version=ASYNCAPI_VERSION,
    ).to_specification()
    spec: dict[str, Any] = json.loads(specification.to_json())
    for channel in spec.get("channels", {}).values():
        channel["parameters"] = SUBJECT_PARAMETERS
    for message in spec.get("components", {}).get("messages", {}).values():
        message["correlationId"] = {
            "description": "The CloudEvent's correlationid extension.",
            "location": "$message.payload#/correlationid",
        }
    return spec


def render() -> str:
    """The document as stable JSON text."""
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
