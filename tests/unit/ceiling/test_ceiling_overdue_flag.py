"""The decision-overdue flag: only for a pending report, after the deadline, once (brief §4.4)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.outcomes import ApproveRevision, CeilingStatus
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.values import Money

CET = timezone(timedelta(hours=1))
LAST_DECISION_DAY_MSZ = datetime(2028, 3, 31, 23, 59, tzinfo=timezone(timedelta(hours=2)))
DAY_AFTER_MSZ = datetime(2028, 4, 1, 0, 1, tzinfo=timezone(timedelta(hours=2)))


def test_no_flag_on_the_deadline_day_itself(reported: RevenueCeiling, msz: ResolvedPack) -> None:
    assert reported.flag_decision_overdue(pack=msz, at=LAST_DECISION_DAY_MSZ) is False
    assert reported.collect_events() == []


def test_the_day_after_the_deadline_a_pending_report_is_flagged_once(
    reported: RevenueCeiling, msz: ResolvedPack
) -> None:
    assert reported.flag_decision_overdue(pack=msz, at=DAY_AFTER_MSZ) is True
    assert reported.flag_decision_overdue(pack=msz, at=DAY_AFTER_MSZ + timedelta(days=7)) is False

    [flagged] = reported.collect_events()
    assert isinstance(flagged, RevenueCeiling.DecisionOverdue)
    assert flagged.TOPIC == "contracting.revenue_ceiling.decision_overdue"
    assert msz.pack.ceiling is not None
    assert flagged.decision_deadline == msz.pack.ceiling.decision_deadline
    assert flagged.rules == (msz.pack.ceiling.decision_rule,)
    assert flagged.timestamp == DAY_AFTER_MSZ
    assert reported.status is CeilingStatus.OVERRUN_REPORTED  # a flag, never an approval
    assert reported.amount == Money.euros(1_000_000)


def test_the_gzsp_flag_follows_its_own_1_november_deadline(
    gzsp_grounded: RevenueCeiling, gzsp: ResolvedPack
) -> None:
    assert (
        gzsp_grounded.flag_decision_overdue(pack=gzsp, at=datetime(2027, 11, 1, 23, 0, tzinfo=CET))
        is False
    )
    assert (
        gzsp_grounded.flag_decision_overdue(pack=gzsp, at=datetime(2027, 11, 2, 0, 0, tzinfo=CET))
        is True
    )


def test_nothing_to_flag_without_a_pending_report(
    agreed: RevenueCeiling, msz: ResolvedPack
) -> None:
    assert agreed.flag_decision_overdue(pack=msz, at=DAY_AFTER_MSZ) is False
    assert agreed.collect_events() == []


def test_nothing_to_flag_once_decided(grounded: RevenueCeiling, msz: ResolvedPack) -> None:
    grounded.decide_revision(
        ApproveRevision(new_amount=Money.euros(1_100_000)),
        pack=msz,
        frame_remaining=Money.euros(200_000),
        at=datetime(2028, 3, 1, 9, 0, tzinfo=CET),
    )
    grounded.collect_events()

    assert grounded.flag_decision_overdue(pack=msz, at=DAY_AFTER_MSZ) is False
    assert grounded.collect_events() == []
