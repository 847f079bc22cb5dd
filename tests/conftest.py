"""Fixtures shared by every test layer."""

from __future__ import annotations

import pytest

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.policy.loader import load_catalog


@pytest.fixture(scope="session")
def catalog() -> PolicyCatalog:
    """Every packaged policy pack, loaded and checked once per test session."""
    return load_catalog()
