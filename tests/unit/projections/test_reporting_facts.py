"""What each event adds to the reporting model (pure, no database).

Every payload here is first validated against the published model of its event type (the strict
producer model, ``extra="forbid"``), so these tests feed the shapes the stream really carries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from care_contracts.projections.base import ProjectionError
from care_contracts.projections.events import EventType, ProjectedEvent
from care_contracts.projections.reporting.facts import (
    CeilingNotice,
    Entity,
    Fact,
    OfferOutcome,
    Rejection,
    RevisionDecision,
    Transition,
    facts,
)
from care_contracts.services.events.contract import TYPE_PREFIX, by_type
from tests.projection_events import event

ZZ = "zorg-en-zekerheid"
T0 = datetime(2026, 10, 5, 8, tzinfo=UTC)
PACK = {"pack_id": "zz-2027-gzsp", "pack_version": "1.0", "rules": []}
MONEY = {"cents": 100_000_000}


def _published(type_: EventType, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as the producer publishes it; raises when it is not a valid payload."""
    model = by_type()[TYPE_PREFIX + type_].model
    published: dict[str, Any] = model.model_validate(data).model_dump(mode="json")
    return published


def _event(
    type_: EventType, aggregate_id: UUID, version: int, data: dict[str, Any], at: datetime
) -> ProjectedEvent:
    return event(type_, aggregate_id, version, _published(type_, data), at=at)


class _Life:
    """One aggregate's events, numbered in order, folded through ``facts`` as they come."""

    def __init__(self) -> None:
        self.id = uuid4()
        self.version = 0
        self.entity: Entity | None = None

    def add(
        self, type_: EventType, data: dict[str, Any] | None = None, at: datetime = T0
    ) -> tuple[Fact, ...]:
        self.version += 1
        self.entity, rows = facts(self.entity, _event(type_, self.id, self.version, data or {}, at))
        return rows


def _submitted(care_type: str = "msz") -> dict[str, Any]:
    return {
        "provider": {
            "agb_enterprise": "06222222",
            "kvk": "12345678",
            "name": "Kliniek Goes",
            "city": "Goes",
            "postcode": "4461 AB",
            "agb_establishments": [],
            "role": None,
        },
        "insurer": ZZ,
        "year": 2027,
        "care_type": care_type,
        "sub_type": "zbc",
        "route": "application",
        "origin": "provider",
        "channel": "web_form",
        "received_at": T0.isoformat(),
        "is_new_provider": False,
        **PACK,
    }


def _made() -> dict[str, Any]:
    return {
        "provider_name": "Praktijk de Linde",
        "agb_enterprise": "06111111",
        "agb_establishments": [],
        "kvk": "12345678",
        "city": "Utrecht",
        "postcode": "3511 AB",
        "insurer": ZZ,
        "year": 2027,
        "care_type": "gzsp",
        "sub_type": None,
        "contract_type": "ZZ-GZSP-CT-MAATWERK",
        "carries_ceiling": True,
        "starts_on": "2027-01-01",
        "ends_on": "2027-12-31",
        **PACK,
        "listed": True,
        "publish_from": "2026-11-12",
    }


def _offered() -> dict[str, Any]:
    return _made() | {
        "application_id": str(uuid4()),
        "route": "application",
        "excluded_services": [],
        "exclusion_reason": None,
        "signing_deadline": "2026-11-16",
        "signing_rule": "ZZ-GZSP-SIGN-APPLICATION",
        "offered_on": "2026-10-05",
        "received_on": "2026-10-05",
    }


def _signed(on: date) -> dict[str, Any]:
    return {
        "signed_at": f"{on.isoformat()}T09:00:00Z",
        "signed_on": on.isoformat(),
        "vecozo_ref": "VZ",
    }


def _offer() -> _Life:
    contract = _Life()
    contract.add("contract.offered.v1", _offered(), T0)
    return contract


def _agreed() -> dict[str, Any]:
    return {
        "contract_id": str(uuid4()),
        "year": 2027,
        "amount": MONEY,
        "insurer": ZZ,
        "care_type": "gzsp",
        "contract_type": "ZZ-GZSP-CT-MAATWERK",
        "signed_on": "2026-10-05",
        **PACK,
    }


