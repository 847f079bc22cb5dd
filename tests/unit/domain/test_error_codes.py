"""Every domain error has a stable snake_case code of its own and a fixed title (STYLE §10)."""

from __future__ import annotations

import importlib
import pkgutil
import re

import care_contracts.domain
from care_contracts.domain.errors import ERROR_CODES, DomainError

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


def _every_domain_error() -> list[type[DomainError]]:
    """Import every module under care_contracts.domain, then collect DomainError's subclasses."""
    for module in pkgutil.walk_packages(
        care_contracts.domain.__path__, prefix=f"{care_contracts.domain.__name__}."
    ):
        importlib.import_module(module.name)
    found: dict[tuple[str, str], type[DomainError]] = {}
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        error = pending.pop()
        found[(error.__module__, error.__qualname__)] = error
        pending.extend(error.__subclasses__())
    return list(found.values())


def test_the_domain_errors_of_every_module_are_found() -> None:
    names = {error.__name__ for error in _every_domain_error()}
    assert {"InvalidAgbCode", "InvalidPeriod", "RuleViolations", "NoPolicyInForce"} <= names


def test_every_domain_error_has_its_own_snake_case_code() -> None:
    errors = _every_domain_error()
    not_snake = [e.__qualname__ for e in errors if not SNAKE_CASE.fullmatch(e.code)]
    assert not_snake == []
    by_code: dict[str, list[str]] = {}
    for error in errors:
        by_code.setdefault(error.code, []).append(f"{error.__module__}.{error.__qualname__}")
    assert {code: owners for code, owners in by_code.items() if len(owners) > 1} == {}


def test_every_domain_error_below_the_root_is_registered_under_its_code() -> None:
    subclasses = [e for e in _every_domain_error() if e is not DomainError]
    assert {e.code: e for e in subclasses} == ERROR_CODES


def test_every_domain_error_declares_a_title_of_its_own() -> None:
    untitled = [
        e.__qualname__
        for e in _every_domain_error()
        if not (isinstance(e.__dict__.get("title"), str) and e.__dict__["title"].strip())
    ]
    assert untitled == []
