"""Builders for ProviderApplication tests: fixed instants, providers, packs and ready applications.

The real Z&Z MSZ pack (via the session ``catalog`` fixture) drives the main paths; a tiny pack
built here covers edge cases the real packs do not have (an RO-only pack, a hard item that may be
not applicable, a window that starts after the pack is in force).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.approval import ProviderDetails
from care_contracts.domain.application.states import Channel, Origin, Outcome
from care_contracts.domain.dates import AMSTERDAM
from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.model import (
    Applicability,
    ApplicationPolicy,
    Comparison,
    ContractTypeSpec,
    ExclusionGround,
    PolicyPack,
    Requirement,
    Route,
    RuleKind,
    StartRule,
    SubType,
    Term,
)
from care_contracts.domain.policy.rules import Fact, applies_to
from care_contracts.domain.values import AgbCode, KvkNumber, Postcode

ZZ = "zorg-en-zekerheid"
INTEGRITY = "ZZ-EXCL-NEGATIVE-INTEGRITY"

# Metrics under which every hard MSZ requirement for an existing ZBC holds, and maatwerk fits.
MSZ_ZBC_PASSING: dict[str, Fact] = {
    "vecozo_certificate_valid": True,
    "agb_valid_for_term": True,
    "kvk_registered": True,
    "wtza_compliant": True,
    "big_compliant": True,
    "medical_staff_big_registered": True,
    "specialists_rgs_registered": True,
    "nen8009_certified": True,
    "quality_certificate": "hkz",
    "specialist_fte": Decimal("1.5"),
    "institution_kind": "zbc",
}


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A fixed instant, given in Amsterdam local time."""
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


def provider(role: str | None = None, agb: str = "22221111") -> ProviderDetails:
    return ProviderDetails(
        agb_enterprise=AgbCode(agb),
        kvk=KvkNumber("12345678"),
        name="Kliniek Aan Het IJ",
        city="Amsterdam",
        postcode=Postcode("1011 AB"),
        agb_establishments=(AgbCode("22221112"),),
        role=role,
    )


@pytest.fixture
def msz(catalog: PolicyCatalog) -> ResolvedPack:
    return catalog.in_force(ZZ, 2027, "msz", date(2026, 9, 1))


def submit(pack: ResolvedPack, **overrides: Any) -> ProviderApplication:
    """Submit with defaults for an existing provider applying for the pack's first sub-type."""
    subs = [s.code for s in pack.pack.sub_types]
    kwargs: dict[str, Any] = {
        "pack": pack,
        "provider": provider(),
        "insurer": pack.pack.insurer,
        "year": pack.pack.year,
        "care_type": pack.pack.care_type,
        "sub_type": "zbc" if "zbc" in subs else (subs[0] if subs else None),
        "route": Route.APPLICATION,
        "origin": Origin.PROVIDER,
        "channel": Channel.WEB_FORM,
        "is_new_provider": False,
        "at": at(2027, 3, 10),
    }
    kwargs.update(overrides)
    return ProviderApplication.submit(**kwargs)


def under_assessment(pack: ResolvedPack, **overrides: Any) -> ProviderApplication:
    app = submit(pack, **overrides)
    app.mark_complete(at=at(2027, 3, 11))
    return app


def assess_everything(
    app: ProviderApplication,
    pack: ResolvedPack,
    metrics: Mapping[str, Fact],
    *,
    when: datetime,
    skip: frozenset[str] = frozenset(),
) -> None:
    """Record metrics, every applicable requirement (soft ones met) and every ground absent."""
    if metrics:
        app.record_metrics(pack=pack, metrics=metrics, evidence="officer check", at=when)
    profile = app.profile()
    for requirement in pack.requirements:
        if requirement.code in skip or not applies_to(requirement.applies, profile):
            continue
        if requirement.kind is RuleKind.HARD:
            app.record_requirement_outcome(
                pack=pack, code=requirement.code, evidence="register look-up", at=when
            )
        else:
            app.record_requirement_outcome(
                pack=pack,
                code=requirement.code,
                outcome=Outcome.MET,
                evidence="declaration",
                motivation="declaration checked against the policy text",
                at=when,
            )
    for ground in pack.exclusion_grounds:
        if ground.code in skip or ground.code == INTEGRITY:
            continue
        if not applies_to(ground.applies, profile):
            continue
        app.record_exclusion_finding(
            pack=pack,
            code=ground.code,
            present=False,
            subject="provider",
            evidence="register and file check",
            at=when,
        )