def _notice(received_at: datetime) -> dict[str, Any]:
    return {
        "received_at": received_at.isoformat(),
        "channel": "zorginkoop@zorgenzekerheid.nl",
        "expected_amount": MONEY,
        "grounds_claimed": ["ZZ-GZSP-CEILING-GROUND-GROWTH"],
        "notice_deadline": "2027-10-01",
    }


def _decided(late: bool) -> dict[str, Any]:
    return {
        "decision_deadline": "2027-11-01",
        "late": late,
        "late_reason": "backlog" if late else None,
        **PACK,
    }


def _ceiling() -> _Life:
    ceiling = _Life()
    assert ceiling.add("revenue_ceiling.agreed.v1", _agreed()) == ()
    return ceiling


def _states(rows: tuple[Fact, ...]) -> list[str]:
    return [r.state for r in rows if isinstance(r, Transition)]


# --- applications -----------------------------------------------------------------------------


def test_an_application_moves_through_its_states_scoped_by_its_submission() -> None:
    application = _Life()
    states = [
        *_states(application.add("application.submitted.v1", _submitted())),
        *_states(application.add("application.information_requested.v1", {"request": "KvK"})),
        *_states(application.add("application.information_supplied.v1", {"note": "attached"})),
        *_states(application.add("application.completed.v1", {"complete_on": "2026-10-06"})),
    ]
    [approved] = application.add(
        "application.assessed.v1",
        {
            "outcome": "approved",
            "contract_type": "ZZ-MSZ-CT-MAATWERK",
            "computed_start_date": "2027-01-01",
            "reasons": [],
            "motivation": None,
            **PACK,
        },
        T0 + timedelta(days=3),
    )

    assert states == ["received", "incomplete", "received", "under_assessment"]
    assert isinstance(approved, Transition)
    assert (approved.entity_kind, approved.entity_id, approved.version) == (
        "application",
        application.id,
        5,
    )
    assert (approved.insurer, approved.care_type, approved.state) == (ZZ, "msz", "approved")
    assert approved.at == T0 + timedelta(days=3)
    assert approved.signing_deadline is None


def test_a_rejection_adds_each_reason_with_its_rule_code() -> None:
    application = _Life()
    application.add("application.submitted.v1", _submitted())
    application.add(
        "application.integrity_investigation_opened.v1", {"reason": "press report"}
    )  # no row, but the version moves on
    rows = application.add(
        "application.assessed.v1",
        {
            "outcome": "rejected",
            "contract_type": None,
            "computed_start_date": None,
            "reasons": [
                {"kind": "exclusion_ground", "rule": "ZZ-EXCL-NEGATIVE-INTEGRITY"},
                {"kind": "supply_assessment", "rule": None},
            ],
            "motivation": "negative advice",
            **PACK,
        },
    )

    assert _states(rows) == ["rejected"]
    reasons = [r for r in rows if isinstance(r, Rejection)]
    assert [(r.ordinal, r.kind, r.rule) for r in reasons] == [
        (0, "exclusion_ground", "ZZ-EXCL-NEGATIVE-INTEGRITY"),
        (1, "supply_assessment", None),
    ]
    assert {(r.application_id, r.insurer, r.care_type, r.at) for r in reasons} == {
        (application.id, ZZ, "msz", T0)
    }
    assert len({r.event_id for r in rows}) == 1


def test_a_withdrawn_application_is_withdrawn() -> None:
    application = _Life()
    application.add("application.submitted.v1", _submitted())

    rows = application.add("application.withdrawn.v1", {"reason": "merger"})

    assert _states(rows) == ["withdrawn"]


# --- contracts --------------------------------------------------------------------------------


