"""The threshold table of brief §8.2, evaluated with the real pack predicates at each boundary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.model import Predicate
from care_contracts.domain.policy.rules import Facts, evaluate

ZZ = "zorg-en-zekerheid"


def _pack(catalog: PolicyCatalog, care_type: str) -> ResolvedPack:
    return catalog.in_force(ZZ, 2027, care_type, date(2026, 10, 1))


def _requirement(pack: ResolvedPack, code: str) -> Predicate:
    requirement = pack.requirement(code)
    assert requirement is not None
    assert requirement.predicate is not None
    return requirement.predicate


def _eligibility(pack: ResolvedPack, code: str) -> Predicate:
    spec = pack.contract_type(code)
    assert spec.eligibility is not None
    return spec.eligibility


@pytest.mark.parametrize("code", ["ZZ-MSZ-ZBC-NEW-MIN-VOLUME", "ZZ-MSZ-MSR-NEW-MIN-VOLUME"])
@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"zz_revenue_cents": Decimal(10_000_000)}, True),
        ({"zz_revenue_cents": Decimal(10_000_001)}, True),
        ({"zz_revenue_cents": Decimal(9_999_999), "zz_market_share_pct": Decimal(25)}, True),
        ({"zz_revenue_cents": Decimal(9_999_999), "zz_market_share_pct": Decimal("25.01")}, True),
        (
            {"zz_revenue_cents": Decimal(9_999_999), "zz_market_share_pct": Decimal("24.99")},
            False,
        ),
        ({"zz_revenue_cents": Decimal(9_999_999)}, None),
        ({"zz_market_share_pct": Decimal(25)}, True),
        ({}, None),
    ],
)
def test_a_new_zbc_or_msr_needs_100000_euro_revenue_or_25_percent_share(
    catalog: PolicyCatalog, code: str, facts: Facts, expected: bool | None
) -> None:
    msz = _pack(catalog, "msz")
    assert evaluate(_requirement(msz, code), facts) is expected


@pytest.mark.parametrize("code", ["ZZ-MSZ-ZBC-SPECIALIST-FTE", "ZZ-MSZ-MSR-SPECIALIST-FTE"])
@pytest.mark.parametrize(
    ("fte", "expected"),
    [(Decimal("1.2"), True), (Decimal("1.19"), False), (Decimal("1.21"), True), (Decimal(2), True)],
)
def test_zbc_and_msr_need_1_2_specialist_fte(
    catalog: PolicyCatalog, code: str, fte: Decimal, expected: bool
) -> None:
    msz = _pack(catalog, "msz")
    assert evaluate(_requirement(msz, code), {"specialist_fte": fte}) is expected


@pytest.mark.parametrize(
    ("outside", "revenue", "standard", "maatwerk"),
    [
        (False, 29_999_999, True, False),
        (False, 30_000_000, False, True),
        (False, 30_000_001, False, True),
        (True, 30_000_000, True, False),
        (True, 29_999_999, True, False),
    ],
)
@pytest.mark.parametrize("kind", ["edc", "thrombosis", "audiology", "radiotherapy"])
def test_the_standard_contract_is_for_outside_the_region_or_under_300000_euro(
    catalog: PolicyCatalog,
    kind: str,
    outside: bool,
    revenue: int,
    standard: bool,
    maatwerk: bool,
) -> None:
    msz = _pack(catalog, "msz")
    facts: Facts = {
        "outside_zz_region": outside,
        "zz_revenue_cents": Decimal(revenue),
        "institution_kind": kind,
    }
    assert evaluate(_eligibility(msz, "ZZ-MSZ-CT-STANDARD"), facts) is standard
    assert evaluate(_eligibility(msz, "ZZ-MSZ-CT-MAATWERK"), facts) is maatwerk
    assert kind in msz.contract_type("ZZ-MSZ-CT-STANDARD").applies.sub_types


@pytest.mark.parametrize("kind", ["general_hospital", "umc", "zbc", "dialysis", "msr"])
def test_hospitals_and_clinics_are_always_eligible_for_maatwerk(
    catalog: PolicyCatalog, kind: str
) -> None:
    msz = _pack(catalog, "msz")
    assert evaluate(_eligibility(msz, "ZZ-MSZ-CT-MAATWERK"), {"institution_kind": kind}) is True
    assert kind not in msz.contract_type("ZZ-MSZ-CT-STANDARD").applies.sub_types


@pytest.mark.parametrize(
    ("kind", "drug_revenue", "members", "expected"),
    [
        ("umc", 200_000_000, 5, True),
        ("top_clinical_hospital", 200_000_000, 5, True),
        ("umc", 199_999_999, 5, False),
        ("umc", 200_000_001, 4, False),
        ("umc", 500_000_000, 6, True),
        ("general_hospital", 500_000_000, 6, False),
    ],
)
def test_nip_needs_a_umc_or_top_clinical_hospital_2m_drug_revenue_and_5_members(
    catalog: PolicyCatalog, kind: str, drug_revenue: int, members: int, expected: bool
) -> None:
    msz = _pack(catalog, "msz")
    facts: Facts = {
        "institution_kind": kind,
        "expensive_drug_revenue_cents": Decimal(drug_revenue),
        "purchasing_group_members": Decimal(members),
    }
    assert evaluate(_eligibility(msz, "ZZ-MSZ-CT-NIP"), facts) is expected
    assert msz.contract_type("ZZ-MSZ-CT-NIP").addendum_to == "ZZ-MSZ-CT-MAATWERK"


@pytest.mark.parametrize(
    ("claims", "custom", "maatwerk"),
    [
        (10_000_000, False, False),
        (10_000_001, False, True),
        (9_999_999, False, False),
        (5_000_000, True, True),
    ],
)
def test_gzsp_maatwerk_is_for_more_than_100000_euro_strictly_or_custom_terms(
    catalog: PolicyCatalog, claims: int, custom: bool, maatwerk: bool
) -> None:
    gzsp = _pack(catalog, "gzsp")
    facts: Facts = {"expected_claims_cents": Decimal(claims), "custom_terms_needed": custom}
    assert evaluate(_eligibility(gzsp, "ZZ-GZSP-CT-MAATWERK"), facts) is maatwerk
    assert evaluate(_eligibility(gzsp, "ZZ-GZSP-CT-BASIS"), facts) is (not maatwerk)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"hkz_certified": True}, True),
        ({"hkz_certified": False, "months_since_first_zz_contract_start": Decimal(23)}, True),
        ({"hkz_certified": False, "months_since_first_zz_contract_start": Decimal(24)}, False),
    ],
)
def test_a_new_dialysis_centre_has_two_years_to_get_hkz(
    catalog: PolicyCatalog, facts: Facts, expected: bool
) -> None:
    msz = _pack(catalog, "msz")
    assert evaluate(_requirement(msz, "ZZ-MSZ-DIALYSIS-HKZ"), facts) is expected
    certification = msz.requirement("ZZ-MSZ-ALL-CERTIFICATION")
    assert certification is not None
    assert "dialysis" not in certification.applies.sub_types


@pytest.mark.parametrize(
    ("code", "facts", "expected"),
    [
        ("ZZ-MIN-KVK", {"kvk_registered": True}, True),
        ("ZZ-MIN-KVK", {"kvk_registered": False}, False),
        ("ZZ-MIN-VECOZO", {"vecozo_certificate_valid": True}, True),
        ("ZZ-MSZ-ALL-CERTIFICATION", {"quality_certificate": "niaz"}, True),
        ("ZZ-MSZ-ALL-CERTIFICATION", {"quality_certificate": "other"}, False),
        (
            "ZZ-MSZ-ALL-BIG-RGS",
            {"medical_staff_big_registered": True, "specialists_rgs_registered": False},
            False,
        ),
    ],
)
def test_register_and_certificate_items_are_boolean_and_choice_predicates(
    catalog: PolicyCatalog, code: str, facts: Facts, expected: bool
) -> None:
    msz = _pack(catalog, "msz")
    assert evaluate(_requirement(msz, code), facts) is expected


def test_the_mdz_allows_one_ro_per_region_and_only_ro_applicants(catalog: PolicyCatalog) -> None:
    mdz = catalog.in_force(ZZ, 2027, "multidisciplinary", date(2027, 1, 1))
    one_per_region = _requirement(mdz, "ZZ-MDZ-RO-ONE-PER-REGION")
    assert evaluate(one_per_region, {"other_ro_contracted_in_region": True}) is False
    assert evaluate(one_per_region, {"other_ro_contracted_in_region": False}) is True
    applicant = _requirement(mdz, "ZZ-MDZ-RO-APPLICANT")
    assert evaluate(applicant, {"applicant_role": "wsv"}) is False
    assert evaluate(applicant, {"applicant_role": "ro"}) is True
    assert mdz.pack.application is not None
    assert mdz.pack.application.applicant_roles == ("ro",)
