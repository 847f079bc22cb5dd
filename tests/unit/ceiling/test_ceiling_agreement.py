"""Agreeing a revenue ceiling: only a signed, live contract whose type carries one (brief §4.4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.errors import (
    CeilingAmountNotPositive,
    CeilingNotCarried,
    CeilingYearOutsideContract,
    ContractNotLive,
    ContractNotSigned,
    NoCeilingPolicy,
)
from care_contracts.domain.ceiling.outcomes import CeilingStatus
from care_contracts.domain.contract.facts import ContractFacts
from care_contracts.domain.errors import RuleViolations
from care_contracts.domain.identity import natural_id
from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.errors import PolicyPackMismatch
from care_contracts.domain.policy.model import PackRef
from care_contracts.domain.values import Money

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
AMOUNT = Money.euros(1_000_000)


def test_agreeing_records_the_ceiling_with_its_pack_and_the_contract_type_rule(
    msz: ResolvedPack, contract: ContractFacts
) -> None:
    ceiling = RevenueCeiling.agree(contract=contract, pack=msz, year=2027, amount=AMOUNT, at=AT)

    [agreed] = ceiling.collect_events()
    assert isinstance(agreed, RevenueCeiling.Agreed)
    assert agreed.TOPIC == "contracting.revenue_ceiling.agreed"
    assert (agreed.contract_id, agreed.year, agreed.amount) == (contract.contract_id, 2027, AMOUNT)
    assert (agreed.pack_id, agreed.pack_version) == (msz.ref.id, msz.ref.version)
    assert agreed.rules == (contract.contract_type,)
    assert agreed.timestamp == AT
    assert agreed.signed_on == date(2026, 11, 5)
    assert ceiling.status is CeilingStatus.AGREED


def test_the_ceiling_id_follows_from_contract_and_year(
    msz: ResolvedPack, contract: ContractFacts
) -> None:
    ceiling = RevenueCeiling.agree(contract=contract, pack=msz, year=2027, amount=AMOUNT, at=AT)

    assert ceiling.id == RevenueCeiling.create_id(contract.contract_id, 2027)
    assert ceiling.id == natural_id("revenue_ceiling", contract.contract_id, 2027)
    assert ceiling.id != RevenueCeiling.create_id(contract.contract_id, 2028)


def test_a_contract_type_without_a_ceiling_cannot_get_one(
    msz: ResolvedPack, contract: ContractFacts
) -> None:
    standard = next(
        c.code for c in msz.pack.contract_types if c.offerable and not c.carries_ceiling
    )
    facts = replace(contract, contract_type=standard, carries_ceiling=False)

    with pytest.raises(CeilingNotCarried) as refused:
        RevenueCeiling.agree(contract=facts, pack=msz, year=2027, amount=AMOUNT, at=AT)
    assert refused.value.facts["rule"] == standard


def test_an_unsigned_contract_cannot_get_a_ceiling(
    msz: ResolvedPack, contract: ContractFacts
) -> None:
    with pytest.raises(ContractNotSigned):
        RevenueCeiling.agree(
            contract=replace(contract, signed_at=None), pack=msz, year=2027, amount=AMOUNT, at=AT
        )


def test_a_contract_no_longer_live_cannot_get_a_ceiling(
    msz: ResolvedPack, contract: ContractFacts
) -> None:
    with pytest.raises(ContractNotLive):
        RevenueCeiling.agree(
            contract=replace(contract, live=False), pack=msz, year=2027, amount=AMOUNT, at=AT
        )


def test_the_ceiling_is_decided_by_the_pack_its_contract_is_pinned_to(
    gzsp: ResolvedPack, contract: ContractFacts
) -> None:
    with pytest.raises(PolicyPackMismatch):
        RevenueCeiling.agree(contract=contract, pack=gzsp, year=2027, amount=AMOUNT, at=AT)


def test_a_ceiling_is_for_the_contract_year_and_a_positive_amount(
    msz: ResolvedPack, contract: ContractFacts
) -> None:
    with pytest.raises(CeilingYearOutsideContract):
        RevenueCeiling.agree(contract=contract, pack=msz, year=2028, amount=AMOUNT, at=AT)
    with pytest.raises(CeilingAmountNotPositive):
        RevenueCeiling.agree(contract=contract, pack=msz, year=2027, amount=Money(0), at=AT)


def test_every_broken_agreement_rule_is_reported_at_once(
    msz: ResolvedPack, contract: ContractFacts
) -> None:
    with pytest.raises(RuleViolations) as refused:
        RevenueCeiling.agree(contract=contract, pack=msz, year=2028, amount=Money(-1), at=AT)
    assert set(refused.value.facts["codes"]) == {
        CeilingYearOutsideContract.code,
        CeilingAmountNotPositive.code,
    }


def test_a_pack_without_a_ceiling_policy_has_no_ceilings(
    catalog: PolicyCatalog, contract: ContractFacts
) -> None:
    mdz = catalog.get(PackRef(id="zz-2027-multidisciplinary", version="1.0"))
    assert mdz.pack.ceiling is None
    facts = replace(contract, pack=mdz.ref, contract_type=mdz.pack.contract_types[0].code)

    with pytest.raises(NoCeilingPolicy):
        RevenueCeiling.agree(contract=facts, pack=mdz, year=2027, amount=AMOUNT, at=AT)