def test_an_offer_signed_in_time_records_its_outcome_and_duration_anchor() -> None:
    contract = _offer()
    signed_at = T0 + timedelta(days=2)

    rows = contract.add("contract.signed.v1", _signed(date(2026, 10, 7)), signed_at)

    transition, outcome = rows
    assert isinstance(transition, Transition)
    assert (transition.state, transition.care_type) == ("signed", "gzsp")
    assert (transition.starts_on, transition.ends_on) == (date(2027, 1, 1), date(2027, 12, 31))
    assert isinstance(outcome, OfferOutcome)
    assert (outcome.outcome, outcome.offered_at, outcome.at) == ("signed", T0, signed_at)
    assert outcome.within_original_deadline is True
    assert outcome.signing_deadline == date(2026, 11, 16)


def test_a_signature_after_an_extension_is_not_within_the_deadline_first_offered() -> None:
    contract = _offer()
    extended = contract.add(
        "contract.signing_deadline_extended.v1",
        {"previous": "2026-11-16", "until": "2026-11-30", "motivation": "strike"},
    )

    rows = contract.add("contract.signed.v1", _signed(date(2026, 11, 25)))

    [still_offered] = extended
    assert isinstance(still_offered, Transition)
    assert (still_offered.state, still_offered.signing_deadline) == ("offered", date(2026, 11, 30))
    [outcome] = [r for r in rows if isinstance(r, OfferOutcome)]
    assert outcome.within_original_deadline is False
    assert outcome.signing_deadline == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("type_", "data", "outcome"),
    [
        ("contract.offer_declined.v1", {"reason": "no capacity"}, "declined"),
        ("contract.offer_withdrawn.v1", {"reason": "integrity finding"}, "withdrawn"),
        ("contract.offer_expired.v1", {"deadline": "2026-11-16", "rule": "R"}, "expired"),
    ],
)
def test_an_offer_that_ends_unsigned_records_how(
    type_: EventType, data: dict[str, Any], outcome: str
) -> None:
    contract = _offer()

    rows = contract.add(type_, data, T0 + timedelta(days=44))

    assert _states(rows) == [outcome]
    [ended] = [r for r in rows if isinstance(r, OfferOutcome)]
    assert (ended.outcome, ended.within_original_deadline) == (outcome, False)
    assert ended.at - ended.offered_at == timedelta(days=44)


def test_a_running_contract_is_signed_without_an_offer_and_follows_suspensions() -> None:
    contract = _Life()
    registered = contract.add(
        "contract.running_contract_registered.v1", _made() | {"signed_on": "2025-12-01"}
    )
    suspended = contract.add("contract.suspended.v1", {"grounds": ["integrity inquiry"]})
    lifted = contract.add("contract.suspension_lifted.v1", {"motivation": "closed"})
    amended = contract.add(
        "contract.amended.v1", {"description": "tasks", "effective_on": "2027-03-01"}
    )
    terminated = contract.add(
        "contract.terminated.v1",
        {"grounds": ["request"], "effective_on": "2027-06-01", "initiated_by": "provider"},
    )

    assert [_states(r) for r in (registered, suspended, lifted, amended, terminated)] == [
        ["signed"],
        ["suspended"],
        ["signed"],
        [],
        ["terminated"],
    ]
    assert contract.entity is not None
    assert (contract.entity.offered_at, contract.entity.signing_deadline) == (None, None)
    assert contract.entity.version == 5


def test_an_ended_contract_is_ended() -> None:
    contract = _offer()
    contract.add("contract.signed.v1", _signed(date(2026, 10, 7)))

    assert _states(contract.add("contract.ended.v1", {"ends_on": "2027-12-31"})) == ["ended"]


# --- revenue ceilings -------------------------------------------------------------------------


