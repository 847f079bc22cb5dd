"""Value objects: AGB code, KvK number, postcode, money in cents, period."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from care_contracts.domain.errors import DomainError
from care_contracts.domain.values import (
    AgbCode,
    InvalidAgbCode,
    InvalidKvkNumber,
    InvalidMoney,
    InvalidPeriod,
    InvalidPostcode,
    KvkNumber,
    Money,
    Period,
    Postcode,
)

EIGHT_DIGIT_VALUES = [
    pytest.param(AgbCode, InvalidAgbCode, "invalid_agb_code", id="agb"),
    pytest.param(KvkNumber, InvalidKvkNumber, "invalid_kvk_number", id="kvk"),
]


@pytest.mark.parametrize("kind", [AgbCode, KvkNumber])
@pytest.mark.parametrize("value", ["01234567", "12345678", "99999999"])
def test_an_eight_digit_identifier_keeps_its_digits_including_leading_zeros(
    kind: type[AgbCode | KvkNumber], value: str
) -> None:
    identifier = kind(value)
    assert identifier.value == value
    assert str(identifier) == value


@pytest.mark.parametrize(("kind", "error", "code"), EIGHT_DIGIT_VALUES)
@pytest.mark.parametrize(
    "value",
    [
        pytest.param("1234567", id="seven digits"),
        pytest.param("123456789", id="nine digits"),
        pytest.param("1234567a", id="a letter"),
        pytest.param("ABCDEFGH", id="letters"),
        pytest.param(" 1234567", id="a space"),
        pytest.param("1234 5678", id="inner space"),
        pytest.param("１２３４５６７８", id="full-width digits"),
        pytest.param("", id="empty"),
        pytest.param(12345678, id="an int"),
        pytest.param(None, id="None"),
    ],
)
def test_an_identifier_that_is_not_eight_ascii_digits_is_refused_with_its_code(
    kind: type[AgbCode | KvkNumber], error: type[DomainError], code: str, value: object
) -> None:
    with pytest.raises(error) as refused:
        kind(value)  # type: ignore[arg-type]
    assert refused.value.code == code
    assert refused.value.facts == {"value": value}


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("1234 AB", "1234 AB"),
        ("1234ab", "1234 AB"),
        ("1234AB", "1234 AB"),
        (" 9999 zz ", "9999 ZZ"),
        ("1000 aa", "1000 AA"),
    ],
)
def test_a_postcode_is_normalised_to_four_digits_a_space_and_two_capitals(
    written: str, canonical: str
) -> None:
    postcode = Postcode(written)
    assert postcode.value == canonical
    assert str(postcode) == canonical
    assert postcode == Postcode(canonical)


def test_the_area_of_a_postcode_is_its_four_digits() -> None:
    assert Postcode("3511ab").area == "3511"


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("0123 AB", id="leading zero"),
        pytest.param("1234 SA", id="SA is never issued"),
        pytest.param("1234 sd", id="SD is never issued"),
        pytest.param("1234SS", id="SS is never issued"),
        pytest.param("123 AB", id="three digits"),
        pytest.param("12345 AB", id="five digits"),
        pytest.param("1234 A", id="one letter"),
        pytest.param("1234 ABC", id="three letters"),
        pytest.param("1234  AB", id="two spaces"),
        pytest.param("1234-AB", id="a dash"),
        pytest.param("", id="empty"),
        pytest.param(1234, id="an int"),
    ],
)
def test_a_string_that_is_not_a_dutch_postcode_is_refused(written: object) -> None:
    with pytest.raises(InvalidPostcode) as refused:
        Postcode(written)  # type: ignore[arg-type]
    assert refused.value.code == "invalid_postcode"


def test_money_counts_whole_cents() -> None:
    assert Money.euros(12).cents == 1200
    assert Money.zero() == Money(0)
    assert Money(1050) + Money(250) == Money(1300)
    assert Money(1050) - Money(2000) == Money(-950)
    assert -Money(1050) == Money(-1050)
    assert Money(-1).is_negative
    assert not Money(0).is_negative
    assert Money(999) < Money(1000)


@pytest.mark.parametrize(
    ("cents", "shown"),
    [
        (0, "€0.00"),
        (5, "€0.05"),
        (1050, "€10.50"),
        (123_456_789, "€1,234,567.89"),
        (-5, "-€0.05"),
        (-100_000, "-€1,000.00"),
    ],
)
def test_money_shows_euros_and_two_cent_digits(cents: int, shown: str) -> None:
    assert str(Money(cents)) == shown


@pytest.mark.parametrize(
    "amount",
    [
        pytest.param(10.5, id="float"),
        pytest.param(10.0, id="integral float"),
        pytest.param(Decimal(10), id="Decimal"),
        pytest.param("1000", id="str"),
        pytest.param(True, id="bool"),
    ],
)
def test_money_refuses_anything_but_an_int_of_cents(amount: object) -> None:
    with pytest.raises(InvalidMoney) as refused:
        Money(amount)  # type: ignore[arg-type]
    assert refused.value.code == "invalid_money"


cents = st.integers(min_value=-(10**12), max_value=10**12)


@given(cents, cents)
def test_money_adds_and_subtracts_like_its_cents(a: int, b: int) -> None:
    assert (Money(a) + Money(b)).cents == a + b
    assert Money(a) + Money(b) - Money(b) == Money(a)
    assert Money(a) - Money(b) == Money(a) + -Money(b)


JAN_1 = date(2027, 1, 1)
DEC_31 = date(2027, 12, 31)


def test_a_period_may_start_and_end_on_the_same_day() -> None:
    assert Period(JAN_1, JAN_1).contains(JAN_1)


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidPeriod) as refused:
        Period(DEC_31, JAN_1)
    assert refused.value.code == "invalid_period"
    assert refused.value.facts == {"start": DEC_31, "end": JAN_1}


def test_a_period_contains_both_of_its_ends_and_nothing_outside() -> None:
    year = Period(JAN_1, DEC_31)
    assert year.contains(JAN_1)
    assert year.contains(DEC_31)
    assert not year.contains(JAN_1 - timedelta(days=1))
    assert not year.contains(DEC_31 + timedelta(days=1))


def test_an_open_ended_period_contains_every_day_from_its_start() -> None:
    ongoing = Period(JAN_1)
    assert ongoing.contains(date(9999, 12, 31))
    assert not ongoing.contains(date(2026, 12, 31))


def test_periods_sharing_one_day_overlap_and_adjacent_ones_do_not() -> None:
    first_half = Period(JAN_1, date(2027, 6, 30))
    assert first_half.overlaps(Period(date(2027, 6, 30), DEC_31))
    assert not first_half.overlaps(Period(date(2027, 7, 1), DEC_31))
    assert first_half.overlaps(Period(date(2026, 1, 1)))
    assert not first_half.overlaps(Period(date(2027, 7, 1)))


days = st.integers(min_value=0, max_value=40)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    start = JAN_1 + timedelta(days=draw(days))
    length = draw(st.none() | st.integers(min_value=0, max_value=40))
    return Period(start, None if length is None else start + timedelta(days=length))


@given(periods(), periods())
def test_two_periods_overlap_exactly_when_some_day_lies_in_both(a: Period, b: Period) -> None:
    horizon = [JAN_1 + timedelta(days=n) for n in range(100)]
    assert a.overlaps(b) == any(a.contains(day) and b.contains(day) for day in horizon)
    assert a.overlaps(b) == b.overlaps(a)
