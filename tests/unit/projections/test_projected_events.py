"""The projections' event types are exactly the published ones; decoding refuses what is not."""

from __future__ import annotations

import json

import pytest

from care_contracts.projections.events import EVENT_TYPES, UndecodableEvent, decode
from care_contracts.services.events.contract import TYPE_PREFIX, by_type


def test_event_type_names_every_published_type_and_version_and_nothing_else() -> None:
    published = {t.removeprefix(TYPE_PREFIX) for t in by_type()}

    assert published == EVENT_TYPES


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"type": "nl.care-contracts.contract.signed.v9"}).encode(), "unknown event"),
        (json.dumps({"type": "nl.care-contracts.contract.signed.v1"}).encode(), "not a care"),
    ],
)
def test_what_is_not_a_known_event_is_undecodable_naming_the_sequence(
    body: bytes, reason: str
) -> None:
    with pytest.raises(UndecodableEvent, match=f"stream sequence 7: {reason}"):
        decode(body, 7)
