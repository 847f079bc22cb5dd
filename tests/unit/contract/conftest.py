"""Fixtures for the contract tests; the builders live in ``contract_builders``."""

from __future__ import annotations

import pytest

from care_contracts.domain.policy.catalog import PolicyCatalog

from .contract_builders import ContractBuilder, caresq_pack


@pytest.fixture(scope="session")
def contracts(catalog: PolicyCatalog) -> ContractBuilder:
    return ContractBuilder(PolicyCatalog([*catalog, caresq_pack()]))
