"""Labels and policy types on care-finder listings come from the insurer's pack (brief §11)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.projections.care_finder.query import (
    CareFinderPage,
    ContractPeriod,
    Listing,
    with_pack_facts,
)

ON = date(2027, 1, 15)


def _listing(insurer: str, care_type: str, year: int = 2027) -> Listing:
    return Listing(
        contract_id=uuid4(),
        provider_name="Apotheek Centrum",
        agb_code="06222222",
        agb_establishments=(),
        city="Rotterdam",
        postcode="3011 AA",
        insurer=insurer,
        care_type=care_type,
        sub_type=None,
        contract_year=year,
        period=ContractPeriod(starts_on=date(year, 1, 1), ends_on=date(year, 12, 31)),
        partially_contracted=False,
        excluded_services=(),
    )


def test_eucare_listings_carry_its_labels_and_policy_types_and_others_none(
    catalog: PolicyCatalog,
) -> None:
    eucare = _listing("eucare", "pharmacy")
    zz = _listing("zorg-en-zekerheid", "gzsp")
    page = with_pack_facts(CareFinderPage(items=(eucare, zz), next_cursor="c"), catalog, ON)

    assert [(i.contract_id, i.labels, i.policy_types) for i in page.items] == [
        (eucare.contract_id, ("Aevitae", "Care4Life"), ("natura", "natura select", "combinatie")),
        (zz.contract_id, (), ()),
    ]
    assert page.next_cursor == "c"


def test_a_listing_no_pack_covers_on_the_day_keeps_them_empty(catalog: PolicyCatalog) -> None:
    before_any_2027_pack = date(2026, 1, 1)
    page = with_pack_facts(
        CareFinderPage(items=(_listing("eucare", "pharmacy"),), next_cursor=None),
        catalog,
        before_any_2027_pack,
    )
    assert (page.items[0].labels, page.items[0].policy_types) == ((), ())
