"""The packaged policy packs load, resolve their parents and are selected by date."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.policy.errors import NoPolicyInForce
from care_contracts.domain.policy.model import PackRef
from care_contracts.services.policy.loader import PACKAGE, load_catalog

ZZ = "zorg-en-zekerheid"
CQ = "eucare"
PACKS_DIR = Path(__file__).resolve().parents[3] / "services" / "policy" / "packs"

EXPECTED = {
    "zz-2027-general": ("1.0", None),
    "zz-2027-msz": ("1.1", "zz-2027-general"),
    "zz-2027-gzsp": ("1.0", "zz-2027-general"),
    "zz-2026-multidisciplinary": ("1.0", None),
    "zz-2027-multidisciplinary": ("1.0", "zz-2027-general"),
    "cq-2027-general": ("1.1", None),
    "cq-2027-pharmacy": ("1.1", "cq-2027-general"),
    "cq-2027-disv-dietary": ("1.1", "cq-2027-general"),
}


def test_every_pack_file_in_the_package_is_loaded(catalog: PolicyCatalog) -> None:
    files = sorted(p.name for p in PACKS_DIR.glob("*.toml"))
    assert sorted(f"{pack.ref}.toml" for pack in catalog) == files
    assert PACKAGE == "care_contracts.services.policy.packs"


@pytest.mark.parametrize(("pack_id", "expected"), sorted(EXPECTED.items()))
def test_every_agreed_pack_id_exists_with_its_version_and_parent(
    catalog: PolicyCatalog, pack_id: str, expected: tuple[str, str | None]
) -> None:
    version, parent_id = expected
    resolved = catalog.get(PackRef(id=pack_id, version=version))
    if parent_id is None:
        assert resolved.parent is None
    else:
        assert resolved.parent is not None
        assert resolved.parent.id == parent_id
        assert resolved.parent.general


def test_the_2026_multidisciplinary_pack_declares_its_missing_parent(
    catalog: PolicyCatalog,
) -> None:
    pack = catalog.get(PackRef(id="zz-2026-multidisciplinary", version="1.0")).pack
    assert pack.parent is None
    assert pack.parent_unavailable is not None
    assert "zz-2026-general" in pack.parent_unavailable


def test_msz_declares_that_version_1_0_is_not_in_the_seeds(catalog: PolicyCatalog) -> None:
    pack = catalog.get(PackRef(id="zz-2027-msz", version="1.1")).pack
    assert pack.valid_from == date(2026, 6, 1)
    assert any("1.0" in text and "not in the seeds" in text for text in pack.assumptions)


def test_the_eucare_packs_name_purchaser_labels_and_policy_types(catalog: PolicyCatalog) -> None:
    for pack in catalog:
        if pack.insurer == CQ:
            assert "Caresq" in pack.insurer_name
            assert "Eucare" in pack.insurer_name
            assert pack.labels == ("Aevitae", "Care4Life")
            assert pack.policy_types == ("natura", "natura select", "combinatie")


@pytest.mark.parametrize(
    ("insurer", "year", "care_type", "pack_id"),
    [
        (ZZ, 2027, "msz", "zz-2027-msz"),
        (ZZ, 2027, "gzsp", "zz-2027-gzsp"),
        (ZZ, 2027, "multidisciplinary", "zz-2027-multidisciplinary"),
        (ZZ, 2026, "multidisciplinary", "zz-2026-multidisciplinary"),
        (CQ, 2027, "pharmacy", "cq-2027-pharmacy"),
        (CQ, 2027, "disv-dietary", "cq-2027-disv-dietary"),
    ],
)
def test_a_care_type_pack_is_selected_by_insurer_year_and_care_type(
    catalog: PolicyCatalog, insurer: str, year: int, care_type: str, pack_id: str
) -> None:
    resolved = catalog.in_force(insurer, year, care_type, date(2026, 10, 1))
    assert resolved.pack.id == pack_id
    assert resolved.pack.care_type == care_type


@pytest.mark.parametrize(
    ("insurer", "year", "care_type", "first_day"),
    [
        (ZZ, 2027, "msz", date(2026, 6, 1)),
        (ZZ, 2027, "gzsp", date(2026, 4, 1)),
        (ZZ, 2026, "multidisciplinary", date(2025, 4, 1)),
        (CQ, 2027, "pharmacy", date(2026, 7, 1)),
        (CQ, 2027, "disv-dietary", date(2026, 7, 1)),
    ],
)
def test_no_policy_is_in_force_the_day_before_valid_from(
    catalog: PolicyCatalog, insurer: str, year: int, care_type: str, first_day: date
) -> None:
    with pytest.raises(NoPolicyInForce):
        catalog.in_force(insurer, year, care_type, date.fromordinal(first_day.toordinal() - 1))
    assert catalog.in_force(insurer, year, care_type, first_day).pack.valid_from == first_day


def test_a_general_policy_is_never_selected_as_a_care_type(catalog: PolicyCatalog) -> None:
    with pytest.raises(NoPolicyInForce):
        catalog.in_force(ZZ, 2027, "general", date(2026, 10, 1))


def test_a_care_type_pack_inherits_the_general_rules_and_adds_its_own(
    catalog: PolicyCatalog,
) -> None:
    msz = catalog.in_force(ZZ, 2027, "msz", date(2026, 10, 1))
    codes = [r.code for r in msz.requirements]
    assert codes.index("ZZ-MIN-KVK") < codes.index("ZZ-MSZ-ALL-BIG-RGS")
    assert msz.exclusion_ground("ZZ-EXCL-IMPROPER-CARE") is not None
    assert msz.metric("kvk_registered") is not None
    assert msz.metric("specialist_fte") is not None
    pharmacy = catalog.in_force(CQ, 2027, "pharmacy", date(2026, 10, 1))
    assert pharmacy.requirement("CQ-MIN-VEKTIS-REGISTRATION") is not None
    assert pharmacy.exclusion_ground("ZZ-EXCL-TAX") is None


def test_msz_knows_every_sub_type_of_bijlage_1(catalog: PolicyCatalog) -> None:
    msz = catalog.in_force(ZZ, 2027, "msz", date(2026, 10, 1))
    assert {s.code for s in msz.pack.sub_types} == {
        "general_hospital",
        "umc",
        "top_clinical_hospital",
        "zbc",
        "dialysis",
        "edc",
        "msr",
        "thrombosis",
        "audiology",
        "radiotherapy",
        "proton_therapy",
    }


def test_out_of_scope_and_discontinued_contract_types_are_not_offerable(
    catalog: PolicyCatalog,
) -> None:
    not_offerable = {c.code for pack in catalog for c in pack.contract_types if not c.offerable}
    assert not_offerable == {
        "ZZ-MSZ-CT-SEH-BUDGET",
        "ZZ-MDZ-CT-OI-WIJKMANAGEMENT",
        "CQ-FARM-CT-RUNNING",
    }


def test_only_msz_and_gzsp_carry_a_ceiling_policy(catalog: PolicyCatalog) -> None:
    with_ceiling = {pack.id for pack in catalog if pack.ceiling is not None}
    assert with_ceiling == {"zz-2027-msz", "zz-2027-gzsp"}


def test_every_rule_entry_cites_its_source(catalog: PolicyCatalog) -> None:
    for pack in catalog:
        entries = [
            *pack.requirements,
            *pack.exclusion_grounds,
            *pack.contract_types,
            *pack.signing_rules,
            *pack.start_rules,
            *pack.metrics,
            *pack.milestones,
            *pack.periods,
        ]
        uncited = [getattr(e, "code", getattr(e, "name", "?")) for e in entries if not e.sources]
        assert uncited == [], f"{pack.ref}: {uncited}"
        assert pack.sources, str(pack.ref)


def test_every_pack_lists_its_assumptions_and_marks_them_in_the_entries(
    catalog: PolicyCatalog,
) -> None:
    for pack in catalog:
        assert pack.assumptions, str(pack.ref)
        marked = [
            e
            for e in (*pack.requirements, *pack.exclusion_grounds, *pack.start_rules)
            if e.assumption
        ]
        assert all(e.note for e in marked)


def test_a_later_version_never_changes_what_an_older_ref_returns(tmp_path: Path) -> None:
    for source in PACKS_DIR.glob("*.toml"):
        shutil.copy(source, tmp_path / source.name)
    old_text = (tmp_path / "zz-2027-msz@1.1.toml").read_text(encoding="utf-8")
    new_text = old_text.replace('version = "1.1"', 'version = "1.2"', 1).replace(
        "valid_from = 2026-06-01", "valid_from = 2026-08-01", 1
    )
    new_text = new_text.replace("deadline = 2026-11-11", "deadline = 2026-11-18", 1)
    (tmp_path / "zz-2027-msz@1.2.toml").write_text(new_text, encoding="utf-8")
    catalog = load_catalog(tmp_path)

    old = catalog.get(PackRef(id="zz-2027-msz", version="1.1"))
    assert old.pack.signing_rules[0].deadline == date(2026, 11, 11)
    assert catalog.in_force(ZZ, 2027, "msz", date(2026, 7, 31)).ref.version == "1.1"
    assert catalog.in_force(ZZ, 2027, "msz", date(2026, 8, 1)).ref.version == "1.2"
    assert catalog.newest_in_force("zz-2027-msz", date(2026, 8, 1)).ref.version == "1.2"
    assert catalog.get(PackRef(id="zz-2027-msz", version="1.1")).pack.signing_rules[
        0
    ].deadline == date(2026, 11, 11)
