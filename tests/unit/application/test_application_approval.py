"""Approving an application: the Assessed event, the hand-off and every approval guard."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.approval import ApprovedAssessment
from care_contracts.domain.application.errors import (
    ApplicationNotApproved,
    ApplicationNotComplete,
    CommandNotAllowedInState,
    ContractTypeNotApplicable,
    ContractTypeNotEligible,
    ContractTypeRouteMismatch,
    EligibilityMetricMissing,
    ExclusionGroundNotAssessed,
    ExclusionGroundPresent,
    IntegrityInvestigationOpen,
    RequirementNotAssessed,
    RequirementNotMet,
)
from care_contracts.domain.application.states import (
    ApplicationStatus,
    AssessmentOutcome,
    IntegrityAdvice,
    Outcome,
)
from care_contracts.domain.errors import DomainError, RuleViolations
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.errors import ContractTypeNotInPack
from care_contracts.domain.policy.model import PackRef, Route
from tests.unit.application.conftest import (
    INTEGRITY,
    MSZ_ZBC_PASSING,
    TINY_PASSING,
    assess_everything,
    at,
    provider,
    submit,
    under_assessment,
)

MAATWERK = "ZZ-MSZ-CT-MAATWERK"
FTE = "ZZ-MSZ-ZBC-SPECIALIST-FTE"
DECIDED = at(2027, 4, 15)


def test_approval_records_the_contract_type_start_date_pack_and_deciding_rules(
    ready_zbc: ProviderApplication,
    msz: ResolvedPack,
) -> None:
    ready_zbc.approve(pack=msz, contract_type=MAATWERK, at=DECIDED)

    [assessed] = ready_zbc.collect_events()
    assert isinstance(assessed, ProviderApplication.Assessed)
    assert type(assessed).TOPIC == "contracting.application.assessed"
    assert assessed.outcome is AssessmentOutcome.APPROVED
    assert assessed.contract_type == MAATWERK
    # Complete on 10 March 2027: the first day of the month of application (brief §6.3).
    assert assessed.computed_start_date == date(2027, 3, 1)
    assert (assessed.pack_id, assessed.pack_version) == ("zz-2027-msz", "1.1")
    assert {MAATWERK, "ZZ-MSZ-START-APPLICATION", "ZZ-MIN-KVK", FTE, "ZZ-EXCL-TAX"} <= set(
        assessed.rules
    )
    assert "ZZ-MSZ-EDC-LESA" not in assessed.rules  # another sub-type's rule did not decide
    assert assessed.reasons == ()
    assert assessed.timestamp == DECIDED
    assert ready_zbc.status is ApplicationStatus.APPROVED


def test_an_application_complete_in_2026_starts_on_the_first_of_january_2027(
    msz: ResolvedPack,
) -> None:
    app = under_assessment(msz, at=at(2026, 10, 5))
    assess_everything(app, msz, MSZ_ZBC_PASSING, when=at(2027, 1, 10))

    app.approve(pack=msz, contract_type=MAATWERK, at=at(2027, 1, 20))

    assert app.provisional_start == date(2027, 1, 1)


def test_the_approval_hands_the_offer_everything_it_needs(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    ready_zbc.approve(pack=msz, contract_type=MAATWERK, at=DECIDED)

    assert ready_zbc.approval == ApprovedAssessment(
        application_id=ready_zbc.id,
        provider=provider(),
        insurer="zorg-en-zekerheid",
        year=2027,
        care_type="msz",
        sub_type="zbc",
        route=Route.APPLICATION,
        pack=PackRef(id="zz-2027-msz", version="1.1"),
        contract_type=MAATWERK,
        application_date=date(2027, 3, 10),
        decided_at=DECIDED,
        provisional_start=date(2027, 3, 1),
    )


def test_there_is_no_approval_to_hand_over_before_approval(
    ready_zbc: ProviderApplication,
) -> None:
    with pytest.raises(ApplicationNotApproved):
        _ = ready_zbc.approval


def test_an_approved_application_is_final(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    ready_zbc.approve(pack=msz, contract_type=MAATWERK, at=DECIDED)
    ready_zbc.collect_events()

    with pytest.raises(CommandNotAllowedInState):
        ready_zbc.withdraw(at=DECIDED)
    with pytest.raises(CommandNotAllowedInState):
        ready_zbc.approve(pack=msz, contract_type=MAATWERK, at=DECIDED)

    assert ready_zbc.approval_blockers(msz, DECIDED)[0].code == (
        "application_command_not_allowed_in_state"
    )
    assert ready_zbc.collect_events() == []


def test_the_blockers_query_lists_nothing_for_a_ready_application_and_records_nothing(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    assert ready_zbc.approval_blockers(msz, DECIDED, MAATWERK) == ()
    assert ready_zbc.collect_events() == []


def test_an_incomplete_application_is_not_approved(msz: ResolvedPack) -> None:
    app = submit(msz)
    app.collect_events()

    blockers = app.approval_blockers(msz, DECIDED, MAATWERK)
    with pytest.raises(RuleViolations) as refused:
        app.approve(pack=msz, contract_type=MAATWERK, at=DECIDED)

    assert isinstance(blockers[0], ApplicationNotComplete)
    assert refused.value.facts["codes"] == tuple(b.code for b in blockers)
    assert "application_requirement_not_assessed" in refused.value.facts["codes"]
    assert app.collect_events() == []


def _refused_with(
    app: ProviderApplication, pack: ResolvedPack, contract_type: str = MAATWERK
) -> DomainError:
    app.collect_events()
    with pytest.raises(DomainError) as refused:
        app.approve(pack=pack, contract_type=contract_type, at=DECIDED)
    assert app.collect_events() == []
    assert app.status is ApplicationStatus.UNDER_ASSESSMENT
    return refused.value


def test_an_unassessed_gating_requirement_blocks_approval(msz: ResolvedPack) -> None:
    app = under_assessment(msz)
    assess_everything(
        app, msz, MSZ_ZBC_PASSING, when=at(2027, 3, 20), skip=frozenset({"ZZ-MIN-CARE-QUALITY"})
    )

    error = _refused_with(app, msz)

    assert isinstance(error, RequirementNotAssessed)
    assert error.facts["requirement"] == "ZZ-MIN-CARE-QUALITY"


def test_a_soft_requirement_not_met_blocks_approval(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    ready_zbc.record_requirement_outcome(
        pack=msz,
        code="ZZ-MIN-CARE-QUALITY",
        outcome=Outcome.NOT_MET,
        evidence="inspection",
        motivation="no protocols",
        at=at(2027, 4, 1),
    )

    error = _refused_with(ready_zbc, msz)

    assert isinstance(error, RequirementNotMet)


def test_a_failed_hard_threshold_blocks_approval(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    ready_zbc.record_metrics(
        pack=msz, metrics={"specialist_fte": Decimal("1.0")}, evidence="payroll", at=at(2027, 4, 1)
    )
    ready_zbc.record_requirement_outcome(pack=msz, code=FTE, evidence="payroll", at=at(2027, 4, 1))

    error = _refused_with(ready_zbc, msz)

    assert isinstance(error, RequirementNotMet)
    assert error.facts["requirement"] == FTE


def test_a_reopened_hard_requirement_blocks_approval_until_reassessed(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    ready_zbc.record_metrics(
        pack=msz, metrics={"specialist_fte": Decimal("2.0")}, evidence="payroll", at=at(2027, 4, 1)
    )

    error = _refused_with(ready_zbc, msz)

    assert isinstance(error, RequirementNotAssessed)
    assert error.facts["requirement"] == FTE


def test_a_new_provider_also_needs_the_supply_assessment_and_minimum_volume(
    msz: ResolvedPack,
) -> None:
    app = under_assessment(msz, is_new_provider=True)
    assess_everything(
        app,
        msz,
        {**MSZ_ZBC_PASSING, "zz_revenue_cents": Decimal("5000000")},
        when=at(2027, 3, 20),
        skip=frozenset({"ZZ-MSZ-NEW-SUPPLY-ASSESSMENT", "ZZ-MSZ-ZBC-NEW-MIN-VOLUME"}),
    )

    error = _refused_with(app, msz)

    assert isinstance(error, RuleViolations)
    assert {v.facts["requirement"] for v in error.violations} == {
        "ZZ-MSZ-NEW-SUPPLY-ASSESSMENT",
        "ZZ-MSZ-ZBC-NEW-MIN-VOLUME",
    }


def test_an_unassessed_exclusion_ground_blocks_approval(msz: ResolvedPack) -> None:
    app = under_assessment(msz)
    assess_everything(
        app, msz, MSZ_ZBC_PASSING, when=at(2027, 3, 20), skip=frozenset({"ZZ-EXCL-TAX"})
    )

    error = _refused_with(app, msz)

    assert isinstance(error, ExclusionGroundNotAssessed)
    assert error.facts["ground"] == "ZZ-EXCL-TAX"


def test_a_present_exclusion_ground_blocks_approval(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    ready_zbc.record_exclusion_finding(
        pack=msz,
        code="ZZ-EXCL-TAX",
        present=True,
        subject="provider",
        evidence="tax office statement",
        at=at(2027, 4, 1),
    )

    error = _refused_with(ready_zbc, msz)

    assert isinstance(error, ExclusionGroundPresent)


def test_a_present_fact_outside_the_look_back_does_not_block_approval(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    ready_zbc.record_exclusion_finding(
        pack=msz,
        code="ZZ-EXCL-IMPROPER-CARE",
        present=True,
        fact_date=date(2024, 3, 31),
        subject="provider",
        evidence="NZa report",
        at=at(2027, 4, 1),
    )

    ready_zbc.approve(pack=msz, contract_type=MAATWERK, at=DECIDED)

    assert ready_zbc.status is ApplicationStatus.APPROVED


def test_an_open_integrity_investigation_blocks_approval(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    ready_zbc.open_integrity_investigation(reason="signal", at=at(2027, 4, 1))

    error = _refused_with(ready_zbc, msz)

    assert isinstance(error, IntegrityInvestigationOpen)


def test_a_negative_integrity_advice_blocks_approval(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    ready_zbc.open_integrity_investigation(reason="signal", at=at(2027, 4, 1))
    ready_zbc.conclude_integrity_investigation(
        pack=msz, advice=IntegrityAdvice.NEGATIVE, motivation="RIZ advice", at=at(2027, 4, 8)
    )

    error = _refused_with(ready_zbc, msz)

    assert isinstance(error, ExclusionGroundPresent)
    assert error.facts["ground"] == INTEGRITY


def test_a_contract_type_the_pack_does_not_offer_blocks_approval(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    error = _refused_with(ready_zbc, msz, "ZZ-MSZ-CT-SEH-BUDGET")

    assert isinstance(error, ContractTypeNotInPack)


def test_a_contract_type_for_other_sub_types_blocks_approval(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    ready_zbc.record_metrics(
        pack=msz,
        metrics={"zz_revenue_cents": Decimal("100000"), "outside_zz_region": False},
        evidence="claims 2026",
        at=at(2027, 4, 1),
    )

    error = _refused_with(ready_zbc, msz, "ZZ-MSZ-CT-STANDARD")

    assert isinstance(error, ContractTypeNotApplicable)


def test_a_contract_type_for_another_route_blocks_approval(tiny: ResolvedPack) -> None:
    app = under_assessment(tiny)
    assess_everything(app, tiny, TINY_PASSING, when=at(2027, 3, 20))

    error = _refused_with(app, tiny, "TST-CT-ROUND")

    assert isinstance(error, ContractTypeRouteMismatch)


def test_an_eligibility_threshold_that_fails_blocks_approval(tiny: ResolvedPack) -> None:
    app = under_assessment(tiny)
    assess_everything(
        app, tiny, {**TINY_PASSING, "revenue_cents": Decimal("30000000")}, when=at(2027, 3, 20)
    )

    error = _refused_with(app, tiny, "TST-CT-BASIC")

    assert isinstance(error, ContractTypeNotEligible)


def test_a_missing_eligibility_metric_means_not_eligible_yet(tiny: ResolvedPack) -> None:
    app = under_assessment(tiny)
    metrics = {k: v for k, v in TINY_PASSING.items() if k != "revenue_cents"}
    assess_everything(app, tiny, metrics, when=at(2027, 3, 20))

    error = _refused_with(app, tiny, "TST-CT-BASIC")

    assert isinstance(error, EligibilityMetricMissing)
    assert error.facts["missing"] == ("revenue_cents",)


def test_several_blockers_are_reported_together_with_their_own_codes(
    ready_zbc: ProviderApplication, msz: ResolvedPack
) -> None:
    ready_zbc.open_integrity_investigation(reason="signal", at=at(2027, 4, 1))

    error = _refused_with(ready_zbc, msz, "ZZ-MSZ-CT-NIP")

    assert isinstance(error, RuleViolations)
    assert set(error.facts["codes"]) == {
        "application_integrity_investigation_open",
        "application_contract_type_route_mismatch",
        "application_contract_type_not_applicable",
        "application_contract_type_not_eligible",
    }
