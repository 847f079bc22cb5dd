"""Deciding the revision: grounds, increase only, frame and late reason (001/002 §6.2-6.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.errors import (
    FrameExhausted,
    LateReasonMissing,
    NoGroundEstablished,
    NoPendingOverrunReport,
    RefusalUnreasoned,
    RevisionAlreadyDecided,
    RevisionNotAnIncrease,
)
from care_contracts.domain.ceiling.outcomes import (
    ApproveRevision,
    CeilingStatus,
    RefusalReason,
    RefuseRevision,
    RevisionDecision,
)
from care_contracts.domain.errors import RuleViolations
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.values import Money

CEST = timezone(timedelta(hours=2))
CET = timezone(timedelta(hours=1))
IN_TIME = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)
OLD = Money.euros(1_000_000)
PLENTY = Money.euros(200_000)


def _decide(
    ceiling: RevenueCeiling,
    pack: ResolvedPack,
    decision: RevisionDecision,
    *,
    at: datetime = IN_TIME,
    frame_remaining: Money = PLENTY,
) -> None:
    ceiling.decide_revision(decision, pack=pack, frame_remaining=frame_remaining, at=at)


def test_an_approval_records_old_new_grounds_and_the_frame_before(
    grounded: RevenueCeiling, msz: ResolvedPack, growth: str
) -> None:
    _decide(grounded, msz, ApproveRevision(new_amount=Money.euros(1_120_000)))

    [revised] = grounded.collect_events()
    assert isinstance(revised, RevenueCeiling.Revised)
    assert revised.TOPIC == "contracting.revenue_ceiling.revised"
    assert (revised.old, revised.new) == (OLD, Money.euros(1_120_000))
    assert revised.grounds == (growth,)
    assert revised.frame_remaining_before == PLENTY
    assert (revised.late, revised.late_reason) == (False, None)
    policy = msz.pack.ceiling
    assert policy is not None
    assert revised.rules == (policy.ground_rule, policy.frame_rule, policy.decision_rule)
    assert (revised.pack_id, revised.pack_version) == (msz.ref.id, msz.ref.version)
    assert revised.timestamp == IN_TIME
    assert (grounded.status, grounded.amount) == (CeilingStatus.REVISED, Money.euros(1_120_000))


def test_without_an_established_ground_no_revision(
    reported: RevenueCeiling, msz: ResolvedPack
) -> None:
    with pytest.raises(NoGroundEstablished) as refused:
        _decide(reported, msz, ApproveRevision(new_amount=Money.euros(1_100_000)))
    assert msz.pack.ceiling is not None
    assert refused.value.facts["rule"] == msz.pack.ceiling.ground_rule
    assert reported.collect_events() == []
    assert reported.status is CeilingStatus.OVERRUN_REPORTED


def test_the_same_amount_is_not_an_increase(grounded: RevenueCeiling, msz: ResolvedPack) -> None:
    with pytest.raises(RevisionNotAnIncrease):
        _decide(grounded, msz, ApproveRevision(new_amount=OLD))
    assert grounded.collect_events() == []


def test_one_cent_more_is_an_increase(grounded: RevenueCeiling, msz: ResolvedPack) -> None:
    _decide(grounded, msz, ApproveRevision(new_amount=OLD + Money(1)))
    assert grounded.amount == OLD + Money(1)


def test_an_increase_using_exactly_the_remaining_frame_is_allowed(
    grounded: RevenueCeiling, msz: ResolvedPack
) -> None:
    _decide(grounded, msz, ApproveRevision(new_amount=OLD + PLENTY))
    assert grounded.amount == OLD + PLENTY


def test_an_increase_one_cent_over_the_remaining_frame_is_refused(
    grounded: RevenueCeiling, msz: ResolvedPack
) -> None:
    with pytest.raises(FrameExhausted) as refused:
        _decide(grounded, msz, ApproveRevision(new_amount=OLD + PLENTY + Money(1)))
    assert refused.value.facts["requested"] == PLENTY + Money(1)
    assert refused.value.facts["remaining"] == PLENTY
    assert grounded.collect_events() == []


def test_every_broken_approval_rule_is_reported_at_once(
    reported: RevenueCeiling, msz: ResolvedPack
) -> None:
    with pytest.raises(RuleViolations) as refused:
        _decide(
            reported, msz, ApproveRevision(new_amount=OLD), at=datetime(2028, 4, 1, tzinfo=CEST)
        )
    assert set(refused.value.facts["codes"]) == {
        NoGroundEstablished.code,
        RevisionNotAnIncrease.code,
        LateReasonMissing.code,
    }
    assert reported.collect_events() == []


@pytest.mark.parametrize(
    ("pack_name", "last_day", "day_after"),
    [
        (
            "msz",
            datetime(2028, 3, 31, 23, 59, tzinfo=CEST),
            datetime(2028, 4, 1, 0, 0, tzinfo=CEST),
        ),
        (
            "gzsp",
            datetime(2027, 11, 1, 23, 59, tzinfo=CET),
            datetime(2027, 11, 2, 0, 0, tzinfo=CET),
        ),
    ],
)
def test_a_decision_after_the_packs_deadline_needs_a_late_reason(
    request: pytest.FixtureRequest,
    pack_name: str,
    last_day: datetime,
    day_after: datetime,
) -> None:
    pack: ResolvedPack = request.getfixturevalue(pack_name)
    ceiling: RevenueCeiling = request.getfixturevalue(
        "grounded" if pack_name == "msz" else "gzsp_grounded"
    )
    approve = ApproveRevision(new_amount=OLD + Money.euros(10_000))
    with pytest.raises(LateReasonMissing):
        _decide(ceiling, pack, approve, at=day_after)
    assert ceiling.collect_events() == []

    _decide(ceiling, pack, approve, at=last_day)
    [in_time] = ceiling.collect_events()
    assert isinstance(in_time, RevenueCeiling.Revised)
    assert in_time.late is False


def test_a_late_decision_with_a_reason_is_recorded_as_late(
    gzsp_grounded: RevenueCeiling, gzsp: ResolvedPack
) -> None:
    _decide(
        gzsp_grounded,
        gzsp,
        ApproveRevision(new_amount=OLD + Money.euros(10_000), late_reason="awaiting Vektis data"),
        at=datetime(2027, 11, 2, 9, 0, tzinfo=CET),
    )
    [revised] = gzsp_grounded.collect_events()
    assert isinstance(revised, RevenueCeiling.Revised)
    assert (revised.late, revised.late_reason) == (True, "awaiting Vektis data")
    assert gzsp.pack.ceiling is not None
    assert revised.decision_deadline == gzsp.pack.ceiling.decision_deadline


def test_a_refusal_records_its_reasons_and_the_rules_they_invoke(
    reported: RevenueCeiling, msz: ResolvedPack
) -> None:
    reasons = (RefusalReason.NO_GROUND_DEMONSTRATED, RefusalReason.FRAME_EXHAUSTED)
    _decide(reported, msz, RefuseRevision(reasons=reasons), frame_remaining=Money(0))

    [refused] = reported.collect_events()
    assert isinstance(refused, RevenueCeiling.RevisionRefused)
    assert refused.TOPIC == "contracting.revenue_ceiling.revision_refused"
    assert refused.reasons == reasons
    assert refused.frame_remaining == Money(0)
    policy = msz.pack.ceiling
    assert policy is not None
    assert refused.rules == (policy.decision_rule, policy.ground_rule, policy.frame_rule)
    assert (reported.status, reported.amount) == (CeilingStatus.REFUSED, OLD)


def test_a_discretionary_refusal_needs_a_motivation(
    grounded: RevenueCeiling, msz: ResolvedPack
) -> None:
    with pytest.raises(RefusalUnreasoned):
        _decide(grounded, msz, RefuseRevision(reasons=(RefusalReason.DISCRETION,)))
    with pytest.raises(RefusalUnreasoned):
        _decide(grounded, msz, RefuseRevision(reasons=()))
    assert grounded.collect_events() == []

    _decide(
        grounded,
        msz,
        RefuseRevision(reasons=(RefusalReason.DISCRETION,), motivation="regional overcapacity"),
    )
    [refused] = grounded.collect_events()
    assert isinstance(refused, RevenueCeiling.RevisionRefused)
    assert refused.motivation == "regional overcapacity"


def test_a_late_refusal_also_needs_a_late_reason(
    reported: RevenueCeiling, msz: ResolvedPack
) -> None:
    refuse = RefuseRevision(reasons=(RefusalReason.NO_GROUND_DEMONSTRATED,))
    with pytest.raises(LateReasonMissing):
        _decide(reported, msz, refuse, at=datetime(2028, 4, 1, 9, 0, tzinfo=CEST))
    assert reported.collect_events() == []


def test_one_decision_per_year(grounded: RevenueCeiling, msz: ResolvedPack) -> None:
    _decide(grounded, msz, ApproveRevision(new_amount=OLD + Money.euros(10_000)))
    grounded.collect_events()

    with pytest.raises(RevisionAlreadyDecided):
        _decide(grounded, msz, ApproveRevision(new_amount=OLD + Money.euros(20_000)))
    assert grounded.collect_events() == []


def test_no_decision_without_a_pending_report(agreed: RevenueCeiling, msz: ResolvedPack) -> None:
    with pytest.raises(NoPendingOverrunReport):
        _decide(agreed, msz, RefuseRevision(reasons=(RefusalReason.NO_GROUND_DEMONSTRATED,)))
    assert agreed.collect_events() == []
