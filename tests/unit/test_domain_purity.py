"""domain/ is pure: no I/O, no clock, no randomness (STYLE principle 3).

The check reads the repository's own ``domain/`` sources with ``ast``, so it never imports them
and sees every module, including ones nothing imports yet.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).parents[2] / "domain"

FORBIDDEN_MODULES = frozenset(
    {
        "asyncio",
        "fastapi",
        "faststream",
        "httpx",
        "io",
        "logging",
        "nats",
        "os",
        "pathlib",
        "psycopg",
        "random",
        "requests",
        "socket",
        "sqlite3",
        "structlog",
        "subprocess",
        "sys",
        "threading",
        "time",
    }
)
# Random ids: identity comes from natural keys (uuid5) or from the caller.
FORBIDDEN_UUID_FUNCTIONS = frozenset({"uuid1", "uuid4"})
# Clock reads, whatever object they hang on (datetime.now, date.today, dt.utcnow, ...).
CLOCK_ATTRIBUTES = frozenset({"now", "utcnow", "today"})
CLOCK_FUNCTIONS_OF_TIME = frozenset({"time", "time_ns", "monotonic", "perf_counter"})
FORBIDDEN_CALLS = frozenset({"open", "now", "utcnow", "today"})


def impurities(source: str, filename: str = "<source>") -> list[str]:
    """Every impure import, clock read, random id or file access in ``source``, one line each."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        match node:
            case ast.Import(names=names):
                found += [
                    f"{where}: imports {alias.name}"
                    for alias in names
                    if alias.name.split(".")[0] in FORBIDDEN_MODULES
                ]
            case ast.ImportFrom(module=str(module), level=0, names=names):
                if module.split(".")[0] in FORBIDDEN_MODULES:
                    found.append(f"{where}: imports from {module}")
                elif module == "uuid":
                    found += [
                        f"{where}: imports uuid.{alias.name}"
                        for alias in names
                        if alias.name in FORBIDDEN_UUID_FUNCTIONS
                    ]
            case ast.Attribute(attr=attr) if attr in FORBIDDEN_UUID_FUNCTIONS:
                found.append(f"{where}: uses {attr} (random id)")
            case ast.Attribute(attr=attr) if attr in CLOCK_ATTRIBUTES:
                found.append(f"{where}: reads the clock (.{attr})")
            case ast.Attribute(value=ast.Name(id="time"), attr=attr) if (
                attr in CLOCK_FUNCTIONS_OF_TIME
            ):
                found.append(f"{where}: reads the clock (time.{attr})")
            case ast.Call(func=ast.Name(id=name)) if name in FORBIDDEN_CALLS:
                found.append(f"{where}: calls {name}()")
    return found


def _domain_modules() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_the_domain_folder_is_found_with_its_core_modules() -> None:
    names = {path.relative_to(DOMAIN).as_posix() for path in _domain_modules()}
    assert {"dates.py", "values.py", "errors.py", "identity.py"} <= names


@pytest.mark.parametrize(
    "path", _domain_modules(), ids=lambda path: path.relative_to(DOMAIN).as_posix()
)
def test_the_domain_module_does_no_io_reads_no_clock_and_makes_no_random_ids(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert impurities(source, filename=str(path.relative_to(DOMAIN.parent))) == []


@pytest.mark.parametrize(
    ("snippet", "reason"),
    [
        ("import os", "imports os"),
        ("import os.path", "imports os.path"),
        ("import logging as log", "imports logging"),
        ("from time import monotonic", "imports from time"),
        ("from nats.aio.client import Client", "imports from nats.aio.client"),
        ("from pathlib import Path", "imports from pathlib"),
        ("import sqlite3", "imports sqlite3"),
        ("from uuid import uuid4", "imports uuid.uuid4"),
        ("from uuid import UUID, uuid1 as make", "imports uuid.uuid1"),
        ("import uuid\nnew = uuid.uuid4()", "uses uuid4 (random id)"),
        ("from datetime import datetime\nat = datetime.now()", "reads the clock (.now)"),
        ("from datetime import datetime\nat = datetime.utcnow()", "reads the clock (.utcnow)"),
        ("from datetime import date\nday = date.today()", "reads the clock (.today)"),
        ("import datetime as dt\nclock = dt.datetime.now", "reads the clock (.now)"),
        ("from clocks import now\nat = now()", "calls now()"),
        ("started = time.time()", "reads the clock (time.time)"),
        ("data = open('pack.toml').read()", "calls open()"),
    ],
)
def test_the_purity_check_catches_an_impure_snippet(snippet: str, reason: str) -> None:
    found = impurities(snippet)
    assert len(found) == 1
    assert found[0].endswith(reason)


def test_the_purity_check_accepts_pure_date_and_id_code() -> None:
    source = """
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo
from care_contracts.domain.dates import local_date

def deadline(at: datetime) -> tuple[date, time, UUID]:
    opening = datetime.combine(local_date(at), time.min, tzinfo=ZoneInfo("Europe/Amsterdam"))
    return local_date(at) + timedelta(days=42), at.time(), uuid5(UUID(int=0), str(opening))
"""
    assert impurities(source) == []
