"""Event schema evolution: a v1 body stored before the class moved to v2 reads back as v2.

The test aggregate is defined here with explicit topics, as the domain aggregates are. Its
``Relocated`` event gained a ``postcode_area`` field in v2, derived from the v1 ``postcode`` by
``upcast_v1_v2``; stored rows are never rewritten, the mapper upcasts on read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import StoredEvent

from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.mapper import dumps_canonical
from care_contracts.services.store.metadata import Actor, EventMetadata, Role, recording

OPENED_AT = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
MOVED_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
MOVED_AT_JSON = "2026-11-02T09:30:00Z"  # as pydantic writes an aware UTC datetime
META = EventMetadata(
    command_id="upcast-test",
    command="RelocateSite",
    correlation_id="upcast-correlation",
    actor=Actor(role=Role.OFFICER, subject="officer-7", insurer="zorg-en-zekerheid"),
)


class Site(Aggregate):
    """A test-only aggregate: a care site that can move."""

    TOPIC = "testing.upcast.site"

    class Created(Aggregate.Created):
        TOPIC = "testing.upcast.site.created"

    class Relocated(Aggregate.Event):
        """v1 had ``city`` and ``postcode``; v2 adds ``postcode_area`` (the 4-digit part)."""

        TOPIC = "testing.upcast.site.relocated"
        class_version = 2

        city: str
        postcode: str
        postcode_area: str

        @staticmethod
        def upcast_v1_v2(data: dict[str, Any]) -> None:
            data["postcode_area"] = data["postcode"][:4]

    @event("Opened", topic="testing.upcast.site.opened")
    def __init__(self, *, name: str, timestamp: datetime) -> None:
        self.name = name
        self.city: str | None = None
        self.postcode_area: str | None = None

    def relocate(self, *, city: str, postcode: str, at: datetime) -> None:
        self._relocated(city=city, postcode=postcode, postcode_area=postcode[:4], timestamp=at)

    @event(Relocated)
    def _relocated(
        self, *, city: str, postcode: str, postcode_area: str, timestamp: datetime
    ) -> None:
        self.city = city
        self.postcode_area = postcode_area

    @event("Renamed", topic="testing.upcast.site.renamed")
    def rename(self, *, name: str, timestamp: datetime) -> None:
        self.name = name


def _opened(store: ContractingStore) -> Site:
    site = Site(name="Polikliniek Goes", timestamp=OPENED_AT)
    with recording(META):
        store.save(site)
    return site


def _v1_relocation(site_id: UUID, version: int) -> StoredEvent:
    """A ``Relocated`` row exactly as the mapper wrote it while the class was at v1."""
    body = {
        "data": {"city": "Middelburg", "postcode": "4331 AB", "timestamp": MOVED_AT_JSON},
        "meta": META.model_dump(mode="json"),
    }
    return StoredEvent(
        originator_id=site_id,
        originator_version=version,
        topic="testing.upcast.site.relocated",
        state=dumps_canonical(body),
    )


def test_the_v1_envelope_written_here_matches_what_the_mapper_writes(
    store: ContractingStore,
) -> None:
    site = _opened(store)
    site.relocate(city="Middelburg", postcode="4331 AB", at=MOVED_AT)
    with recording(META):
        stored_v2 = store.mapper.to_stored_event(site.pending_events[0])

    v2_body = store.contracting_mapper.read_body(stored_v2)
    v1_body = store.contracting_mapper.read_body(_v1_relocation(site.id, 2))

    assert v1_body == {
        "data": {k: v for k, v in v2_body["data"].items() if k != "postcode_area"},
        "meta": v2_body["meta"],
    }


def test_a_stored_v1_event_reads_back_in_the_v2_shape(store: ContractingStore) -> None:
    site = _opened(store)
    store.recorder.insert_events([_v1_relocation(site.id, 2)])

    (relocated,) = store.events.get(site.id, gt=1)
    loaded = store.repository.get(site.id)

    assert isinstance(relocated, Site.Relocated)
    assert (relocated.city, relocated.postcode, relocated.postcode_area) == (
        "Middelburg",
        "4331 AB",
        "4331",
    )
    assert relocated.timestamp == MOVED_AT
    assert loaded.version == 2
    assert (loaded.city, loaded.postcode_area) == ("Middelburg", "4331")


def test_the_stored_v1_row_is_not_rewritten_by_reading_it(store: ContractingStore) -> None:
    site = _opened(store)
    row = _v1_relocation(site.id, 2)
    store.recorder.insert_events([row])

    store.repository.get(site.id)
    (_, stored) = store.recorder.select_events(site.id)

    assert stored.state == row.state
    assert "class_version" not in store.contracting_mapper.read_body(stored)


def test_a_v2_event_is_stored_with_its_class_version_and_reads_back_unchanged(
    store: ContractingStore,
) -> None:
    site = _opened(store)
    site.relocate(city="Vlissingen", postcode="4381 CD", at=MOVED_AT)
    (pending,) = site.pending_events
    with recording(META):
        store.save(site)

    (_, stored) = store.recorder.select_events(site.id)
    body = store.contracting_mapper.read_body(stored)
    (read,) = store.events.get(site.id, gt=1)

    assert body["class_version"] == 2
    assert body["data"] == {
        "city": "Vlissingen",
        "postcode": "4381 CD",
        "postcode_area": "4381",
        "timestamp": MOVED_AT_JSON,
    }
    assert read == pending
    assert store.repository.get(site.id).postcode_area == "4381"


def test_events_at_class_version_one_carry_no_class_version(store: ContractingStore) -> None:
    site = _opened(store)
    site.rename(name="Polikliniek Goes-Oost", timestamp=MOVED_AT)
    with recording(META):
        store.save(site)

    bodies = [store.contracting_mapper.read_body(s) for s in store.recorder.select_events(site.id)]

    assert [b.get("class_version") for b in bodies] == [None, None]
    assert bodies[1]["data"] == {"name": "Polikliniek Goes-Oost", "timestamp": MOVED_AT_JSON}
    assert store.repository.get(site.id).name == "Polikliniek Goes-Oost"