def test_overrun_notices_on_time_amending_and_late() -> None:
    ceiling = _ceiling()
    on_time = datetime(2027, 9, 15, 8, tzinfo=UTC)
    late = datetime(2027, 10, 2, 7, tzinfo=UTC)

    [first] = ceiling.add(
        "revenue_ceiling.overrun_reported.v1", _notice(on_time) | {"amends": False} | PACK, on_time
    )
    [second] = ceiling.add(
        "revenue_ceiling.overrun_reported.v1", _notice(on_time) | {"amends": True} | PACK, on_time
    )
    [rejected] = ceiling.add(
        "revenue_ceiling.overrun_notice_rejected.v1",
        _notice(late) | {"reason": "NOTICE_DEADLINE_PASSED"} | PACK,
        late,
    )

    assert isinstance(first, CeilingNotice)
    assert isinstance(second, CeilingNotice)
    assert isinstance(rejected, CeilingNotice)
    assert [(n.late, n.amends) for n in (first, second, rejected)] == [
        (False, False),
        (False, True),
        (True, False),
    ]
    assert (rejected.ceiling_id, rejected.insurer, rejected.care_type) == (ceiling.id, ZZ, "gzsp")
    assert (rejected.received_at, rejected.notice_deadline, rejected.at) == (
        late,
        date(2027, 10, 1),
        late,
    )


def test_a_rejected_notice_for_a_reason_this_model_does_not_know_stops_it() -> None:
    ceiling = _ceiling()
    data = _notice(T0) | {"reason": "NOTICE_DEADLINE_PASSED"} | PACK
    unknown = event(
        "revenue_ceiling.overrun_notice_rejected.v1",
        ceiling.id,
        2,
        _published("revenue_ceiling.overrun_notice_rejected.v1", data) | {"reason": "WRONG_INBOX"},
    )

    with pytest.raises(ValidationError):
        facts(ceiling.entity, unknown)


def test_revision_decisions_granted_refused_late_and_overdue() -> None:
    granted, refused = _ceiling(), _ceiling()
    report = _notice(T0) | {"amends": False} | PACK
    granted.add("revenue_ceiling.overrun_reported.v1", report)
    refused.add("revenue_ceiling.overrun_reported.v1", report)
    ground = {"ground": "G", "evidence": "Vektis", "established": True, "occurred_on": None}
    assert granted.add("revenue_ceiling.revision_ground_assessed.v1", ground | PACK) == ()

    [revised] = granted.add(
        "revenue_ceiling.revised.v1",
        {"old": MONEY, "new": MONEY, "grounds": ["G"], "frame_remaining_before": MONEY}
        | _decided(late=False),
    )
    [overdue] = refused.add(
        "revenue_ceiling.decision_overdue.v1", {"decision_deadline": "2027-11-01", **PACK}
    )
    [refusal] = refused.add(
        "revenue_ceiling.revision_refused.v1",
        {"reasons": ["FRAME_EXHAUSTED"], "motivation": None, "frame_remaining": MONEY}
        | _decided(late=True),
    )

    decisions = [revised, overdue, refusal]
    assert all(isinstance(d, RevisionDecision) for d in decisions)
    assert [(d.decision, d.late) for d in decisions if isinstance(d, RevisionDecision)] == [
        ("granted", False),
        ("overdue", True),
        ("refused", True),
    ]
    assert {d.decision_deadline for d in decisions if isinstance(d, RevisionDecision)} == {
        date(2027, 11, 1)
    }


# --- the stream's order -----------------------------------------------------------------------


def test_an_event_already_applied_adds_nothing_and_keeps_the_entity() -> None:
    contract = _offer()
    entity = contract.entity
    again = _event("contract.offered.v1", contract.id, 1, _offered(), T0)

    assert facts(entity, again) == (entity, ())


def test_a_gap_in_an_entitys_versions_stops_the_projection() -> None:
    contract = _offer()
    skipped = _event("contract.signed.v1", contract.id, 3, _signed(date(2026, 10, 7)), T0)

    with pytest.raises(ProjectionError, match="expected version 2"):
        facts(contract.entity, skipped)


def test_an_entity_first_seen_mid_life_stops_the_projection() -> None:
    signed = _event("contract.signed.v1", uuid4(), 1, _signed(date(2026, 10, 7)), T0)

    with pytest.raises(ProjectionError, match="before the one that creates it"):
        facts(None, signed)


def test_financial_frame_events_add_nothing() -> None:
    opened = _event(
        "financial_frame.opened.v1",
        uuid4(),
        1,
        {"insurer": ZZ, "year": 2027, "care_type": "gzsp", "amount": MONEY},
        T0,
    )

    assert facts(None, opened) == (None, ())
