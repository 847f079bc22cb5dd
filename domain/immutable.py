"""Cheap, exact copies of aggregate state.

Aggregates are deep-copied out of the repository's cache on every load. Their state is made of
immutable values (str, numbers, dates, enums, UUIDs, frozen value objects) held in plain dicts,
lists and tuples, so a structural copy is exact: containers are copied, immutable values shared.
Python's generic ``deepcopy`` walks and reconstructs every date and record instead, and was the
largest single cost of a command.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

__all__ = ["StructuralCopy", "immutable_value"]

T = TypeVar("T", bound=type)

_ATOMIC = (str, int, float, bool, bytes, type(None), Decimal, date, datetime, time, timedelta, UUID)


def _same(self: Any, *_: Any) -> Any:
    return self


def immutable_value(cls: T) -> T:
    """Mark a frozen type whose fields are all immutable: ``copy`` and ``deepcopy`` return it."""
    setattr(cls, "__copy__", _same)  # noqa: B010 - methods set on the class, typed as Any
    setattr(cls, "__deepcopy__", _same)  # noqa: B010
    return cls


def _copy(value: Any, memo: dict[int, Any]) -> Any:
    kind = type(value)
    if kind in _ATOMIC or isinstance(value, Enum) or getattr(kind, "__deepcopy__", None) is _same:
        return value
    if kind is dict:
        return {key: _copy(item, memo) for key, item in value.items()}
    if kind is list:
        return [_copy(item, memo) for item in value]
    if kind is tuple:
        items = tuple(_copy(item, memo) for item in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if kind is set:
        return {_copy(item, memo) for item in value}
    if kind is frozenset:
        return value
    return copy.deepcopy(value, memo)  # anything else: the generic, always-correct way


class StructuralCopy:
    """Mixin for aggregates: ``deepcopy`` copies containers and shares immutable values."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        clone.__dict__.update({k: _copy(v, memo) for k, v in self.__dict__.items()})
        return clone
