"""Value objects of the procurement language: identifiers, money and periods.

All are immutable and validate on construction with a typed error, so an invalid AGB code, KvK
number, postcode, amount or period never reaches an aggregate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Self

from care_contracts.domain.errors import DomainError
from care_contracts.domain.immutable import immutable_value

__all__ = [
    "AgbCode",
    "InvalidAgbCode",
    "InvalidKvkNumber",
    "InvalidMoney",
    "InvalidPeriod",
    "InvalidPostcode",
    "KvkNumber",
    "Money",
    "Period",
    "Postcode",
]

_EIGHT_DIGITS = re.compile(r"[0-9]{8}")
_POSTCODE = re.compile(r"([1-9][0-9]{3}) ?([A-Z]{2})")
# Letter pairs PostNL never issues (brief glossary: Dutch postcode).
_RESERVED_POSTCODE_LETTERS = frozenset({"SA", "SD", "SS"})


class InvalidAgbCode(DomainError):
    code = "invalid_agb_code"
    title = "An AGB code has exactly 8 digits"


class InvalidKvkNumber(DomainError):
    code = "invalid_kvk_number"
    title = "A KvK number has exactly 8 digits"


class InvalidPostcode(DomainError):
    code = "invalid_postcode"
    title = "A Dutch postcode is four digits (not starting with 0) and two capital letters"


class InvalidMoney(DomainError):
    code = "invalid_money"
    title = "Amounts are whole euro cents"


class InvalidPeriod(DomainError):
    code = "invalid_period"
    title = "A period ends on or after its start"


@immutable_value
@dataclass(frozen=True, slots=True)
class AgbCode:
    """An 8-digit AGB code (any level: enterprise, establishment, practice, professional)."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _EIGHT_DIGITS.fullmatch(self.value):
            raise InvalidAgbCode(f"AGB code {self.value!r} is not 8 digits", value=self.value)

    def __str__(self) -> str:
        return self.value


@immutable_value
@dataclass(frozen=True, slots=True)
class KvkNumber:
    """An 8-digit Chamber of Commerce (KvK) number."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _EIGHT_DIGITS.fullmatch(self.value):
            raise InvalidKvkNumber(f"KvK number {self.value!r} is not 8 digits", value=self.value)

    def __str__(self) -> str:
        return self.value


@immutable_value
@dataclass(frozen=True, slots=True)
class Postcode:
    """A Dutch postcode in its canonical form ``1234 AB``; ``area`` is its 4-digit part."""

    value: str

    def __post_init__(self) -> None:
        match = (
            _POSTCODE.fullmatch(self.value.strip().upper()) if isinstance(self.value, str) else None
        )
        if match is None or match.group(2) in _RESERVED_POSTCODE_LETTERS:
            raise InvalidPostcode(
                f"postcode {self.value!r} is not a Dutch postcode", value=self.value
            )
        object.__setattr__(self, "value", f"{match.group(1)} {match.group(2)}")

    @property
    def area(self) -> str:
        return self.value[:4]

    def __str__(self) -> str:
        return self.value


@immutable_value
@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in whole euro cents. Never a float."""

    cents: int
    CURRENCY: ClassVar[str] = "EUR"

    def __post_init__(self) -> None:
        if isinstance(self.cents, bool) or not isinstance(self.cents, int):
            raise InvalidMoney(f"amount {self.cents!r} is not whole cents", value=repr(self.cents))

    @classmethod
    def euros(cls, euros: int) -> Self:
        return cls(euros * 100)

    @classmethod
    def zero(cls) -> Self:
        return cls(0)

    def __add__(self, other: Money) -> Money:
        return Money(self.cents + other.cents)

    def __sub__(self, other: Money) -> Money:
        return Money(self.cents - other.cents)

    def __neg__(self) -> Money:
        return Money(-self.cents)

    @property
    def is_negative(self) -> bool:
        return self.cents < 0

    def __str__(self) -> str:
        sign = "-" if self.cents < 0 else ""
        whole, cents = divmod(abs(self.cents), 100)
        return f"{sign}€{whole:,}.{cents:02d}"


@immutable_value
@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive range of calendar dates; ``end`` None means open-ended."""

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise InvalidPeriod(
                f"period ends {self.end.isoformat()} before it starts {self.start.isoformat()}",
                start=self.start,
                end=self.end,
            )

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: Period) -> bool:
        return (other.end is None or self.start <= other.end) and (
            self.end is None or other.start <= self.end
        )
