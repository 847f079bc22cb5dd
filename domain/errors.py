"""The root of every domain error: one subclass per broken rule, each with a stable ``code``.

Codes are part of the public contract (the HTTP API turns them into RFC 9457 problem types with a
documentation page each), so a released code never changes meaning. ``ERROR_CODES`` holds every
registered subclass by code; registering a code twice is a programming error.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["ERROR_CODES", "DomainError", "RuleViolations"]

ERROR_CODES: dict[str, type[DomainError]] = {}


class DomainError(Exception):
    """A command was refused because a rule would be broken. Nothing was recorded."""

    code: ClassVar[str] = "domain_error"
    title: ClassVar[str] = "A domain rule was broken"

    def __init__(self, detail: str, /, **facts: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.facts: dict[str, Any] = facts

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            raise TypeError(f"{cls.__name__} must declare its own stable code")
        existing = ERROR_CODES.get(cls.code)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"error code {cls.code!r} is used by {existing.__name__} already")
        ERROR_CODES[cls.code] = cls

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r}, code={self.code!r})"


class RuleViolations(DomainError):
    """Several rules block one decision; each violation keeps its own code."""

    code = "rule_violations"
    title = "Several rules block this decision"

    def __init__(self, detail: str, violations: tuple[DomainError, ...]) -> None:
        super().__init__(detail, codes=tuple(v.code for v in violations))
        self.violations = violations
