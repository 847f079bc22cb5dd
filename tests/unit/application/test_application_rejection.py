"""Rejecting an application: listed reasons, a motivation, and a trail behind each reason."""

from __future__ import annotations

import pytest

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.errors import (
    ExclusionGroundNotInPack,
    IncompleteReasonRequired,
    MotivationRequired,
    ReasonNeedsRuleCode,
    ReasonNotBackedByAssessment,
    RejectionReasonRequired,
    RequirementNotInPack,
    UnknownRuleCode,
)
from care_contracts.domain.application.states import (
    ApplicationStatus,
    AssessmentOutcome,
    IntegrityAdvice,
    Outcome,
    ReasonKind,
    RejectionReason,
)
from care_contracts.domain.errors import DomainError, RuleViolations
from care_contracts.domain.policy.catalog import ResolvedPack
from tests.unit.application.conftest import INTEGRITY, at, submit, under_assessment

DECIDED = at(2027, 4, 15)
QUALITY = "ZZ-MIN-CARE-QUALITY"


def _reject(
    app: ProviderApplication, pack: ResolvedPack, *reasons: RejectionReason, motivation: str = "m"
) -> None:
    app.reject(pack=pack, reasons=reasons, motivation=motivation, at=DECIDED)


def _refused(
    app: ProviderApplication, pack: ResolvedPack, *reasons: RejectionReason, motivation: str = "m"
) -> DomainError:
    app.collect_events()
    with pytest.raises(DomainError) as refused:
        _reject(app, pack, *reasons, motivation=motivation)
    assert app.collect_events() == []
    assert app.status not in (ApplicationStatus.REJECTED, ApplicationStatus.APPROVED)
    return refused.value


def test_a_received_application_can_be_rejected_on_supply_assessment(msz: ResolvedPack) -> None:
    app = submit(msz)
    app.collect_events()

    _reject(
        app,
        msz,
        RejectionReason(ReasonKind.SUPPLY_ASSESSMENT),
        motivation="the region is sufficiently served",
    )

    [assessed] = app.collect_events()
    assert isinstance(assessed, ProviderApplication.Assessed)
    assert assessed.outcome is AssessmentOutcome.REJECTED
    assert assessed.reasons == (RejectionReason(ReasonKind.SUPPLY_ASSESSMENT),)
    assert assessed.motivation == "the region is sufficiently served"
    assert (assessed.contract_type, assessed.computed_start_date) == (None, None)
    assert (assessed.pack_id, assessed.pack_version, assessed.rules) == (
        "zz-2027-msz",
        "1.1",
        (),
    )
    assert app.status is ApplicationStatus.REJECTED


def test_a_rejection_needs_a_reason(msz: ResolvedPack) -> None:
    assert isinstance(_refused(submit(msz), msz), RejectionReasonRequired)


def test_a_rejection_needs_a_motivation(msz: ResolvedPack) -> None:
    error = _refused(submit(msz), msz, RejectionReason(ReasonKind.DISCRETIONARY), motivation=" ")

    assert isinstance(error, MotivationRequired)


def test_a_rejection_without_reason_and_motivation_reports_both(msz: ResolvedPack) -> None:
    error = _refused(submit(msz), msz, motivation="")

    assert isinstance(error, RuleViolations)
    assert error.facts["codes"] == (
        "application_rejection_reason_required",
        "application_motivation_required",
    )


def test_an_incomplete_application_is_rejected_as_incomplete(msz: ResolvedPack) -> None:
    app = submit(msz)
    app.request_information(request="declaration", at=at(2027, 3, 12))

    error = _refused(app, msz, RejectionReason(ReasonKind.DISCRETIONARY))
    _reject(app, msz, RejectionReason(ReasonKind.INCOMPLETE), motivation="no answer in 3 months")

    assert isinstance(error, IncompleteReasonRequired)
    assert app.status is ApplicationStatus.REJECTED


