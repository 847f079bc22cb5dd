"""Builders for the revenue-ceiling tests: contract facts, ceilings and frames on the real packs.

``zz-2027-msz@1.1`` and ``zz-2027-gzsp@1.0`` (the session ``catalog``) carry the ceiling policy of
brief §10: notice by 1 October 2027, decision by 31 March 2028 (MSZ) or 1 November 2027 (GZSP).
Tests read rule and ground codes from the pack they use, never from literals.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid5

import pytest

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.contract.facts import ContractFacts
from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.model import PackRef
from care_contracts.domain.values import Money

# The contract was signed on 5 November 2026 (before the 11 November signing deadline).
SIGNED_AT = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
AGREED_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NOTICE_AT = datetime(2027, 9, 15, 8, 0, tzinfo=UTC)
ASSESSED_AT = datetime(2027, 10, 10, 8, 0, tzinfo=UTC)
CEILING = Money.euros(1_000_000)
FRAME = Money.euros(200_000)
_IDS = UUID("0b6f3f0e-7b0a-4e0c-9a53-2f1d9d1f0a01")


@pytest.fixture
def msz(catalog: PolicyCatalog) -> ResolvedPack:
    return catalog.get(PackRef(id="zz-2027-msz", version="1.1"))


@pytest.fixture
def gzsp(catalog: PolicyCatalog) -> ResolvedPack:
    return catalog.get(PackRef(id="zz-2027-gzsp", version="1.0"))


def _ceiling_carrying_type(pack: ResolvedPack) -> str:
    return next(c.code for c in pack.pack.contract_types if c.carries_ceiling)


def _ground(pack: ResolvedPack, *, after_signing: bool) -> str:
    policy = pack.pack.ceiling
    assert policy is not None
    return next(g.code for g in policy.grounds if g.occurred_after_signing is after_signing)


def _contract(pack: ResolvedPack, name: str) -> ContractFacts:
    code = _ceiling_carrying_type(pack)
    return ContractFacts(
        contract_id=uuid5(_IDS, f"{pack.ref}/{name}"),
        pack=pack.ref,
        insurer=pack.pack.insurer,
        year=pack.pack.year,
        care_type=pack.pack.care_type,
        contract_type=code,
        carries_ceiling=pack.contract_type(code).carries_ceiling,
        signed_at=SIGNED_AT,
        live=True,
        start=date(2027, 1, 1),
        end=date(2027, 12, 31),
    )


def _agreed(pack: ResolvedPack, name: str) -> RevenueCeiling:
    ceiling = RevenueCeiling.agree(
        contract=_contract(pack, name), pack=pack, year=pack.pack.year, amount=CEILING, at=AGREED_AT
    )
    ceiling.collect_events()  # as if saved: tests see only what their own command records
    return ceiling


def _reported(pack: ResolvedPack, name: str) -> RevenueCeiling:
    ceiling = _agreed(pack, name)
    ceiling.report_expected_overrun(
        contract=_contract(pack, name),
        pack=pack,
        received_at=NOTICE_AT,
        channel="zorginkoop mailbox",
        expected_amount=CEILING + Money.euros(150_000),
        grounds_claimed=(_ground(pack, after_signing=False),),
        at=NOTICE_AT,
    )
    ceiling.collect_events()
    return ceiling


def _grounded(pack: ResolvedPack, name: str) -> RevenueCeiling:
    ceiling = _reported(pack, name)
    ceiling.record_ground_evidence(
        pack=pack,
        ground=_ground(pack, after_signing=False),
        evidence="insured persons in the region +6.1 % on 2026 (Vektis)",
        established=True,
        occurred_on=None,
        at=ASSESSED_AT,
    )
    ceiling.collect_events()
    return ceiling


@pytest.fixture
def contract(msz: ResolvedPack) -> ContractFacts:
    """A signed, live MSZ maatwerk contract (its type carries a ceiling)."""
    return _contract(msz, "provider-1")


@pytest.fixture
def growth(msz: ResolvedPack) -> str:
    return _ground(msz, after_signing=False)


@pytest.fixture
def unforeseen(msz: ResolvedPack) -> str:
    return _ground(msz, after_signing=True)


@pytest.fixture
def agreed(msz: ResolvedPack) -> RevenueCeiling:
    """An MSZ ceiling of EUR 1,000,000, agreed and saved."""
    return _agreed(msz, "provider-1")


@pytest.fixture
def reported(msz: ResolvedPack) -> RevenueCeiling:
    """The MSZ ceiling with an on-time overrun notice pending."""
    return _reported(msz, "provider-1")


@pytest.fixture
def grounded(msz: ResolvedPack) -> RevenueCeiling:
    """The pending MSZ report with the growth ground established."""
    return _grounded(msz, "provider-1")


@pytest.fixture
def other_grounded(msz: ResolvedPack) -> RevenueCeiling:
    """A second provider's MSZ ceiling, also ready for approval, drawing on the same frame."""
    return _grounded(msz, "provider-2")


@pytest.fixture
def gzsp_grounded(gzsp: ResolvedPack) -> RevenueCeiling:
    return _grounded(gzsp, "provider-1")


@pytest.fixture
def frame(msz: ResolvedPack) -> FinancialFrame:
    """Z&Z's MSZ 2027 frame for revisions: EUR 200,000, nothing reserved yet."""
    frame = FinancialFrame.open(
        insurer=msz.pack.insurer,
        year=msz.pack.year,
        care_type=msz.pack.care_type,
        amount=FRAME,
        at=AGREED_AT,
    )
    frame.collect_events()
    return frame
