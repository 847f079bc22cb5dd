"""Exclusion findings with their look-back, and integrity investigations (brief §7.2)."""

from __future__ import annotations

from datetime import date

import pytest

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.errors import (
    EvidenceRequired,
    ExclusionGroundNotInPack,
    FactDateRequired,
    IntegrityGroundFollowsInvestigation,
    IntegrityInvestigationAlreadyOpen,
    MotivationRequired,
    NoOpenIntegrityInvestigation,
)
from care_contracts.domain.application.states import IntegrityAdvice
from care_contracts.domain.policy.catalog import ResolvedPack
from tests.unit.application.conftest import INTEGRITY, at, under_assessment

IMPROPER_CARE = "ZZ-EXCL-IMPROPER-CARE"  # three-year look-back from the date care was requested
ASSESSED = at(2027, 3, 20)  # look-back boundary: 2024-03-20


def _assessing(pack: ResolvedPack) -> ProviderApplication:
    app = under_assessment(pack)
    app.collect_events()
    return app


def _find(app: ProviderApplication, pack: ResolvedPack, fact_date: date | None) -> None:
    app.record_exclusion_finding(
        pack=pack,
        code=IMPROPER_CARE,
        present=True,
        fact_date=fact_date,
        subject="provider",
        evidence="NZa report",
        at=ASSESSED,
    )


def test_a_finding_records_presence_fact_date_subject_evidence_and_whether_it_counts(
    msz: ResolvedPack,
) -> None:
    app = _assessing(msz)

    _find(app, msz, date(2025, 6, 1))

    [assessed] = app.collect_events()
    assert isinstance(assessed, ProviderApplication.ExclusionGroundAssessed)
    assert type(assessed).TOPIC == "contracting.application.exclusion_ground_assessed"
    assert (assessed.code, assessed.present, assessed.counts) == (IMPROPER_CARE, True, True)
    assert (assessed.fact_date, assessed.subject, assessed.evidence) == (
        date(2025, 6, 1),
        "provider",
        "NZa report",
    )
    assert (assessed.pack_id, assessed.pack_version, assessed.rules) == (
        "zz-2027-msz",
        "1.1",
        (IMPROPER_CARE,),
    )


