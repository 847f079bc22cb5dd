"""A stored event body becomes a CloudEvents 1.0 structured JSON event, NATS subject and headers."""

from __future__ import annotations

import json
import re
from typing import Any
from uuid import UUID

import pytest
from cloudevents.core.formats.json import JSONFormat

from care_contracts.services.events.envelope import (
    EVENT_ID_NAMESPACE,
    event_id,
    nats_subject,
    subject_token,
    to_cloudevent,
)

CONTRACT = UUID("0b6f7a52-31c4-5e0a-9d7e-5c2b9a1d4e10")
OTHER = UUID("7e3c1d90-8a2b-5f14-b6c3-1d2e3f4a5b6c")


def signed_body(**meta: Any) -> dict[str, Any]:
    return {
        "data": {
            "timestamp": "2026-11-02T10:15:00+01:00",
            "signed_at": "2026-11-02T09:15:00Z",
            "signed_on": "2026-11-02",
            "vecozo_ref": "VZ-06111111",
        },
        "meta": {
            "command_id": "cmd-1",
            "command": "SignContract",
            "correlation_id": "corr-1",
            "actor": {"role": "provider", "subject": "06111111", "insurer": None},
            "scope": {"insurer": "zorg-en-zekerheid", "care_type": "gzsp"},
            "pack": {"id": "zz-2027-gzsp", "version": "1.0"},
        }
        | meta,
    }


def test_a_signed_contract_becomes_a_structured_cloudevent() -> None:
    subject, headers, event = to_cloudevent(
        42, signed_body(), "contracting.contract.signed", CONTRACT, 2
    )

    assert subject == "contracting.contract.signed.zorg-en-zekerheid.gzsp"
    assert headers == {"Nats-Msg-Id": event["id"]}
    assert event == {
        "specversion": "1.0",
        "id": event_id(CONTRACT, 2),
        "source": "urn:care-contracts:contracting",
        "type": "nl.care-contracts.contract.signed.v1",
        "subject": str(CONTRACT),
        "time": "2026-11-02T09:15:00Z",
        "datacontenttype": "application/json",
        "dataschema": "urn:care-contracts:schema:contract.signed.v1",
        "correlationid": "corr-1",
        "aggregateversion": 2,
        "position": 42,
        "actorrole": "provider",
        "actorid": "06111111",
        "policypack": "zz-2027-gzsp@1.0",
        "data": {
            "signed_at": "2026-11-02T09:15:00Z",
            "signed_on": "2026-11-02",
            "vecozo_ref": "VZ-06111111",
        },
    }


def test_the_sdks_structured_json_parser_accepts_it() -> None:
    _, _, event = to_cloudevent(42, signed_body(), "contracting.contract.signed", CONTRACT, 2)

    parsed = JSONFormat().read(None, json.dumps(event).encode())

    assert parsed.get_id() == event["id"]
    assert parsed.get_type() == event["type"]
    assert parsed.get_extension("aggregateversion") == 2
    assert parsed.get_data() == event["data"]
    for name in (
        "correlationid",
        "aggregateversion",
        "position",
        "actorrole",
        "actorid",
        "policypack",
    ):
        assert re.fullmatch(r"[a-z0-9]{1,20}", name)


def test_the_id_is_a_uuid5_of_aggregate_and_version_stable_and_distinct() -> None:
    first = event_id(CONTRACT, 1)

    assert first == event_id(CONTRACT, 1)
    assert UUID(first).version == 5
    assert UUID(first) != EVENT_ID_NAMESPACE
    assert len({first, event_id(CONTRACT, 2), event_id(OTHER, 1)}) == 3


def test_an_event_without_a_deciding_pack_has_no_policypack_extension() -> None:
    body = signed_body()
    del body["meta"]["pack"]

    _, _, event = to_cloudevent(1, body, "contracting.contract.signed", CONTRACT, 2)

    assert "policypack" not in event


def test_an_event_stored_without_a_scope_gets_unknown_tokens() -> None:
    subject, _, _ = to_cloudevent(
        1, signed_body(scope=None), "contracting.contract.signed", CONTRACT, 2
    )

    assert subject == "contracting.contract.signed._._"


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("zorg-en-zekerheid", "zorg-en-zekerheid"),
        ("Zorg & Zekerheid.NL", "zorg-zekerheid-nl"),
        ("wijk_verpleging", "wijk_verpleging"),
        ("a*b>c d", "a-b-c-d"),
        ("", "_"),
        (None, "_"),
        ("...", "_"),
    ],
)
def test_subject_tokens_keep_to_lowercase_letters_digits_underscore_and_hyphen(
    value: str | None, token: str
) -> None:
    assert subject_token(value) == token


def test_a_subject_has_five_tokens_whatever_the_scope_says() -> None:
    subject = nats_subject("revenue_ceiling", "revised", {"insurer": "Z.Z", "care_type": "G Z"})

    assert subject == "contracting.revenue_ceiling.revised.z-z.g-z"
    assert len(subject.split(".")) == 5
