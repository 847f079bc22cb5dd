"""Revision grounds: officer findings with evidence; "unforeseen" must postdate signing (§6.2)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.errors import (
    GroundEvidenceMissing,
    GroundPredatesSigning,
    NoPendingOverrunReport,
    UnknownCeilingGround,
)
from care_contracts.domain.policy.catalog import ResolvedPack

AT = datetime(2027, 10, 12, 10, 0, tzinfo=UTC)
SIGNING_DAY = date(2026, 11, 5)  # the local day of the conftest contract's signature


def _assess(
    ceiling: RevenueCeiling,
    pack: ResolvedPack,
    ground: str,
    *,
    established: bool = True,
    occurred_on: date | None = None,
    evidence: str = "letter from the municipality, 3 February 2027",
) -> None:
    ceiling.record_ground_evidence(
        pack=pack,
        ground=ground,
        evidence=evidence,
        established=established,
        occurred_on=occurred_on,
        at=AT,
    )


def test_an_unforeseen_circumstance_on_the_signing_day_is_not_after_signing(
    reported: RevenueCeiling, msz: ResolvedPack, unforeseen: str
) -> None:
    assert reported.signed_on == SIGNING_DAY
    with pytest.raises(GroundPredatesSigning):
        _assess(reported, msz, unforeseen, occurred_on=SIGNING_DAY)
    assert reported.collect_events() == []
    assert reported.established_grounds == ()


def test_an_unforeseen_circumstance_the_day_after_signing_can_be_established(
    reported: RevenueCeiling, msz: ResolvedPack, unforeseen: str
) -> None:
    _assess(reported, msz, unforeseen, occurred_on=date(2026, 11, 6))

    [assessed] = reported.collect_events()
    assert isinstance(assessed, RevenueCeiling.RevisionGroundAssessed)
    assert assessed.TOPIC == "contracting.revenue_ceiling.revision_ground_assessed"
    assert (assessed.ground, assessed.established) == (unforeseen, True)
    assert assessed.occurred_on == date(2026, 11, 6)
    assert msz.pack.ceiling is not None
    assert assessed.rules == (msz.pack.ceiling.ground_rule, unforeseen)
    assert assessed.timestamp == AT
    assert reported.established_grounds == (unforeseen,)


def test_an_unforeseen_circumstance_needs_its_date_to_be_established(
    reported: RevenueCeiling, msz: ResolvedPack, unforeseen: str
) -> None:
    with pytest.raises(GroundPredatesSigning):
        _assess(reported, msz, unforeseen, occurred_on=None)
    assert reported.collect_events() == []


def test_finding_a_ground_not_established_needs_no_date_check(
    reported: RevenueCeiling, msz: ResolvedPack, unforeseen: str
) -> None:
    _assess(reported, msz, unforeseen, established=False, occurred_on=SIGNING_DAY)

    [assessed] = reported.collect_events()
    assert isinstance(assessed, RevenueCeiling.RevisionGroundAssessed)
    assert assessed.established is False
    assert reported.established_grounds == ()


def test_growth_has_no_signing_date_condition(
    reported: RevenueCeiling, msz: ResolvedPack, growth: str
) -> None:
    _assess(reported, msz, growth, occurred_on=date(2026, 1, 1))
    assert reported.established_grounds == (growth,)


def test_a_later_assessment_of_the_same_ground_replaces_the_earlier(
    grounded: RevenueCeiling, msz: ResolvedPack, growth: str
) -> None:
    _assess(grounded, msz, growth, established=False)
    assert grounded.established_grounds == ()


def test_an_assessment_records_its_evidence(
    reported: RevenueCeiling, msz: ResolvedPack, growth: str
) -> None:
    with pytest.raises(GroundEvidenceMissing):
        _assess(reported, msz, growth, evidence="  ")
    assert reported.collect_events() == []


def test_only_the_packs_grounds_can_be_assessed(
    reported: RevenueCeiling, msz: ResolvedPack
) -> None:
    with pytest.raises(UnknownCeilingGround):
        _assess(reported, msz, "ZZ-MSZ-CEILING-GROUND-WEATHER")
    assert reported.collect_events() == []


def test_grounds_are_assessed_only_for_a_pending_report(
    agreed: RevenueCeiling, msz: ResolvedPack, growth: str
) -> None:
    with pytest.raises(NoPendingOverrunReport):
        _assess(agreed, msz, growth)
    assert agreed.collect_events() == []
