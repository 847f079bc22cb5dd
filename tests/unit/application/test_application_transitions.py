"""The brief §4.2 state diagram: information requests, completion, withdrawal, refused moves."""

from __future__ import annotations

from datetime import date

import pytest

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.errors import CommandNotAllowedInState
from care_contracts.domain.application.states import (
    ApplicationStatus,
    ReasonKind,
    RejectionReason,
)
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.errors import PolicyPackMismatch
from tests.unit.application.conftest import at, submit, tiny_pack, under_assessment


def test_requesting_information_makes_a_received_application_incomplete(
    msz: ResolvedPack,
) -> None:
    app = submit(msz)
    app.collect_events()

    app.request_information(request="signed quality declaration", at=at(2027, 3, 12))

    [requested] = app.collect_events()
    assert isinstance(requested, ProviderApplication.InformationRequested)
    assert type(requested).TOPIC == "contracting.application.information_requested"
    assert requested.request == "signed quality declaration"
    assert requested.timestamp == at(2027, 3, 12)
    assert app.status is ApplicationStatus.INCOMPLETE


def test_supplying_information_makes_it_received_again(msz: ResolvedPack) -> None:
    app = submit(msz)
    app.request_information(request="declaration", at=at(2027, 3, 12))
    app.collect_events()

    app.supply_information(note="declaration attached", at=at(2027, 4, 2))

    [supplied] = app.collect_events()
    assert type(supplied).TOPIC == "contracting.application.information_supplied"
    assert app.status is ApplicationStatus.RECEIVED


def test_completion_dates_the_application_on_the_day_it_was_received(msz: ResolvedPack) -> None:
    app = submit(msz, at=at(2027, 3, 10))
    app.collect_events()

    app.mark_complete(at=at(2027, 4, 3))

    [completed] = app.collect_events()
    assert type(completed).TOPIC == "contracting.application.completed"
    assert completed.complete_on == date(2027, 3, 10)
    assert app.status is ApplicationStatus.UNDER_ASSESSMENT


def test_completion_after_an_information_request_dates_it_on_the_last_supply(
    msz: ResolvedPack,
) -> None:
    app = submit(msz, at=at(2027, 3, 10))
    app.request_information(request="declaration", at=at(2027, 3, 12))
    app.supply_information(note="declaration attached", at=at(2027, 5, 2))

    app.mark_complete(at=at(2027, 5, 3))

    assert app.complete_on == date(2027, 5, 2)


def test_an_incomplete_application_cannot_be_marked_complete(msz: ResolvedPack) -> None:
    app = submit(msz)
    app.request_information(request="declaration", at=at(2027, 3, 12))
    app.collect_events()

    with pytest.raises(CommandNotAllowedInState) as refused:
        app.mark_complete(at=at(2027, 3, 13))

    assert refused.value.facts["status"] is ApplicationStatus.INCOMPLETE
    assert "incomplete" in refused.value.detail
    assert app.collect_events() == []


def test_information_is_not_supplied_unless_requested(msz: ResolvedPack) -> None:
    app = submit(msz)
    app.collect_events()

    with pytest.raises(CommandNotAllowedInState):
        app.supply_information(note="unasked", at=at(2027, 3, 12))

    assert app.collect_events() == []


def test_information_is_not_requested_once_the_assessment_runs(msz: ResolvedPack) -> None:
    app = under_assessment(msz)
    app.collect_events()

    with pytest.raises(CommandNotAllowedInState) as refused:
        app.request_information(request="more", at=at(2027, 3, 20))

    assert refused.value.facts["status"] is ApplicationStatus.UNDER_ASSESSMENT
    assert app.collect_events() == []


def test_assessment_commands_wait_for_completion(msz: ResolvedPack) -> None:
    app = submit(msz)
    app.collect_events()

    with pytest.raises(CommandNotAllowedInState):
        app.open_integrity_investigation(reason="signal", at=at(2027, 3, 12))

    assert app.collect_events() == []


@pytest.mark.parametrize("steps", ["received", "incomplete", "under_assessment"])
def test_an_open_application_can_be_withdrawn(msz: ResolvedPack, steps: str) -> None:
    app = submit(msz)
    if steps == "incomplete":
        app.request_information(request="declaration", at=at(2027, 3, 12))
    if steps == "under_assessment":
        app.mark_complete(at=at(2027, 3, 12))
    app.collect_events()

    app.withdraw(reason="no longer needed", at=at(2027, 3, 20))

    [withdrawn] = app.collect_events()
    assert type(withdrawn).TOPIC == "contracting.application.withdrawn"
    assert withdrawn.reason == "no longer needed"
    assert app.status is ApplicationStatus.WITHDRAWN


def test_a_withdrawn_application_refuses_every_further_command(msz: ResolvedPack) -> None:
    app = submit(msz)
    app.withdraw(at=at(2027, 3, 20))
    app.collect_events()

    with pytest.raises(CommandNotAllowedInState) as refused:
        app.withdraw(at=at(2027, 3, 21))
    with pytest.raises(CommandNotAllowedInState):
        app.reject(
            pack=msz,
            reasons=(RejectionReason(ReasonKind.DISCRETIONARY),),
            motivation="late",
            at=at(2027, 3, 21),
        )

    assert refused.value.facts["status"] is ApplicationStatus.WITHDRAWN
    assert app.collect_events() == []


def test_a_command_with_another_pack_than_the_pinned_one_is_refused(msz: ResolvedPack) -> None:
    app = under_assessment(msz)
    app.collect_events()
    other = tiny_pack()

    with pytest.raises(PolicyPackMismatch) as refused:
        app.record_metrics(pack=other, metrics={"fte": 2}, evidence="payroll", at=at(2027, 3, 20))

    assert refused.value.facts == {"pinned": "zz-2027-msz@1.1", "given": "tst-2027-care@1.0"}
    assert app.collect_events() == []


def test_a_newer_version_of_the_same_pack_is_still_a_mismatch() -> None:
    app = under_assessment(tiny_pack(version="1.0"))
    app.collect_events()

    with pytest.raises(PolicyPackMismatch):
        app.approval_blockers(tiny_pack(version="1.1"), at(2027, 3, 20))
    with pytest.raises(PolicyPackMismatch):
        app.approve(pack=tiny_pack(version="1.1"), contract_type="TST-CT-BASIC", at=at(2027, 4, 1))

    assert app.collect_events() == []
