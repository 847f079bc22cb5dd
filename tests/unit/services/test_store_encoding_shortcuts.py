"""Shortcuts in encoding events and chain links produce exactly what the long way produced.

``encode_event`` tags Decimals only in events that hold one (most hold none); ``link_hash`` no
longer round-trips an aggregate id that is already a UUID through text.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from hashlib import sha256
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from pydantic import TypeAdapter

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.policy.rules import Fact
from care_contracts.services.store.chain import GENESIS, link_hash
from care_contracts.services.store.codec import _holds_decimal, _tag_decimals, encode_event
from tests.unit.application.conftest import (
    MSZ_ZBC_PASSING,
    ZZ,
    assess_everything,
    at,
    under_assessment,
)


def tagged_the_long_way(event: Any) -> dict[str, Any]:
    """``encode_event`` before the shortcut: every dump walked and rebuilt to tag Decimals."""
    adapter: TypeAdapter[Any] = TypeAdapter(type(event))
    data: dict[str, Any] = _tag_decimals(
        adapter.dump_python(event), adapter.dump_python(event, mode="json")
    )
    data.pop("originator_id", None)
    data.pop("originator_version", None)
    return data


def test_every_event_of_an_assessment_encodes_as_before(catalog: PolicyCatalog) -> None:
    msz = catalog.in_force(ZZ, 2027, "msz", date(2026, 9, 1))
    application = under_assessment(msz)
    metrics: dict[str, Fact] = {**MSZ_ZBC_PASSING, "specialist_fte": Decimal("1.50")}
    assess_everything(application, msz, metrics, when=at(2027, 3, 20))
    application.approve(pack=msz, contract_type="ZZ-MSZ-CT-MAATWERK", at=at(2027, 3, 21))
    events = application.collect_events()
    kinds = {type(e).__qualname__ for e in events}
    assert len(kinds) >= 5  # submitted, completed, metrics, requirements, grounds, assessed

    for event in events:
        assert encode_event(event) == tagged_the_long_way(event), type(event).__qualname__
    [metrics_recorded] = [e for e in events if isinstance(e, ProviderApplication.MetricsRecorded)]
    assert {"$decimal": "1.50"} in _values(encode_event(metrics_recorded))


def _values(document: Any) -> list[Any]:
    """Every value nested in a JSON document, containers included."""
    if isinstance(document, dict):
        return [document, *(v for item in document.values() for v in _values(item))]
    if isinstance(document, list):
        return [document, *(v for item in document for v in _values(item))]
    return [document]


def test_a_decimal_is_found_wherever_the_tagging_walk_looks() -> None:
    assert _holds_decimal(Decimal("1"))
    assert _holds_decimal({"a": [("x", {"b": Decimal("0.5")})]})
    assert _holds_decimal([1, "two", None, True, (Decimal("3"),)])
    assert not _holds_decimal({"a": [("x", {"b": 0.5, "c": None})], "d": "1.5"})
    # The walk never looked inside sets, so a Decimal there was never tagged: nor is it now.
    assert not _holds_decimal({"a": frozenset({Decimal("1")})})


def test_a_link_hash_is_the_same_for_an_id_as_uuid_or_as_text() -> None:
    aggregate_id = uuid4()
    state = b'{"n":3}'
    content = "\x1f".join(
        (GENESIS, "7", str(aggregate_id), "3", "test:Happened", sha256(state).hexdigest())
    )
    expected = sha256(content.encode("utf-8")).hexdigest()  # the chain's documented formula

    for stored_id in (aggregate_id, str(aggregate_id).upper(), aggregate_id.hex):
        stored = StoredEvent(stored_id, 3, "test:Happened", state)
        assert link_hash(GENESIS, 7, stored) == expected, stored_id
