"""Fault proofs: their figures are printed at the end of the run (they assert no times)."""

from __future__ import annotations

from typing import Any

import pytest

REPORTS: list[list[str]] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for lines in REPORTS:
        terminalreporter.section("fault proof figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def report_figures() -> list[list[str]]:
    """Append a report's lines here to have them printed after the tests."""
    return REPORTS
