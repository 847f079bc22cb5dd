"""The three-year look-back of the Z&Z exclusion grounds (brief §7.2), real pack grounds."""

from __future__ import annotations

from datetime import date

import pytest

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.policy.model import ExclusionGround, PackRef
from care_contracts.domain.policy.rules import fact_counts

THREE_YEAR_GROUNDS = ["ZZ-EXCL-PRIOR-CONTRACT-ENDED", "ZZ-EXCL-IMPROPER-CARE"]


def _ground(catalog: PolicyCatalog, code: str) -> ExclusionGround:
    general = catalog.get(PackRef(id="zz-2027-general", version="1.0"))
    ground = general.exclusion_ground(code)
    assert ground is not None
    return ground


def test_exactly_two_z_and_z_grounds_look_back_three_years(catalog: PolicyCatalog) -> None:
    general = catalog.get(PackRef(id="zz-2027-general", version="1.0"))
    with_lookback = {
        g.code: g.lookback_years for g in general.exclusion_grounds if g.lookback_years
    }
    assert with_lookback == dict.fromkeys(THREE_YEAR_GROUNDS, 3)


@pytest.mark.parametrize("code", THREE_YEAR_GROUNDS)
@pytest.mark.parametrize(
    ("fact_date", "assessed_on", "counts"),
    [
        (date(2023, 10, 5), date(2026, 10, 5), True),
        (date(2023, 10, 4), date(2026, 10, 5), False),
        (date(2023, 10, 6), date(2026, 10, 5), True),
        (date(2025, 2, 28), date(2028, 2, 29), True),
        (date(2025, 2, 27), date(2028, 2, 29), False),
        (date(2024, 2, 29), date(2027, 2, 28), True),
        (date(2024, 2, 28), date(2027, 2, 28), True),
        (date(2024, 2, 27), date(2027, 2, 28), False),
    ],
)
def test_a_fact_counts_on_or_after_the_same_day_three_years_back(
    catalog: PolicyCatalog, code: str, fact_date: date, assessed_on: date, counts: bool
) -> None:
    assert fact_counts(_ground(catalog, code), fact_date, assessed_on) is counts


@pytest.mark.parametrize(
    "code", ["ZZ-EXCL-INSOLVENCY-OR-CESSATION", "ZZ-EXCL-CRIMINAL-CONVICTION", "ZZ-EXCL-TAX"]
)
def test_grounds_without_a_period_count_however_old_the_fact(
    catalog: PolicyCatalog, code: str
) -> None:
    assert fact_counts(_ground(catalog, code), date(1990, 1, 1), date(2026, 10, 5)) is True
