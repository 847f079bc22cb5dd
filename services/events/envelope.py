"""A stored event as the CloudEvents 1.0 JSON event (structured mode) and NATS subject it leaves as.

Envelope attributes:

- ``id``: the event's stable id, ``uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}/{version}")``. An
  aggregate version is written once, so re-reading the same stored event always gives the same
  id (the relay's ``Nats-Msg-Id``, and the key consumers deduplicate on); no two events share it.
- ``source`` ``urn:care-contracts:contracting``; ``type`` and ``dataschema`` from
  ``contract.EventContract`` (``nl.care-contracts.contract.signed.v1``).
- ``subject``: the aggregate id; ``time``: the decision time (the event's ``timestamp``), UTC.
- ``datacontenttype`` ``application/json``; ``data``: the event's published model as JSON.
- extensions: ``correlationid``, ``aggregateversion``, ``position`` (the store's notification id),
  ``actorrole`` and ``actorid`` (who decided: an AGB code, an officer's id or a system job's
  name), and ``policypack`` (``<pack id>@<version>``) where a rule decided.

NATS subject: ``contracting.<aggregate>.<event>.<insurer>.<care_type>``, e.g.
``contracting.contract.signed.zorg-en-zekerheid.gzsp``; consumers filter with wildcards such as
``contracting.*.*.zorg-en-zekerheid.>``. Insurer and care type come from the stored metadata's
scope; each token is lower-cased with anything outside ``[a-z0-9_-]`` replaced by ``-``, and is
``_`` when unknown (an event stored without a scope).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

from care_contracts.services.events.contract import contract_for

__all__ = [
    "DATACONTENTTYPE",
    "EVENT_ID_NAMESPACE",
    "SOURCE",
    "UNKNOWN_TOKEN",
    "event_id",
    "nats_subject",
    "subject_token",
    "to_cloudevent",
]

SOURCE = "urn:care-contracts:contracting"
DATACONTENTTYPE = "application/json"
# Fixed forever: changing it changes every event's id, and JetStream would publish duplicates.
EVENT_ID_NAMESPACE = UUID("3b0e6c1e-5a7d-5f0e-9c38-2f4b7d6a9e51")
UNKNOWN_TOKEN = "_"
_NOT_TOKEN = re.compile(r"[^a-z0-9_-]+")


def event_id(aggregate_id: UUID, version: int) -> str:
    """The stable id of the event at ``version`` of aggregate ``aggregate_id``."""
    return str(uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}/{version}"))


def subject_token(value: str | None) -> str:
    """One NATS subject token: lower case, ``[a-z0-9_-]`` only; ``_`` when unknown."""
    if not value:
        return UNKNOWN_TOKEN
    token = _NOT_TOKEN.sub("-", value.strip().lower()).strip("-")
    return token or UNKNOWN_TOKEN


def nats_subject(aggregate: str, event: str, scope: Mapping[str, Any] | None) -> str:
    scope = scope or {}
    return ".".join(
        (
            "contracting",
            subject_token(aggregate),
            subject_token(event),
            subject_token(scope.get("insurer")),
            subject_token(scope.get("care_type")),
        )
    )


def to_cloudevent(
    position: int, body: Mapping[str, Any], topic: str, aggregate_id: UUID, version: int
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(NATS subject, headers, CloudEvent) of one stored event.

    ``body`` is the stored envelope ``{"data", "meta", "class_version"?}`` as the mapper's
    ``read_body`` returns it; ``topic``, ``aggregate_id`` and ``version`` are the stored row's.
    """
    contract = contract_for(topic)
    stored_data: Mapping[str, Any] = body["data"]
    meta: Mapping[str, Any] = body["meta"]
    data = contract.data(stored_data, int(body.get("class_version", 1)))
    identifier = event_id(aggregate_id, version)
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": identifier,
        "source": SOURCE,
        "type": contract.type,
        "subject": str(aggregate_id),
        "time": _rfc3339(stored_data["timestamp"]),
        "datacontenttype": DATACONTENTTYPE,
        "dataschema": contract.dataschema,
        "correlationid": meta["correlation_id"],
        "aggregateversion": version,
        "position": position,
        "actorrole": meta["actor"]["role"],
        "actorid": meta["actor"]["subject"],
    }
    pack = meta.get("pack")
    if pack:
        event["policypack"] = f"{pack['id']}@{pack['version']}"
    event["data"] = data.model_dump(mode="json")
    subject = nats_subject(contract.aggregate, contract.event, meta.get("scope"))
    return subject, {"Nats-Msg-Id": identifier}, event


def _rfc3339(timestamp: str) -> str:
    at = datetime.fromisoformat(timestamp)
    if at.tzinfo is None:
        raise ValueError(f"event time {timestamp} has no offset")
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
