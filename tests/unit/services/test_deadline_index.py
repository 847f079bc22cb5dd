"""The deadline index, without a store: events in (topic, id, stored data), deadlines out.

Deadlines are Europe/Amsterdam dates and inclusive: due from the next local day's first instant,
which is 23:00 UTC in winter (CET) and 22:00 UTC in summer (CEST).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import resolve_topic

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.dates import end_of_day, start_of_day
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.policy.errors import PolicyPackNotFound
from care_contracts.services.deadlines.index import TOPICS, Deadline, DeadlineIndex, DeadlineKind

C = "contracting.contract."
R = "contracting.revenue_ceiling."
SIGN_BY = date(2026, 11, 16)
TERM_END = date(2027, 12, 31)
GZSP_DECISION_BY = date(2027, 11, 1)  # zz-2027-gzsp@1.0 (brief §10)
MSZ_DECISION_BY = date(2028, 3, 31)  # zz-2027-msz@1.1


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, s: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, s, tzinfo=UTC)


@pytest.fixture
def index(catalog: PolicyCatalog) -> DeadlineIndex:
    return DeadlineIndex(catalog)


def offered(index: DeadlineIndex, sign_by: date = SIGN_BY) -> UUID:
    contract_id = uuid4()
    index.apply(
        C + "offered",
        contract_id,
        {
            "signing_deadline": sign_by.isoformat(),
            "ends_on": TERM_END.isoformat(),
            "starts_on": "2027-01-01",
            "route": "application",
        },
    )
    return contract_id


def signed(index: DeadlineIndex) -> UUID:
    contract_id = offered(index)
    index.apply(C + "signed", contract_id, {"signed_on": "2026-10-20", "vecozo_ref": "VZ-1"})
    return contract_id


def reported(index: DeadlineIndex, pack: tuple[str, str] = ("zz-2027-gzsp", "1.0")) -> UUID:
    ceiling_id = uuid4()
    index.apply(R + "agreed", ceiling_id, {"pack_id": pack[0], "pack_version": pack[1]})
    index.apply(R + "overrun_reported", ceiling_id, _reported_data(pack))
    return ceiling_id


def _reported_data(pack: tuple[str, str]) -> dict[str, Any]:
    return {"notice_deadline": "2027-10-01", "pack_id": pack[0], "pack_version": pack[1]}


def test_an_open_offer_is_due_from_the_first_instant_after_its_deadline_day(
    index: DeadlineIndex,
) -> None:
    contract_id = offered(index)
    expire = Deadline(SIGN_BY, DeadlineKind.EXPIRE_OFFER, contract_id)

    assert index.pending() == [expire]
    assert index.due(utc(2026, 11, 16, 22, 59, 59)) == []  # 23:59:59 CET on the deadline day
    assert index.due(utc(2026, 11, 16, 23)) == [expire]  # 00:00 CET the day after


def test_a_summer_deadline_is_due_from_22_00_utc(index: DeadlineIndex) -> None:
    contract_id = offered(index, date(2027, 5, 19))

    assert index.due(utc(2027, 5, 19, 21, 59, 59)) == []
    assert [d.aggregate_id for d in index.due(utc(2027, 5, 19, 22))] == [contract_id]


def test_an_extended_offer_is_due_after_its_new_deadline_under_a_new_command_id(
    index: DeadlineIndex,
) -> None:
    contract_id = offered(index)
    before = index.pending()[0].command_id

    index.apply(
        C + "signing_deadline_extended",
        contract_id,
        {"previous": SIGN_BY.isoformat(), "until": "2026-11-30", "motivation": "quote overlap"},
    )

    assert index.due(utc(2026, 11, 20)) == []
    (extended,) = index.due(utc(2026, 12, 1))
    assert extended.deadline == date(2026, 11, 30)
    assert before == f"deadline:expire:{contract_id}:2026-11-16"
    assert extended.command_id == f"deadline:expire:{contract_id}:2026-11-30"


@pytest.mark.parametrize("answer", ["offer_declined", "offer_withdrawn", "offer_expired"])
def test_an_answered_offer_has_no_deadline_left(index: DeadlineIndex, answer: str) -> None:
    contract_id = offered(index)

    index.apply(C + answer, contract_id, {"reason": "no capacity"})

    assert index.pending() == []


def test_a_signed_contract_never_expires_and_ends_after_the_last_day_of_its_term(
    index: DeadlineIndex,
) -> None:
    contract_id = signed(index)
    end = Deadline(TERM_END, DeadlineKind.END_CONTRACT, contract_id)

    assert index.pending() == [end]
    assert index.due(utc(2026, 12, 1)) == []
    assert index.due(utc(2027, 12, 31, 22, 59)) == []
    assert index.due(utc(2027, 12, 31, 23)) == [end]
    assert end.command_id == f"deadline:end:{contract_id}:2027-12-31"


def test_a_running_contract_ends_after_its_term(index: DeadlineIndex) -> None:
    contract_id = uuid4()
    index.apply(
        C + "running_contract_registered",
        contract_id,
        {"ends_on": "2028-12-31", "signed_on": "2025-12-01", "starts_on": "2026-01-01"},
    )

    assert index.pending() == [Deadline(date(2028, 12, 31), DeadlineKind.END_CONTRACT, contract_id)]


def test_a_suspended_contract_waits_for_the_lifting_before_it_can_end(
    index: DeadlineIndex,
) -> None:
    contract_id = signed(index)
    after_term = utc(2028, 1, 2)

    index.apply(C + "suspended", contract_id, {"grounds": ["ZZ-EXCL-TAX"]})
    assert index.due(after_term) == []

    index.apply(C + "suspension_lifted", contract_id, {"motivation": "resolved"})
    assert [d.kind for d in index.due(after_term)] == [DeadlineKind.END_CONTRACT]


@pytest.mark.parametrize("closing", ["terminated", "ended"])
def test_a_terminated_or_ended_contract_has_nothing_left(
    index: DeadlineIndex, closing: str
) -> None:
    contract_id = signed(index)

    index.apply(C + closing, contract_id, {"effective_on": "2028-06-01"})

    assert index.pending() == []


@pytest.mark.parametrize(
    ("pack", "decision_by"),
    [(("zz-2027-gzsp", "1.0"), GZSP_DECISION_BY), (("zz-2027-msz", "1.1"), MSZ_DECISION_BY)],
)
def test_a_reported_overrun_is_due_after_the_pinned_packs_decision_deadline(
    index: DeadlineIndex, pack: tuple[str, str], decision_by: date
) -> None:
    ceiling_id = reported(index, pack)
    flag = Deadline(decision_by, DeadlineKind.FLAG_CEILING_DECISION_OVERDUE, ceiling_id)

    assert index.pending() == [flag]
    assert index.due(start_of_day(decision_by)) == []
    assert index.due(end_of_day(decision_by) - timedelta(microseconds=1)) == []
    assert index.due(end_of_day(decision_by)) == [flag]
    assert flag.command_id == f"deadline:ceiling-overdue:{ceiling_id}:{decision_by}"


def test_an_agreed_ceiling_without_a_report_has_no_deadline(index: DeadlineIndex) -> None:
    index.apply(R + "agreed", uuid4(), {"pack_id": "zz-2027-gzsp", "pack_version": "1.0"})
    index.apply(R + "overrun_notice_rejected", uuid4(), _reported_data(("zz-2027-gzsp", "1.0")))

    assert index.pending() == []


@pytest.mark.parametrize("decision", ["revised", "revision_refused"])
def test_a_decided_revision_has_no_deadline_left(index: DeadlineIndex, decision: str) -> None:
    ceiling_id = reported(index)

    index.apply(R + decision, ceiling_id, {"decision_deadline": "2027-11-01", "late": False})

    assert index.pending() == []


def test_a_flagged_ceiling_is_not_flagged_again_when_a_later_notice_amends_the_report(
    index: DeadlineIndex,
) -> None:
    ceiling_id = reported(index)

    index.apply(R + "decision_overdue", ceiling_id, {"decision_deadline": "2027-11-01"})
    index.apply(R + "overrun_reported", ceiling_id, _reported_data(("zz-2027-gzsp", "1.0")))

    assert index.pending() == []


def test_an_amending_notice_keeps_the_one_pending_decision(index: DeadlineIndex) -> None:
    ceiling_id = reported(index)

    index.apply(R + "overrun_reported", ceiling_id, _reported_data(("zz-2027-gzsp", "1.0")))

    assert [d.aggregate_id for d in index.pending()] == [ceiling_id]


def test_a_report_under_a_pack_the_catalog_lacks_is_an_error_not_a_silent_skip(
    index: DeadlineIndex,
) -> None:
    with pytest.raises(PolicyPackNotFound):
        reported(index, ("zz-2027-gzsp", "9.9"))


def test_events_without_deadlines_and_events_of_unknown_aggregates_change_nothing(
    index: DeadlineIndex,
) -> None:
    contract_id = offered(index)
    pending = index.pending()

    index.apply(C + "amended", contract_id, {"description": "extra site"})
    index.apply("contracting.provider_application.submitted", uuid4(), {})
    for topic in (C + "signed", C + "suspended", C + "signing_deadline_extended"):
        index.apply(topic, uuid4(), {"until": "2027-01-01"})
    index.apply(R + "revised", uuid4(), {})

    assert index.pending() == pending


def test_pending_deadlines_come_earliest_first(index: DeadlineIndex) -> None:
    late = offered(index, date(2026, 12, 9))
    early = offered(index, date(2026, 11, 11))
    ceiling = reported(index)

    assert [d.aggregate_id for d in index.pending()] == [early, late, ceiling]


def test_every_topic_the_index_reads_is_a_stored_event_of_a_contract_or_ceiling() -> None:
    owners = {resolve_topic(topic).__qualname__.split(".")[0] for topic in TOPICS}

    assert owners == {Contract.__name__, RevenueCeiling.__name__}
    assert len(set(TOPICS)) == len(TOPICS) == 15