@pytest.fixture
def ready_zbc(msz: ResolvedPack) -> ProviderApplication:
    """An existing ZBC applying in March 2027, fully assessed and approvable as maatwerk."""
    app = under_assessment(msz)
    assess_everything(app, msz, MSZ_ZBC_PASSING, when=at(2027, 3, 20))
    app.collect_events()
    return app


# --- a tiny pack for edge cases --------------------------------------------------------------


def tiny_pack(
    *,
    roles: tuple[str, ...] = (),
    received_from: date = date(2026, 7, 1),
    received_until: date = date(2027, 6, 30),
    version: str = "1.0",
) -> ResolvedPack:
    """One hard item, one hard item that may be not applicable, one soft item, three grounds."""
    pack = PolicyPack(
        id="tst-2027-care",
        version=version,
        valid_from=date(2026, 4, 1),
        title="Test care 2027",
        insurer="tst",
        insurer_name="Test insurer",
        year=2027,
        care_type="care",
        document="test",
        sub_types=(SubType(code="clinic", title="Clinic"), SubType(code="lab", title="Lab")),
        requirements=(
            Requirement(
                code="TST-FTE",
                title="Enough staff",
                kind=RuleKind.HARD,
                predicate=Comparison(metric="fte", op=">=", value=Decimal("1.2")),
            ),
            Requirement(
                code="TST-LICENCE",
                title="Licence where applicable",
                kind=RuleKind.HARD,
                may_be_not_applicable=True,
                predicate=Comparison(metric="licence_valid", op="==", value=True),
            ),
            Requirement(code="TST-QUALITY", title="Quality", kind=RuleKind.SOFT),
            Requirement(
                code="TST-LAB-QC",
                title="Lab quality control",
                kind=RuleKind.SOFT,
                applies=Applicability(sub_types=("lab",)),
            ),
        ),
        exclusion_grounds=(
            ExclusionGround(code="TST-EXCL-TAX", title="Tax"),
            ExclusionGround(
                code="TST-EXCL-IMPROPER-CARE",
                title="Improper care",
                lookback_years=3,
                lookback_anchor="date the care was requested",
            ),
            ExclusionGround(code=INTEGRITY, title="Negative integrity advice"),
        ),
        contract_types=(
            ContractTypeSpec(
                code="TST-CT-BASIC",
                title="Basic",
                negotiated=False,
                term=Term(start=date(2027, 1, 1), end=date(2027, 12, 31)),
                routes=(Route.APPLICATION, Route.ANNUAL_ROUND),
                eligibility=Comparison(metric="revenue_cents", op="<", value=Decimal("30000000")),
            ),
            ContractTypeSpec(
                code="TST-CT-ROUND",
                title="Round only",
                negotiated=True,
                term=Term(start=date(2027, 1, 1), end=date(2027, 12, 31)),
                routes=(Route.ANNUAL_ROUND,),
            ),
        ),
        start_rules=(
            StartRule(
                code="TST-START-APPLICATION",
                routes=(Route.APPLICATION,),
                kind="first_of_application_month",
            ),
            StartRule(code="TST-START-ROUND", routes=(Route.ANNUAL_ROUND,), kind="term_start"),
        ),
        application=ApplicationPolicy(
            channel="web_form",
            address="https://example.invalid/apply",
            received_from=received_from,
            received_until=received_until,
            applicant_roles=roles,
            window_rule="TST-APPLICATION-WINDOW",
        ),
    )
    return ResolvedPack(pack)


TINY_PASSING: dict[str, Fact] = {
    "fte": Decimal("2"),
    "licence_valid": True,
    "revenue_cents": Decimal("100000"),
}


@pytest.fixture
def tiny() -> ResolvedPack:
    return tiny_pack()
