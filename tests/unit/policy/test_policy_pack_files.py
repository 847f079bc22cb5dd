"""The packaged policy packs load, resolve their parents and are selected by date."""

from __future__ import annotations

from datetime import date

import pytest

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.policy.errors import NoPolicyInForce
from care_contracts.domain.policy.model import PackRef

ZZ = "zorg-en-zekerheid"


def test_the_zz_general_msz_and_gzsp_packs_load(catalog: PolicyCatalog) -> None:
    refs = {str(pack.ref) for pack in catalog}
    assert {"zz-2027-general@1.0", "zz-2027-msz@1.1", "zz-2027-gzsp@1.0"} <= refs


@pytest.mark.parametrize("care_type", ["msz", "gzsp"])
def test_a_zz_care_type_pack_inherits_the_general_requirements(
    catalog: PolicyCatalog, care_type: str
) -> None:
    resolved = catalog.in_force(ZZ, 2027, care_type, date(2026, 9, 1))
    assert resolved.parent is not None
    assert resolved.parent.ref == PackRef(id="zz-2027-general", version="1.0")
    assert resolved.requirement("ZZ-MIN-KVK") is not None
    assert resolved.exclusion_ground("ZZ-EXCL-PRIOR-CONTRACT-ENDED") is not None


def test_msz_is_not_in_force_before_version_1_1_is_published(catalog: PolicyCatalog) -> None:
    with pytest.raises(NoPolicyInForce):
        catalog.in_force(ZZ, 2027, "msz", date(2026, 5, 31))
    assert catalog.in_force(ZZ, 2027, "msz", date(2026, 6, 1)).ref.version == "1.1"
