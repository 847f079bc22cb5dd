"""Events as the projections read them: a published CloudEvent, decoded, with its stream sequence.

The read side is a consumer of the same stream downstream teams get (decision 4), so it reads the
published contract, not the store's classes: ``decode`` takes a message body (CloudEvents 1.0
structured JSON) and its JetStream sequence. ``EventType`` names every published event type and
version; each projection's ``apply`` matches on it exhaustively (``assert_never``), so a new type
or version fails mypy in every projection that has not decided what to do with it, and a unit test
keeps ``EventType`` equal to the published registry. A body that is not one of those events raises
``UndecodableEvent``: the projection stops on it rather than skip it.

Each projection reads the fields it needs from ``data`` through its own small pydantic models
(tolerant reader, ``extra="ignore"``), never the producer's strict ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeAlias, get_args
from uuid import UUID

import orjson
from eventsourcing.persistence import Notification

from care_contracts.services.events.contract import TYPE_PREFIX
from care_contracts.services.events.envelope import to_cloudevent
from care_contracts.services.store.application import ContractingStore

__all__ = [
    "EVENT_TYPES",
    "EventType",
    "ProjectedEvent",
    "UndecodableEvent",
    "decode",
    "from_cloudevent",
    "from_store",
]

EventType: TypeAlias = Literal[
    "application.submitted.v1",
    "application.information_requested.v1",
    "application.information_supplied.v1",
    "application.completed.v1",
    "application.metrics_recorded.v1",
    "application.requirement_assessed.v1",
    "application.exclusion_ground_assessed.v1",
    "application.integrity_investigation_opened.v1",
    "application.integrity_investigation_concluded.v1",
    "application.assessed.v1",
    "application.withdrawn.v1",
    "contract.running_contract_registered.v1",
    "contract.offered.v1",
    "contract.signed.v1",
    "contract.offer_declined.v1",
    "contract.offer_withdrawn.v1",
    "contract.offer_expired.v1",
    "contract.signing_deadline_extended.v1",
    "contract.suspended.v1",
    "contract.suspension_lifted.v1",
    "contract.terminated.v1",
    "contract.termination_ground_established.v1",
    "contract.ended.v1",
    "contract.amended.v1",
    "contract.tariff_annex_issued.v1",
    "revenue_ceiling.agreed.v1",
    "revenue_ceiling.overrun_reported.v1",
    "revenue_ceiling.overrun_notice_rejected.v1",
    "revenue_ceiling.revision_ground_assessed.v1",
    "revenue_ceiling.revised.v1",
    "revenue_ceiling.revision_refused.v1",
    "revenue_ceiling.decision_overdue.v1",
    "financial_frame.opened.v1",
    "financial_frame.adjusted.v1",
    "financial_frame.reserved.v1",
    "financial_frame.released.v1",
]
EVENT_TYPES: frozenset[str] = frozenset(get_args(EventType))


class UndecodableEvent(ValueError):
    """A stream message that is not a published event this service knows (type and version)."""


@dataclass(frozen=True, slots=True)
class ProjectedEvent:
    """One published event: its envelope attributes, its ``data`` as JSON values, its place.

    ``sequence`` is the JetStream stream sequence, 0 when the event was read from the store.
    ``insurer`` and ``care_type`` are the subject's scope tokens (``_`` when unknown).
    """

    sequence: int
    id: str
    type: EventType
    aggregate_id: UUID
    version: int
    time: datetime
    position: int
    correlation_id: str
    actor_role: str
    actor_id: str
    policy_pack: str | None
    data: Mapping[str, Any]

    @property
    def aggregate(self) -> str:
        """``contract``, ``application``, ``revenue_ceiling`` or ``financial_frame``."""
        return self.type.split(".", 1)[0]


def decode(body: bytes, sequence: int) -> ProjectedEvent:
    """The event in a stream message's body (CloudEvents structured JSON)."""
    try:
        event = orjson.loads(body)  # about three times json's speed: the runner's hot path
    except ValueError as error:
        raise UndecodableEvent(f"stream sequence {sequence}: not JSON ({error})") from error
    if not isinstance(event, dict):
        raise UndecodableEvent(f"stream sequence {sequence}: not a JSON object")
    return from_cloudevent(event, sequence)


def from_cloudevent(event: Mapping[str, Any], sequence: int) -> ProjectedEvent:
    """The event of a CloudEvent already parsed from JSON."""
    try:
        full_type = str(event["type"])
        short = full_type.removeprefix(TYPE_PREFIX)
        if short == full_type or short not in EVENT_TYPES:
            raise UndecodableEvent(f"stream sequence {sequence}: unknown event type {full_type!r}")
        data = event["data"]
        if not isinstance(data, dict):
            raise UndecodableEvent(f"stream sequence {sequence}: data is not an object")
        return ProjectedEvent(
            sequence=sequence,
            id=str(event["id"]),
            type=short,  # type: ignore[arg-type]  # checked against EVENT_TYPES above
            aggregate_id=UUID(str(event["subject"])),
            version=int(event["aggregateversion"]),
            time=datetime.fromisoformat(str(event["time"])),
            position=int(event["position"]),
            correlation_id=str(event["correlationid"]),
            actor_role=str(event["actorrole"]),
            actor_id=str(event.get("actorid", "")),
            policy_pack=event.get("policypack"),
            data=data,
        )
    except UndecodableEvent:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise UndecodableEvent(
            f"stream sequence {sequence}: not a care-contracts CloudEvent ({error!r})"
        ) from error


def from_store(store: ContractingStore, notification: Notification) -> ProjectedEvent:
    """The event a stored notification is published as (for a rebuild from the store)."""
    _, _, event = to_cloudevent(
        notification.id,
        store.contracting_mapper.read_body(notification),
        notification.topic,
        UUID(str(notification.originator_id)),
        notification.originator_version,
    )
    return from_cloudevent(event, 0)
