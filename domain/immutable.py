"""Immutable value types copy as themselves.

Aggregates are deep-copied out of the repository's cache on every load; a frozen value whose
fields are all immutable needs no copy, and copying the dozens of records an application holds
was the largest single cost of a command.
"""

from __future__ import annotations

from typing import Any, TypeVar

__all__ = ["immutable_value"]

T = TypeVar("T", bound=type)


def _same(self: Any, *_: Any) -> Any:
    return self


def immutable_value(cls: T) -> T:
    """Mark a frozen type whose fields are all immutable: ``copy`` and ``deepcopy`` return it."""
    setattr(cls, "__copy__", _same)  # noqa: B010 - methods set on the class, typed as Any
    setattr(cls, "__deepcopy__", _same)  # noqa: B010
    return cls
