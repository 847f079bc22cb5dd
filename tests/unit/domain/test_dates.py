"""Europe/Amsterdam dates and the inclusive deadline semantics of brief §6.1."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from care_contracts.domain.dates import (
    AMSTERDAM,
    NaiveInstantError,
    add_days,
    end_of_day,
    first_of_month,
    first_of_next_month,
    is_on_or_before,
    local_date,
    require_aware,
    same_day_years_before,
    start_of_day,
)

HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("at", "day"),
    [
        pytest.param(datetime(2026, 11, 11, 22, 59, 59, tzinfo=UTC), date(2026, 11, 11), id="CET"),
        pytest.param(datetime(2026, 11, 11, 23, 0, tzinfo=UTC), date(2026, 11, 12), id="CET next"),
        pytest.param(datetime(2027, 7, 1, 21, 59, 59, tzinfo=UTC), date(2027, 7, 1), id="CEST"),
        pytest.param(datetime(2027, 7, 1, 22, 0, tzinfo=UTC), date(2027, 7, 2), id="CEST next"),
        pytest.param(
            datetime(2027, 3, 27, 23, 30, tzinfo=UTC), date(2027, 3, 28), id="night into DST"
        ),
        pytest.param(
            datetime(2027, 10, 30, 22, 30, tzinfo=UTC), date(2027, 10, 31), id="night out of DST"
        ),
        pytest.param(
            datetime(2026, 11, 11, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
            date(2026, 11, 12),
            id="another offset",
        ),
    ],
)
def test_the_local_date_is_the_calendar_date_in_amsterdam(at: datetime, day: date) -> None:
    assert local_date(at) == day


def test_the_signing_deadline_of_11_november_2026_ends_at_23_00_utc_in_winter_time() -> None:
    assert end_of_day(date(2026, 11, 11)) == datetime(2026, 11, 11, 23, 0, tzinfo=UTC)


def test_the_revision_notice_deadline_of_1_october_2027_ends_at_22_00_utc_in_summer_time() -> None:
    assert end_of_day(date(2027, 10, 1)) == datetime(2027, 10, 1, 22, 0, tzinfo=UTC)


def test_days_of_the_clock_changes_last_23_and_25_hours() -> None:
    spring, autumn = date(2027, 3, 28), date(2027, 10, 31)
    assert end_of_day(spring) - start_of_day(spring) == 23 * HOUR
    assert end_of_day(autumn) - start_of_day(autumn) == 25 * HOUR


def test_a_deadline_is_met_until_the_last_second_of_its_local_day() -> None:
    deadline = date(2026, 11, 11)
    assert is_on_or_before(datetime(2026, 11, 11, 23, 59, 59, tzinfo=AMSTERDAM), deadline)
    assert not is_on_or_before(datetime(2026, 11, 12, 0, 0, tzinfo=AMSTERDAM), deadline)


def test_a_deadline_is_met_on_earlier_days_and_missed_on_later_ones() -> None:
    deadline = date(2027, 10, 1)
    assert is_on_or_before(datetime(2027, 9, 1, 12, 0, tzinfo=UTC), deadline)
    assert not is_on_or_before(datetime(2027, 10, 2, 12, 0, tzinfo=UTC), deadline)


@pytest.mark.parametrize(
    "use",
    [
        pytest.param(local_date, id="local_date"),
        pytest.param(lambda at: is_on_or_before(at, date(2026, 11, 11)), id="is_on_or_before"),
        pytest.param(require_aware, id="require_aware"),
    ],
)
def test_an_instant_without_a_time_zone_is_refused(use: Callable[[datetime], object]) -> None:
    naive = datetime(2026, 11, 11, 12, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(NaiveInstantError, match="has no time zone"):
        use(naive)


def test_an_aware_instant_passes_the_time_zone_check_unchanged() -> None:
    at = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
    assert require_aware(at) is at


def test_six_weeks_after_the_day_of_receipt_is_the_same_weekday() -> None:
    received_on = date(2026, 9, 30)
    assert add_days(received_on, 42) == date(2026, 11, 11)
    assert add_days(received_on, 42).weekday() == received_on.weekday()


@pytest.mark.parametrize(
    ("day", "first", "next_first"),
    [
        (date(2026, 12, 15), date(2026, 12, 1), date(2027, 1, 1)),
        (date(2027, 1, 31), date(2027, 1, 1), date(2027, 2, 1)),
        (date(2028, 2, 29), date(2028, 2, 1), date(2028, 3, 1)),
        (date(2027, 11, 1), date(2027, 11, 1), date(2027, 12, 1)),
    ],
)
def test_the_first_of_the_month_and_of_the_next_month(
    day: date, first: date, next_first: date
) -> None:
    assert first_of_month(day) == first
    assert first_of_next_month(day) == next_first


@pytest.mark.parametrize(
    ("day", "years", "earlier"),
    [
        (date(2027, 6, 15), 3, date(2024, 6, 15)),
        (date(2028, 2, 29), 1, date(2027, 2, 28)),
        (date(2028, 2, 29), 3, date(2025, 2, 28)),
        (date(2028, 2, 29), 4, date(2024, 2, 29)),
        (date(2027, 2, 28), 3, date(2024, 2, 28)),
    ],
)
def test_the_same_day_years_before_maps_29_february_to_28_february(
    day: date, years: int, earlier: date
) -> None:
    assert same_day_years_before(day, years) == earlier


local_days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@given(local_days)
def test_a_local_day_lasts_23_24_or_25_hours(day: date) -> None:
    assert end_of_day(day) - start_of_day(day) in {23 * HOUR, 24 * HOUR, 25 * HOUR}


@given(local_days)
def test_a_local_day_runs_from_its_start_up_to_but_not_including_its_end(day: date) -> None:
    assert local_date(start_of_day(day)) == day
    assert local_date(end_of_day(day) - timedelta(microseconds=1)) == day
    assert local_date(end_of_day(day)) == day + timedelta(days=1)
    assert start_of_day(day).tzinfo is UTC


instants = st.datetimes(
    min_value=datetime(1990, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2100, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(instants)
def test_an_instant_meets_the_deadline_of_its_own_local_day_but_not_of_the_day_before(
    at: datetime,
) -> None:
    day = local_date(at)
    assert is_on_or_before(at, day)
    assert not is_on_or_before(at, day - timedelta(days=1))
    assert start_of_day(day) <= at < end_of_day(day)