def test_a_requirement_reason_names_its_rule_code(msz: ResolvedPack) -> None:
    app = under_assessment(msz)

    error = _refused(app, msz, RejectionReason(ReasonKind.REQUIREMENT_NOT_MET))

    assert isinstance(error, ReasonNeedsRuleCode)


def test_a_requirement_reason_rests_on_a_recorded_not_met_outcome(msz: ResolvedPack) -> None:
    app = under_assessment(msz)
    reason = RejectionReason(ReasonKind.REQUIREMENT_NOT_MET, QUALITY)

    error = _refused(app, msz, reason)
    app.record_requirement_outcome(
        pack=msz,
        code=QUALITY,
        outcome=Outcome.NOT_MET,
        evidence="inspection",
        motivation="no protocols",
        at=at(2027, 4, 1),
    )
    app.collect_events()
    _reject(app, msz, reason, motivation="care quality is not assured")

    assert isinstance(error, ReasonNotBackedByAssessment)
    [assessed] = app.collect_events()
    assert assessed.rules == (QUALITY,)


def test_an_exclusion_reason_rests_on_a_ground_that_counts(msz: ResolvedPack) -> None:
    app = under_assessment(msz)
    reason = RejectionReason(ReasonKind.EXCLUSION_GROUND, "ZZ-EXCL-TAX")
    app.record_exclusion_finding(
        pack=msz,
        code="ZZ-EXCL-TAX",
        present=False,
        subject="provider",
        evidence="statement",
        at=at(2027, 4, 1),
    )

    error = _refused(app, msz, reason)
    app.record_exclusion_finding(
        pack=msz,
        code="ZZ-EXCL-TAX",
        present=True,
        subject="provider",
        evidence="tax office",
        at=at(2027, 4, 2),
    )
    _reject(app, msz, reason)

    assert isinstance(error, ReasonNotBackedByAssessment)
    assert app.status is ApplicationStatus.REJECTED


def test_a_negative_integrity_advice_backs_an_integrity_reason(msz: ResolvedPack) -> None:
    app = under_assessment(msz)
    app.open_integrity_investigation(reason="signal", at=at(2027, 4, 1))
    app.conclude_integrity_investigation(
        pack=msz, advice=IntegrityAdvice.NEGATIVE, motivation="RIZ", at=at(2027, 4, 8)
    )

    _reject(app, msz, RejectionReason(ReasonKind.EXCLUSION_GROUND, INTEGRITY))

    assert app.status is ApplicationStatus.REJECTED


def test_reason_codes_must_exist_in_the_pack_chain(msz: ResolvedPack) -> None:
    app = under_assessment(msz)

    not_a_requirement = _refused(
        app, msz, RejectionReason(ReasonKind.REQUIREMENT_NOT_MET, "CQ-MIN-QUALITY")
    )
    not_a_ground = _refused(
        app, msz, RejectionReason(ReasonKind.EXCLUSION_GROUND, "CQ-EXCL-FRAUD-SUSPICION")
    )
    not_a_rule = _refused(app, msz, RejectionReason(ReasonKind.DISCRETIONARY, "ZZ-MSZ-NOPE"))

    assert isinstance(not_a_requirement, RequirementNotInPack)
    assert isinstance(not_a_ground, ExclusionGroundNotInPack)
    assert isinstance(not_a_rule, UnknownRuleCode)


def test_an_optional_rule_code_on_another_reason_is_recorded(msz: ResolvedPack) -> None:
    app = under_assessment(msz, is_new_provider=True)
    app.collect_events()

    _reject(
        app,
        msz,
        RejectionReason(ReasonKind.SUPPLY_ASSESSMENT, "ZZ-MSZ-NEW-SUPPLY-ASSESSMENT"),
        RejectionReason(ReasonKind.DISCRETIONARY),
    )

    [assessed] = app.collect_events()
    assert assessed.rules == ("ZZ-MSZ-NEW-SUPPLY-ASSESSMENT",)
    assert len(assessed.reasons) == 2
