"""The snapshot codec: every value type aggregate state holds survives a trip through JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import IntEnum
from typing import Any
from uuid import UUID

import pytest

from care_contracts.domain.application.approval import ProviderDetails
from care_contracts.domain.application.records import ExclusionFinding, RequirementRecord
from care_contracts.domain.application.states import (
    ApplicationStatus,
    Outcome,
    ReasonKind,
    RejectionReason,
)
from care_contracts.domain.contract.status import ContractStatus
from care_contracts.domain.policy.model import PackRef, RuleKind
from care_contracts.domain.values import AgbCode, KvkNumber, Money, Period, Postcode
from care_contracts.services.store.codec import decode_value, encode_value
from care_contracts.services.store.mapper import dumps_canonical

CEILING_ID = UUID("6f1c2a4e-9d0b-4c1e-8a55-0b7f3e2d1c90")
OTHER_ID = UUID("0a4f8e21-7c3b-4d6a-9e12-5b8c7d6e4f31")
PROVIDER = ProviderDetails(
    agb_enterprise=AgbCode("06123456"),
    kvk=KvkNumber("12345678"),
    name="Kliniek Zeeland",
    city="Goes",
    postcode=Postcode("4461 AB"),
    agb_establishments=(AgbCode("06123457"), AgbCode("06123458")),
    role="regio_organisatie",
)


class Priority(IntEnum):
    LOW = 1
    HIGH = 2


def _through_json(value: Any) -> Any:
    """Encode, store as the mapper does (canonical JSON bytes), read back and decode."""
    return decode_value(json.loads(dumps_canonical(encode_value(value))))


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -12_345_678_901_234,
        "",
        "Zorg & Zekerheid — €",
        date(2027, 1, 1),
        datetime(2026, 10, 5, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=1))),
        Decimal("0.1"),
        Decimal("-1234567890.000100"),
        CEILING_ID,
        (),
        ("a", 1, date(2027, 1, 1)),
        ((("beds", Decimal("12")), ("emergency", True)),),
        frozenset(),
        frozenset({"zbc", "ggz"}),
        {"x": 1},
        set(),
        {"b", "a"},
        ["one", 2],
    ],
    ids=repr,
)
def test_a_plain_value_comes_back_equal_and_of_the_same_type(value: Any) -> None:
    decoded = _through_json(value)

    assert decoded == value
    assert type(decoded) is type(value)


@pytest.mark.parametrize(
    "member",
    [
        ApplicationStatus.UNDER_ASSESSMENT,
        ContractStatus.SIGNED,
        RuleKind.HARD,
        Outcome.MET,
        Priority.HIGH,
    ],
)
def test_an_enum_member_comes_back_as_the_same_member_not_its_value(member: Any) -> None:
    decoded = _through_json({"status": member})["status"]

    assert decoded is member


def test_an_aware_datetime_keeps_its_instant_and_offset() -> None:
    cest = timezone(timedelta(hours=2))
    value = datetime(2027, 6, 30, 23, 59, 59, 123_456, tzinfo=cest)

    decoded = _through_json(value)

    assert decoded == value
    assert decoded.utcoffset() == timedelta(hours=2)


def test_a_decimal_keeps_its_exponent() -> None:
    decoded = _through_json(Decimal("12.500"))

    assert decoded.as_tuple() == Decimal("12.500").as_tuple()


def test_dicts_with_uuid_keys_and_money_values_round_trip() -> None:
    reserved = {CEILING_ID: Money(150_000_00), OTHER_ID: Money(-1)}

    decoded = _through_json(reserved)

    assert decoded == reserved
    assert all(type(k) is UUID for k in decoded)
    assert all(type(v) is Money for v in decoded.values())


def test_dicts_with_tuple_enum_and_date_keys_round_trip() -> None:
    value = {
        ("zbc", 2027): "pair",
        ApplicationStatus.RECEIVED: 1,
        date(2027, 1, 1): Decimal("3"),
        7: None,
    }

    decoded = _through_json(value)

    assert decoded == value
    assert {type(k) for k in decoded} == {tuple, ApplicationStatus, date, int}


def test_nested_frozen_dataclasses_come_back_as_the_same_classes() -> None:
    decoded = _through_json(PROVIDER)

    assert decoded == PROVIDER
    assert type(decoded) is ProviderDetails
    assert type(decoded.postcode) is Postcode
    assert all(type(a) is AgbCode for a in decoded.agb_establishments)
    assert type(decoded.agb_establishments) is tuple


def test_domain_records_with_enums_dates_and_fact_pairs_round_trip() -> None:
    state = {
        "requirement_outcomes": {
            "msz-beds": RequirementRecord(
                code="msz-beds",
                kind=RuleKind.HARD,
                outcome=Outcome.MET,
                evidence="site visit",
                facts=(("beds", Decimal("12")), ("emergency", True), ("region", "Zeeland")),
                motivation=None,
                assessed_on=date(2026, 10, 7),
            )
        },
        "exclusion_findings": {
            "fraud": ExclusionFinding(
                code="fraud",
                present=True,
                counts=False,
                fact_date=date(2021, 5, 1),
                subject="director",
                evidence="register extract",
                assessed_on=date(2026, 10, 7),
            )
        },
        "rejection_reasons": (
            RejectionReason(kind=ReasonKind.REQUIREMENT_NOT_MET, rule="msz-beds"),
        ),
        "term": Period(date(2027, 1, 1), None),
        "amount": Money.euros(2_500_000),
    }

    decoded = _through_json(state)

    assert decoded == state
    record = decoded["requirement_outcomes"]["msz-beds"]
    assert record.kind is RuleKind.HARD
    assert record.outcome is Outcome.MET
    assert type(record.facts[0][1]) is Decimal
    assert decoded["rejection_reasons"][0].kind is ReasonKind.REQUIREMENT_NOT_MET


def test_a_pydantic_model_comes_back_validated() -> None:
    ref = PackRef(id="zz-2027-msz", version="1.1")

    decoded = _through_json({"pack": ref})["pack"]

    assert decoded == ref
    assert type(decoded) is PackRef


def test_the_encoding_of_a_set_does_not_depend_on_insertion_order() -> None:
    first = dumps_canonical(encode_value(frozenset(["c", "a", "b"])))
    second = dumps_canonical(encode_value(frozenset(["b", "c", "a"])))

    assert first == second


@pytest.mark.parametrize(
    "value",
    [1.5, {"amount": 0.1}, (Decimal("1"), 2.0), {1.0: "key"}, [float("nan")]],
    ids=repr,
)
def test_floats_are_refused_wherever_they_hide(value: Any) -> None:
    with pytest.raises(TypeError, match="floats are never stored"):
        encode_value(value)


def test_an_unknown_type_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="cannot store a object"):
        encode_value(object())


def test_an_unknown_tag_is_refused_on_read() -> None:
    with pytest.raises(TypeError, match="unknown tagged value"):
        decode_value({"$complex": [1, 2]})
