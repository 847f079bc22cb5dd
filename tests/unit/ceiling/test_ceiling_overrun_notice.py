"""The expected-overrun notice: by 1 October 2027, local date inclusive (MSZ/GZSP §6.3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.errors import (
    CeilingAmountNotPositive,
    ContractMismatch,
    ContractNotLive,
    RevisionAlreadyDecided,
    UnknownCeilingGround,
)
from care_contracts.domain.ceiling.outcomes import (
    CeilingStatus,
    NoticeOutcome,
    NoticeRejection,
    RefusalReason,
    RefuseRevision,
)
from care_contracts.domain.contract.facts import ContractFacts
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.errors import PolicyPackMismatch
from care_contracts.domain.values import Money

CEST = timezone(timedelta(hours=2))
LAST_MINUTES = datetime(2027, 10, 1, 23, 30, tzinfo=CEST)  # brief §6.4: in time
JUST_LATE = datetime(2027, 10, 2, 0, 5, tzinfo=CEST)  # brief §6.4: late
RECORDED_AT = datetime(2027, 10, 4, 9, 0, tzinfo=UTC)
EXPECTED = Money.euros(1_150_000)


def _notify(
    ceiling: RevenueCeiling,
    pack: ResolvedPack,
    contract: ContractFacts,
    received_at: datetime,
    *,
    channel: str = "zorginkoop.msz@zorgenzekerheid.nl",
    expected: Money = EXPECTED,
    grounds: tuple[str, ...] = (),
) -> NoticeOutcome:
    return ceiling.report_expected_overrun(
        contract=contract,
        pack=pack,
        received_at=received_at,
        channel=channel,
        expected_amount=expected,
        grounds_claimed=grounds,
        at=RECORDED_AT,
    )


def test_a_notice_at_23_30_cest_on_1_october_is_in_time(
    agreed: RevenueCeiling, msz: ResolvedPack, contract: ContractFacts, growth: str
) -> None:
    outcome = _notify(agreed, msz, contract, LAST_MINUTES, grounds=(growth,))

    assert outcome is NoticeOutcome.REPORTED
    [reported] = agreed.collect_events()
    assert isinstance(reported, RevenueCeiling.OverrunReported)
    assert reported.TOPIC == "contracting.revenue_ceiling.overrun_reported"
    assert (reported.received_at, reported.expected_amount) == (LAST_MINUTES, EXPECTED)
    assert reported.grounds_claimed == (growth,)
    assert msz.pack.ceiling is not None
    assert reported.rules == (msz.pack.ceiling.notice_rule,)
    assert (reported.pack_id, reported.pack_version) == (msz.ref.id, msz.ref.version)
    assert reported.timestamp == RECORDED_AT
    assert agreed.status is CeilingStatus.OVERRUN_REPORTED


def test_a_notice_at_00_05_cest_on_2_october_is_recorded_as_rejected(
    agreed: RevenueCeiling, msz: ResolvedPack, contract: ContractFacts
) -> None:
    outcome = _notify(agreed, msz, contract, JUST_LATE)

    assert outcome is NoticeOutcome.REJECTED_LATE
    [rejected] = agreed.collect_events()
    assert isinstance(rejected, RevenueCeiling.OverrunNoticeRejected)
    assert rejected.TOPIC == "contracting.revenue_ceiling.overrun_notice_rejected"
    assert rejected.reason is NoticeRejection.NOTICE_DEADLINE_PASSED
    assert msz.pack.ceiling is not None
    assert rejected.notice_deadline == msz.pack.ceiling.notice_deadline
    assert rejected.rules == (msz.pack.ceiling.notice_rule,)
    assert rejected.received_at == JUST_LATE
    assert agreed.status is CeilingStatus.AGREED


@pytest.mark.parametrize(
    ("received_at", "outcome"),
    [
        (datetime(2027, 10, 1, 21, 59, 59, tzinfo=UTC), NoticeOutcome.REPORTED),
        (datetime(2027, 10, 1, 22, 0, 0, tzinfo=UTC), NoticeOutcome.REJECTED_LATE),
    ],
)
def test_the_notice_deadline_ends_at_local_midnight_not_utc_midnight(
    agreed: RevenueCeiling,
    msz: ResolvedPack,
    contract: ContractFacts,
    received_at: datetime,
    outcome: NoticeOutcome,
) -> None:
    assert _notify(agreed, msz, contract, received_at) is outcome


def test_a_later_notice_amends_the_pending_report(
    reported: RevenueCeiling,
    msz: ResolvedPack,
    contract: ContractFacts,
    growth: str,
    unforeseen: str,
) -> None:
    outcome = _notify(reported, msz, contract, LAST_MINUTES, grounds=(unforeseen,))

    assert outcome is NoticeOutcome.AMENDED
    [amended] = reported.collect_events()
    assert isinstance(amended, RevenueCeiling.OverrunReported)
    assert amended.amends is True
    assert reported.expected_amount == EXPECTED
    assert reported.grounds_claimed == (growth, unforeseen)
    assert reported.notices == 2


def test_a_late_notice_leaves_a_pending_report_as_it_was(
    reported: RevenueCeiling, msz: ResolvedPack, contract: ContractFacts
) -> None:
    before = reported.expected_amount

    assert _notify(reported, msz, contract, JUST_LATE) is NoticeOutcome.REJECTED_LATE
    assert reported.status is CeilingStatus.OVERRUN_REPORTED
    assert reported.expected_amount == before
    assert reported.notices == 1


@pytest.mark.parametrize(
    "channel", ["zorginkoop.wijkverpleging@zorgenzekerheid.nl", "info@zorgenzekerheid.nl", ""]
)
def test_the_channel_is_recorded_and_never_a_reason_to_reject(
    agreed: RevenueCeiling, msz: ResolvedPack, contract: ContractFacts, channel: str
) -> None:
    assert _notify(agreed, msz, contract, LAST_MINUTES, channel=channel) is NoticeOutcome.REPORTED
    [reported] = agreed.collect_events()
    assert isinstance(reported, RevenueCeiling.OverrunReported)
    assert reported.channel == channel


def test_a_terminated_contract_cannot_report_and_nothing_is_recorded(
    agreed: RevenueCeiling, msz: ResolvedPack, contract: ContractFacts
) -> None:
    with pytest.raises(ContractNotLive):
        _notify(agreed, msz, replace(contract, live=False), LAST_MINUTES)
    assert agreed.collect_events() == []


def test_a_late_notice_on_a_terminated_contract_is_refused_not_recorded(
    agreed: RevenueCeiling, msz: ResolvedPack, contract: ContractFacts
) -> None:
    with pytest.raises(ContractNotLive):
        _notify(agreed, msz, replace(contract, live=False), JUST_LATE)
    assert agreed.collect_events() == []


def test_facts_of_another_contract_are_refused(
    agreed: RevenueCeiling, msz: ResolvedPack, contract: ContractFacts
) -> None:
    with pytest.raises(ContractMismatch):
        _notify(agreed, msz, replace(contract, contract_id=UUID(int=7)), LAST_MINUTES)
    assert agreed.collect_events() == []


def test_claimed_grounds_are_the_packs_and_the_expected_revenue_is_positive(
    agreed: RevenueCeiling, msz: ResolvedPack, contract: ContractFacts
) -> None:
    with pytest.raises(UnknownCeilingGround):
        _notify(agreed, msz, contract, LAST_MINUTES, grounds=("ZZ-MSZ-CEILING-GROUND-WEATHER",))
    with pytest.raises(CeilingAmountNotPositive):
        _notify(agreed, msz, contract, LAST_MINUTES, expected=Money(0))
    assert agreed.collect_events() == []


def test_a_notice_under_another_pack_is_refused(
    agreed: RevenueCeiling, gzsp: ResolvedPack, contract: ContractFacts
) -> None:
    with pytest.raises(PolicyPackMismatch):
        _notify(agreed, gzsp, contract, LAST_MINUTES)
    assert agreed.collect_events() == []


def test_after_the_years_decision_a_notice_is_refused(
    reported: RevenueCeiling, msz: ResolvedPack, contract: ContractFacts
) -> None:
    reported.decide_revision(
        RefuseRevision(reasons=(RefusalReason.NO_GROUND_DEMONSTRATED,)),
        pack=msz,
        frame_remaining=Money(0),
        at=RECORDED_AT,
    )
    reported.collect_events()

    with pytest.raises(RevisionAlreadyDecided):
        _notify(reported, msz, contract, LAST_MINUTES)
    assert reported.collect_events() == []
