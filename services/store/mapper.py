"""The store's mapper: a readable JSON envelope per event, with metadata and schema version.

Stored state of an event::

    {"data": {...event fields...},
     "meta": {command_id, command, correlation_id, actor, scope: {insurer, care_type} | null,
              pack?: {id, version}},
     "class_version": 2}                       # only when the event class is past v1

Every event must be saved inside ``metadata.recording(...)``: an event without metadata is a
programming error, refused before anything is written. A snapshot's state is
``{"snapshot": {...tagged aggregate state...}}``. Old event versions are upcast on read with the
event class's ``upcast_vN_vN+1(data)`` static methods; stored rows are never rewritten.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from eventsourcing.domain import CanSnapshotAggregate
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from care_contracts.services.store.codec import (
    decode_event,
    decode_value,
    encode_event,
    encode_value,
)
from care_contracts.services.store.metadata import current_metadata

__all__ = ["ContractingMapper", "MissingEventMetadata", "dumps_canonical"]


class MissingEventMetadata(RuntimeError):
    """An event was saved outside a command: it would lack its command, actor and correlation."""


def dumps_canonical(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode(
        "utf-8"
    )


class ContractingMapper(Mapper[UUID]):
    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        cls = type(domain_event)
        body: dict[str, Any]
        if isinstance(domain_event, CanSnapshotAggregate):
            body = {
                "snapshot": {
                    "timestamp": getattr(domain_event, "timestamp").isoformat(),  # noqa: B009
                    "topic": domain_event.topic,
                    "state": encode_value(domain_event.state),
                }
            }
        else:
            metadata = current_metadata(domain_event.originator_id, domain_event.originator_version)
            if metadata is None:
                raise MissingEventMetadata(
                    f"{cls.__qualname__} saved without command metadata (use metadata.recording)"
                )
            data = encode_event(domain_event)
            meta = metadata.model_dump(mode="json")
            if data.get("pack_id") and data.get("pack_version"):
                # Where a rule decided, the metadata names the policy pack too (one place to look).
                meta["pack"] = {"id": data["pack_id"], "version": data["pack_version"]}
            body = {"data": data, "meta": meta}
            class_version = getattr(cls, "class_version", 1)
            if class_version > 1:
                body["class_version"] = class_version
        state = dumps_canonical(body)
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(cls),
            state=state,
        )

    def read_body(self, stored_event: StoredEvent) -> dict[str, Any]:
        """The stored envelope as JSON, decrypted and decompressed (for history and export)."""
        state = stored_event.state
        try:
            if self.cipher:
                state = self.cipher.decrypt(state)
            if self.compressor:
                state = self.compressor.decompress(state)
            body: dict[str, Any] = json.loads(state)
        except Exception as error:
            raise MapperDeserialisationError(
                f"unreadable state of {stored_event.topic} {stored_event.originator_id}"
                f" v{stored_event.originator_version}: {error}"
            ) from error
        return body

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        body = self.read_body(stored_event)
        cls = resolve_topic(stored_event.topic)
        originator_id = UUID(str(stored_event.originator_id))
        if "snapshot" in body:
            snapshot = body["snapshot"]
            event = object.__new__(cls)
            object.__setattr__(
                event,
                "__dict__",
                {
                    "originator_id": originator_id,
                    "originator_version": stored_event.originator_version,
                    "timestamp": decode_value({"$datetime": snapshot["timestamp"]}),
                    "topic": snapshot["topic"],
                    "state": decode_value(snapshot["state"]),
                },
            )
            return event
        data = self.upcast(cls, dict(body["data"]), body.get("class_version", 1))
        try:
            return decode_event(cls, data, originator_id, stored_event.originator_version)
        except Exception as error:
            raise MapperDeserialisationError(
                f"cannot read {stored_event.topic} {originator_id}"
                f" v{stored_event.originator_version}: {error}"
            ) from error

    @staticmethod
    def upcast(event_class: type[Any], data: dict[str, Any], from_version: int) -> dict[str, Any]:
        """Bring a stored body up to the class's version with its ``upcast_vN_vN+1`` methods."""
        target = getattr(event_class, "class_version", 1)
        while from_version < target:
            getattr(event_class, f"upcast_v{from_version}_v{from_version + 1}")(data)
            from_version += 1
        return data
