"""Recording metrics and requirement outcomes: hard items evaluated, soft items motivated."""

from __future__ import annotations

from decimal import Decimal

import pytest

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.errors import (
    EvidenceRequired,
    FactContradictsRecordedMetric,
    HardOutcomeContradictsPredicate,
    HardRequirementEvidenceMissing,
    InvalidMetricValue,
    MetricNotReadByPack,
    MetricsRequired,
    MotivationRequired,
    NotApplicableNotAllowed,
    OutcomeRequired,
    RequirementDoesNotApply,
    RequirementNotInPack,
)
from care_contracts.domain.application.states import Outcome
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.model import RuleKind
from tests.unit.application.conftest import at, under_assessment

WHEN = at(2027, 3, 20)
FTE = "ZZ-MSZ-ZBC-SPECIALIST-FTE"


def _assessing(pack: ResolvedPack, **overrides: object) -> ProviderApplication:
    app = under_assessment(pack, **overrides)
    app.collect_events()
    return app


def test_recorded_metrics_are_an_event_of_sorted_immutable_pairs(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    app.record_metrics(
        pack=msz,
        metrics={"specialist_fte": Decimal("1.4"), "institution_kind": "zbc"},
        evidence="payroll 2026, confirmed by officer",
        at=WHEN,
    )

    [recorded] = app.collect_events()
    assert isinstance(recorded, ProviderApplication.MetricsRecorded)
    assert type(recorded).TOPIC == "contracting.application.metrics_recorded"
    assert recorded.metrics == (("institution_kind", "zbc"), ("specialist_fte", Decimal("1.4")))
    assert app.metrics == {"institution_kind": "zbc", "specialist_fte": Decimal("1.4")}


@pytest.mark.parametrize("value", [1.4, 2])
def test_a_metric_is_never_a_float_or_a_bare_int(msz: ResolvedPack, value: object) -> None:
    app = _assessing(msz)

    with pytest.raises(InvalidMetricValue):
        app.record_metrics(
            pack=msz,
            metrics={"specialist_fte": value},  # type: ignore[dict-item]
            evidence="payroll",
            at=WHEN,
        )

    assert app.collect_events() == []


def test_a_metric_no_rule_reads_is_refused(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    with pytest.raises(MetricNotReadByPack):
        app.record_metrics(pack=msz, metrics={"specialist_ftes": Decimal(2)}, evidence="x", at=WHEN)
    with pytest.raises(MetricsRequired):
        app.record_metrics(pack=msz, metrics={}, evidence="x", at=WHEN)

    assert app.collect_events() == []


def test_a_hard_requirement_is_met_when_its_predicate_holds_on_the_metrics(
    msz: ResolvedPack,
) -> None:
    app = _assessing(msz)
    app.record_metrics(
        pack=msz, metrics={"specialist_fte": Decimal("1.2")}, evidence="payroll", at=WHEN
    )
    app.collect_events()

    app.record_requirement_outcome(pack=msz, code=FTE, evidence="payroll 2026", at=WHEN)

    [assessed] = app.collect_events()
    assert isinstance(assessed, ProviderApplication.RequirementAssessed)
    assert type(assessed).TOPIC == "contracting.application.requirement_assessed"
    assert (assessed.code, assessed.kind, assessed.outcome) == (FTE, RuleKind.HARD, Outcome.MET)
    assert assessed.facts == (("specialist_fte", Decimal("1.2")),)
    assert (assessed.pack_id, assessed.pack_version, assessed.rules) == (
        "zz-2027-msz",
        "1.1",
        (FTE,),
    )


def test_a_hard_requirement_evaluates_evidence_facts_given_with_the_outcome(
    msz: ResolvedPack,
) -> None:
    app = _assessing(msz)

    app.record_requirement_outcome(
        pack=msz,
        code="ZZ-MSZ-ALL-CERTIFICATION",
        evidence="HKZ certificate 2026-118",
        facts={"quality_certificate": "hkz"},
        at=WHEN,
    )

    assert app.requirement_outcomes["ZZ-MSZ-ALL-CERTIFICATION"].outcome is Outcome.MET


def test_a_failed_hard_predicate_is_recorded_as_not_met(msz: ResolvedPack) -> None:
    app = _assessing(msz)
    app.record_metrics(
        pack=msz, metrics={"specialist_fte": Decimal("1.1")}, evidence="payroll", at=WHEN
    )
    app.collect_events()

    app.record_requirement_outcome(pack=msz, code=FTE, evidence="payroll", at=WHEN)

    [assessed] = app.collect_events()
    assert assessed.outcome is Outcome.NOT_MET


def test_an_officer_cannot_override_a_failed_hard_predicate(msz: ResolvedPack) -> None:
    app = _assessing(msz)
    app.record_metrics(
        pack=msz, metrics={"specialist_fte": Decimal("1.1")}, evidence="payroll", at=WHEN
    )
    app.collect_events()

    with pytest.raises(HardOutcomeContradictsPredicate) as refused:
        app.record_requirement_outcome(
            pack=msz,
            code=FTE,
            outcome=Outcome.MET,
            evidence="payroll",
            motivation="close enough",
            at=WHEN,
        )

    assert refused.value.facts["evaluated"] is Outcome.NOT_MET
    assert app.collect_events() == []


def test_evidence_facts_cannot_contradict_a_recorded_metric(msz: ResolvedPack) -> None:
    app = _assessing(msz)
    app.record_metrics(
        pack=msz, metrics={"specialist_fte": Decimal("1.1")}, evidence="payroll", at=WHEN
    )
    app.collect_events()

    with pytest.raises(FactContradictsRecordedMetric):
        app.record_requirement_outcome(
            pack=msz,
            code=FTE,
            evidence="new payroll",
            facts={"specialist_fte": Decimal("1.3")},
            at=WHEN,
        )

    assert app.collect_events() == []


def test_a_hard_requirement_without_its_facts_is_not_evaluated(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    with pytest.raises(HardRequirementEvidenceMissing) as refused:
        app.record_requirement_outcome(pack=msz, code=FTE, evidence="payroll", at=WHEN)

    assert refused.value.facts["missing"] == ("specialist_fte",)
    assert app.collect_events() == []


def test_new_metrics_reopen_the_hard_outcomes_that_read_them(msz: ResolvedPack) -> None:
    app = _assessing(msz)
    app.record_metrics(
        pack=msz, metrics={"specialist_fte": Decimal("1.5")}, evidence="payroll", at=WHEN
    )
    app.record_requirement_outcome(pack=msz, code=FTE, evidence="payroll", at=WHEN)
    app.collect_events()

    app.record_metrics(
        pack=msz, metrics={"specialist_fte": Decimal("1.0")}, evidence="corrected", at=WHEN
    )

    [recorded] = app.collect_events()
    assert recorded.reopened == (FTE,)
    assert FTE not in app.requirement_outcomes


def test_a_soft_requirement_records_the_officers_outcome_and_motivation(
    msz: ResolvedPack,
) -> None:
    app = _assessing(msz)

    app.record_requirement_outcome(
        pack=msz,
        code="ZZ-MIN-CARE-QUALITY",
        outcome=Outcome.NOT_MET,
        evidence="inspection report 2026",
        motivation="the inspection found no working protocols",
        at=WHEN,
    )

    [assessed] = app.collect_events()
    assert (assessed.kind, assessed.outcome) == (RuleKind.SOFT, Outcome.NOT_MET)
    assert assessed.motivation == "the inspection found no working protocols"
    assert assessed.evidence == "inspection report 2026"


@pytest.mark.parametrize("motivation", [None, "", "   "])
def test_a_soft_outcome_needs_a_motivation(msz: ResolvedPack, motivation: str | None) -> None:
    app = _assessing(msz)

    with pytest.raises(MotivationRequired):
        app.record_requirement_outcome(
            pack=msz,
            code="ZZ-MIN-CARE-QUALITY",
            outcome=Outcome.MET,
            evidence="declaration",
            motivation=motivation,
            at=WHEN,
        )

    assert app.collect_events() == []


def test_a_soft_requirement_needs_an_outcome_and_evidence(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    with pytest.raises(OutcomeRequired):
        app.record_requirement_outcome(
            pack=msz, code="ZZ-MIN-CARE-QUALITY", evidence="x", motivation="m", at=WHEN
        )
    with pytest.raises(EvidenceRequired):
        app.record_requirement_outcome(
            pack=msz,
            code="ZZ-MIN-CARE-QUALITY",
            outcome=Outcome.MET,
            evidence=" ",
            motivation="m",
            at=WHEN,
        )

    assert app.collect_events() == []


def test_a_hard_item_marked_may_be_not_applicable_can_be_set_aside_with_motivation(
    msz: ResolvedPack,
) -> None:
    app = _assessing(msz)
    wtza = msz.requirement("ZZ-MIN-WTZA")
    assert wtza is not None
    assert wtza.may_be_not_applicable

    app.record_requirement_outcome(
        pack=msz,
        code="ZZ-MIN-WTZA",
        outcome=Outcome.NOT_APPLICABLE,
        evidence="Wtza register: no licence duty for this care",
        motivation="fewer than the Wtza threshold of care providers",
        at=WHEN,
    )

    [assessed] = app.collect_events()
    assert assessed.outcome is Outcome.NOT_APPLICABLE
    with pytest.raises(MotivationRequired):
        app.record_requirement_outcome(
            pack=msz,
            code="ZZ-MIN-WTZA",
            outcome=Outcome.NOT_APPLICABLE,
            evidence="register",
            at=WHEN,
        )


def test_a_hard_item_without_that_flag_cannot_be_set_aside(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    with pytest.raises(NotApplicableNotAllowed):
        app.record_requirement_outcome(
            pack=msz,
            code=FTE,
            outcome=Outcome.NOT_APPLICABLE,
            evidence="none",
            motivation="we do not think it applies",
            at=WHEN,
        )

    assert app.collect_events() == []


def test_a_code_outside_the_pack_chain_is_refused(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    with pytest.raises(RequirementNotInPack):
        app.record_requirement_outcome(
            pack=msz,
            code="CQ-MIN-QUALITY",
            outcome=Outcome.MET,
            evidence="x",
            motivation="m",
            at=WHEN,
        )

    assert app.collect_events() == []


def test_a_requirement_for_another_sub_type_does_not_apply(msz: ResolvedPack) -> None:
    app = _assessing(msz, sub_type="edc")

    with pytest.raises(RequirementDoesNotApply):
        app.record_requirement_outcome(
            pack=msz,
            code="ZZ-MSZ-ZBC-BACKUP",
            outcome=Outcome.MET,
            evidence="x",
            motivation="m",
            at=WHEN,
        )

    assert app.collect_events() == []


def test_an_inherited_general_requirement_is_in_the_chain(msz: ResolvedPack) -> None:
    app = _assessing(msz)

    app.record_requirement_outcome(
        pack=msz,
        code="ZZ-MIN-KVK",
        evidence="KvK register look-up",
        facts={"kvk_registered": True},
        at=WHEN,
    )

    assert app.requirement_outcomes["ZZ-MIN-KVK"].outcome is Outcome.MET
