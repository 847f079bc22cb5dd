"""Calendar dates and instants in Europe/Amsterdam, with the deadline semantics of brief §6.1.

A deadline is a local calendar date and is inclusive: an act is in time when its local date is on or
before the deadline. A relative period excludes its anchor day: "six weeks after the day of receipt"
ends on ``anchor + 42 days``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "AMSTERDAM",
    "add_days",
    "end_of_day",
    "first_of_month",
    "first_of_next_month",
    "is_on_or_before",
    "local_date",
    "require_aware",
    "same_day_years_before",
    "start_of_day",
]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class NaiveInstantError(ValueError):
    """An instant without a time zone: the domain never guesses one."""


def require_aware(at: datetime) -> datetime:
    """Return ``at`` if it carries a UTC offset; refuse naive instants."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise NaiveInstantError(f"instant {at.isoformat()} has no time zone")
    return at


def local_date(at: datetime) -> date:
    """The Europe/Amsterdam calendar date of an instant."""
    return require_aware(at).astimezone(AMSTERDAM).date()


def start_of_day(day: date) -> datetime:
    """The first instant (UTC) of a local calendar day; DST-correct."""
    return datetime.combine(day, time.min, tzinfo=AMSTERDAM).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """The first instant (UTC) after a local day: a deadline on ``day`` is met before it."""
    return start_of_day(day + timedelta(days=1))


def is_on_or_before(at: datetime, deadline: date) -> bool:
    """Inclusive deadline check: the local date of ``at`` is on or before ``deadline``."""
    return local_date(at) <= deadline


def add_days(day: date, days: int) -> date:
    return day + timedelta(days=days)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def first_of_next_month(day: date) -> date:
    if day.month == 12:
        return date(day.year + 1, 1, 1)
    return date(day.year, day.month + 1, 1)


def same_day_years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier; 29 February maps to 28 February (brief §7.2)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