def test_a_fact_on_the_look_back_boundary_day_still_counts(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    _find(app, msz, date(2024, 3, 20))

    assert app.exclusion_findings[IMPROPER_CARE].counts is True


def test_a_fact_the_day_before_the_look_back_no_longer_counts(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    _find(app, msz, date(2024, 3, 19))

    finding = app.exclusion_findings[IMPROPER_CARE]
    assert (finding.present, finding.counts) == (True, False)


def test_the_look_back_runs_from_the_local_assessment_date(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    # 00:30 on 21 March in Amsterdam: the boundary moves to 2024-03-21.
    app.record_exclusion_finding(
        pack=msz,
        code=IMPROPER_CARE,
        present=True,
        fact_date=date(2024, 3, 20),
        subject="provider",
        evidence="NZa report",
        at=at(2027, 3, 21, 0, 30),
    )

    assert app.exclusion_findings[IMPROPER_CARE].counts is False


def test_a_present_fact_on_a_look_back_ground_needs_its_date(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    with pytest.raises(FactDateRequired):
        _find(app, msz, None)

    assert app.collect_events() == []


def test_a_ground_without_look_back_counts_whatever_its_age(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    app.record_exclusion_finding(
        pack=msz,
        code="ZZ-EXCL-INSOLVENCY-OR-CESSATION",
        present=True,
        fact_date=date(1999, 1, 1),
        subject="former director's company",
        evidence="insolvency register",
        at=ASSESSED,
    )

    assert app.exclusion_findings["ZZ-EXCL-INSOLVENCY-OR-CESSATION"].counts is True


def test_a_finding_outside_the_pack_chain_or_without_evidence_is_refused(
    msz: ResolvedPack,
) -> None:
    app = _assessing(msz)

    with pytest.raises(ExclusionGroundNotInPack):
        app.record_exclusion_finding(
            pack=msz,
            code="CQ-EXCL-FRAUD-SUSPICION",
            present=False,
            subject="provider",
            evidence="x",
            at=ASSESSED,
        )
    with pytest.raises(EvidenceRequired):
        app.record_exclusion_finding(
            pack=msz,
            code="ZZ-EXCL-TAX",
            present=False,
            subject="provider",
            evidence="",
            at=ASSESSED,
        )

    assert app.collect_events() == []


def test_the_integrity_ground_is_not_an_officer_finding(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    with pytest.raises(IntegrityGroundFollowsInvestigation):
        app.record_exclusion_finding(
            pack=msz, code=INTEGRITY, present=False, subject="provider", evidence="x", at=ASSESSED
        )

    assert app.collect_events() == []


def test_opening_an_investigation_records_it_and_a_second_is_refused(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    app.open_integrity_investigation(reason="signal from controls", at=ASSESSED)

    [opened] = app.collect_events()
    assert type(opened).TOPIC == "contracting.application.integrity_investigation_opened"
    assert app.integrity_investigation_open is True
    with pytest.raises(IntegrityInvestigationAlreadyOpen):
        app.open_integrity_investigation(reason="again", at=ASSESSED)
    assert app.collect_events() == []


def test_a_negative_advice_establishes_the_integrity_exclusion_ground(msz: ResolvedPack) -> None:
    app = _assessing(msz)
    app.open_integrity_investigation(reason="signal", at=ASSESSED)
    app.collect_events()

    app.conclude_integrity_investigation(
        pack=msz,
        advice=IntegrityAdvice.NEGATIVE,
        motivation="RIZ: undisclosed ties to a sanctioned company",
        at=at(2027, 4, 1),
    )

    [concluded] = app.collect_events()
    assert type(concluded).TOPIC == "contracting.application.integrity_investigation_concluded"
    assert concluded.advice is IntegrityAdvice.NEGATIVE
    assert concluded.ground_established == INTEGRITY
    assert concluded.rules == (INTEGRITY,)
    assert app.integrity_investigation_open is False
    assert app.integrity_ground_established is True


def test_a_positive_advice_closes_the_investigation_and_establishes_nothing(
    msz: ResolvedPack,
) -> None:
    app = _assessing(msz)
    app.open_integrity_investigation(reason="signal", at=ASSESSED)
    app.collect_events()

    app.conclude_integrity_investigation(
        pack=msz, advice=IntegrityAdvice.POSITIVE, motivation="no findings", at=at(2027, 4, 1)
    )

    [concluded] = app.collect_events()
    assert (concluded.ground_established, concluded.rules) == (None, ())
    assert app.integrity_ground_established is False


def test_a_negative_advice_establishes_no_ground_a_pack_does_not_have(tiny: ResolvedPack) -> None:
    grounds = tuple(g for g in tiny.pack.exclusion_grounds if g.code != INTEGRITY)
    pack = ResolvedPack(tiny.pack.model_copy(update={"exclusion_grounds": grounds}))
    app = _assessing(pack)
    app.open_integrity_investigation(reason="signal", at=ASSESSED)

    app.conclude_integrity_investigation(
        pack=pack, advice=IntegrityAdvice.NEGATIVE, motivation="doubts", at=ASSESSED
    )

    assert app.integrity_ground_established is False


def test_concluding_needs_an_open_investigation_and_a_motivation(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    with pytest.raises(NoOpenIntegrityInvestigation):
        app.conclude_integrity_investigation(
            pack=msz, advice=IntegrityAdvice.POSITIVE, motivation="fine", at=ASSESSED
        )
    app.open_integrity_investigation(reason="signal", at=ASSESSED)
    app.collect_events()
    with pytest.raises(MotivationRequired):
        app.conclude_integrity_investigation(
            pack=msz, advice=IntegrityAdvice.POSITIVE, motivation=" ", at=ASSESSED
        )

    assert app.collect_events() == []
