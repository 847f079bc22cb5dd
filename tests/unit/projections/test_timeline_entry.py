"""Every published event type as a timeline line: summary, rule codes, envelope and links (pure).

The payloads are published data: each is checked against the producer's strict model first, so
a payload the service could not publish fails here rather than testing a shape that never occurs.
Events are built as CloudEvents and decoded the way the stream's are (``from_cloudevent``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from care_contracts.projections.base import ProjectionError
from care_contracts.projections.events import EVENT_TYPES, ProjectedEvent, from_cloudevent
from care_contracts.projections.timeline.entry import TimelineLink, describe
from care_contracts.services.events.contract import TYPE_PREFIX, by_type
from care_contracts.services.events.envelope import SOURCE, event_id

CONTRACT = UUID("7a77088f-7186-5a29-a06a-bbb589d80a2d")
APPLICATION = UUID("b8d5a527-8ab7-5e31-a749-48e2135b528d")
CEILING = UUID("e3b690ed-fb92-58a7-bdba-66de9955eaf1")
FRAME = UUID("01339e49-69f1-59ee-a7e7-da6a279e865f")
PACK = {"pack_id": "zz-2027-gzsp", "pack_version": "1.0"}
EUR_1M = {"cents": 100_000_000}

_PROVIDER: dict[str, Any] = {
    "agb_enterprise": "06111111",
    "kvk": "12345678",
    "name": "Kliniek Goes",
    "city": "Goes",
    "postcode": "4461 AB",
    "agb_establishments": [],
    "role": None,
}
_MADE: dict[str, Any] = {
    "provider_name": "Kliniek Goes",
    "agb_enterprise": "06111111",
    "agb_establishments": [],
    "kvk": "12345678",
    "city": "Goes",
    "postcode": "4461 AB",
    "insurer": "zorg-en-zekerheid",
    "year": 2027,
    "care_type": "gzsp",
    "sub_type": None,
    "contract_type": "ZZ-GZSP-CT-MAATWERK",
    "carries_ceiling": True,
    "starts_on": "2027-01-01",
    "ends_on": "2027-12-31",
    "listed": True,
    "publish_from": "2026-11-12",
    **PACK,
}

# event type: (data, expected rule codes, expected summary)
CASES: dict[str, tuple[dict[str, Any], tuple[str, ...], str]] = {
    "application.submitted.v1": (
        {
            "provider": _PROVIDER,
            "insurer": "zorg-en-zekerheid",
            "year": 2027,
            "care_type": "msz",
            "sub_type": "zbc",
            "route": "application",
            "origin": "provider",
            "channel": "web_form",
            "received_at": "2026-10-05T08:00:00Z",
            "is_new_provider": True,
            **PACK,
            "rules": ["ZZ-MSZ-APPLICATION-WINDOW"],
        },
        ("ZZ-MSZ-APPLICATION-WINDOW",),
        "Application submitted: Kliniek Goes (AGB 06111111) for MSZ (zbc) 2027 at"
        " zorg-en-zekerheid, via web form, a new provider",
    ),
    "application.information_requested.v1": (
        {"request": "the WTZA permit"},
        (),
        "Information requested: the WTZA permit",
    ),
    "application.information_supplied.v1": (
        {"note": "permit uploaded"},
        (),
        "Information supplied: permit uploaded",
    ),
    "application.completed.v1": (
        {"complete_on": "2026-10-05"},
        (),
        "Application complete as of 5 Oct 2026",
    ),
    "application.metrics_recorded.v1": (
        {
            "metrics": [["kvk_registered", True], ["specialist_fte", 1.5]],
            "evidence": "officer check",
            "reopened": ["ZZ-MIN-KVK"],
        },
        (),
        "Metrics recorded (officer check): kvk_registered=yes, specialist_fte=1.5;"
        " reopened: ZZ-MIN-KVK",
    ),
    "application.requirement_assessed.v1": (
        {
            "code": "ZZ-MIN-AGB",
            "kind": "hard",
            "outcome": "met",
            "evidence": "register look-up",
            "facts": [["agb_valid_for_term", True]],
            "motivation": None,
            **PACK,
            "rules": ["ZZ-MIN-AGB"],
        },
        ("ZZ-MIN-AGB",),
        "Requirement ZZ-MIN-AGB: met",
    ),
    "application.exclusion_ground_assessed.v1": (
        {
            "code": "ZZ-EXCL-TAX",
            "present": True,
            "counts": True,
            "fact_date": "2025-03-01",
            "subject": "provider",
            "evidence": "tax office letter",
            **PACK,
            "rules": ["ZZ-EXCL-TAX", "ZZ-EXCL-LOOKBACK"],
        },
        ("ZZ-EXCL-TAX", "ZZ-EXCL-LOOKBACK"),
        "Exclusion ground ZZ-EXCL-TAX: present (fact of 1 Mar 2025), counts against the provider",
    ),
    "application.integrity_investigation_opened.v1": (
        {"reason": "press reports"},
        (),
        "Integrity investigation opened: press reports",
    ),
    "application.integrity_investigation_concluded.v1": (
        {
            "advice": "negative",
            "motivation": "confirmed",
            "ground_established": "ZZ-EXCL-NEGATIVE-INTEGRITY",
            **PACK,
            "rules": ["ZZ-INTEGRITY"],
        },
        ("ZZ-EXCL-NEGATIVE-INTEGRITY", "ZZ-INTEGRITY"),
        "Integrity investigation concluded: negative advice,"
        " ground ZZ-EXCL-NEGATIVE-INTEGRITY established",
    ),
    "application.assessed.v1": (
        {
            "outcome": "rejected",
            "contract_type": None,
            "computed_start_date": None,
            "reasons": [
                {"kind": "requirement_not_met", "rule": "ZZ-MIN-AGB"},
                {"kind": "discretionary", "rule": None},
            ],
            "motivation": "no valid AGB",
            **PACK,
            "rules": ["ZZ-MIN-VECOZO", "ZZ-MIN-AGB"],
        },
        ("ZZ-MIN-AGB", "ZZ-MIN-VECOZO"),
        "Application rejected: requirement not met (ZZ-MIN-AGB); discretionary (no valid AGB)",
    ),
    "application.withdrawn.v1": (
        {"reason": None},
        (),
        "Application withdrawn",
    ),
    "contract.running_contract_registered.v1": (
        {**_MADE, "signed_on": "2026-12-01", "rules": ["ZZ-GZSP-RUNNING"]},
        ("ZZ-GZSP-CT-MAATWERK", "ZZ-GZSP-RUNNING"),
        "Running contract registered for Kliniek Goes (AGB 06111111): GZSP contract"
        " ZZ-GZSP-CT-MAATWERK, 1 Jan 2027 – 31 Dec 2027, signed 1 Dec 2026",
    ),
    "contract.offered.v1": (
        {
            **_MADE,
            "application_id": str(APPLICATION),
            "route": "application",
            "excluded_services": [],
            "exclusion_reason": None,
            "signing_deadline": "2026-11-16",
            "signing_rule": "ZZ-GZSP-SIGN-APPLICATION",
            "offered_on": "2026-10-05",
            "received_on": "2026-10-05",
            "rules": ["ZZ-GZSP-CT-MAATWERK", "ZZ-GZSP-START-APPLICATION"],
        },
        ("ZZ-GZSP-CT-MAATWERK", "ZZ-GZSP-SIGN-APPLICATION", "ZZ-GZSP-START-APPLICATION"),
        "Offer made to Kliniek Goes (AGB 06111111): GZSP contract ZZ-GZSP-CT-MAATWERK,"
        " 1 Jan 2027 – 31 Dec 2027, sign by 16 Nov 2026",
    ),
    "contract.signed.v1": (
        {"signed_at": "2026-11-02T09:00:00Z", "signed_on": "2026-11-02", "vecozo_ref": "VZ-061"},
        (),
        "Signed by the provider on 2 Nov 2026 (VECOZO ref VZ-061)",
    ),
    "contract.offer_declined.v1": (
        {"reason": "no capacity"},
        (),
        "Offer declined: no capacity",
    ),
    "contract.offer_withdrawn.v1": (
        {"reason": "sent in error"},
        (),
        "Offer withdrawn: sent in error",
    ),
    "contract.offer_expired.v1": (
        {"deadline": "2026-11-16", "rule": "ZZ-GZSP-SIGN-APPLICATION"},
        ("ZZ-GZSP-SIGN-APPLICATION",),
        "Offer expired unsigned: the signing deadline was 16 Nov 2026",
    ),
    "contract.signing_deadline_extended.v1": (
        {"previous": "2026-11-16", "until": "2026-11-30", "motivation": "VECOZO outage"},
        (),
        "Signing deadline extended from 16 Nov 2026 to 30 Nov 2026: VECOZO outage",
    ),
    "contract.suspended.v1": (
        {"grounds": ["integrity inquiry"]},
        ("integrity inquiry",),
        "Suspended on grounds: integrity inquiry",
    ),
    "contract.suspension_lifted.v1": (
        {"motivation": "inquiry closed"},
        (),
        "Suspension lifted: inquiry closed",
    ),
    "contract.terminated.v1": (
        {
            "grounds": ["ZZ-EXCL-TAX", "provider request"],
            "effective_on": "2027-03-01",
            "initiated_by": "insurer",
        },
        ("ZZ-EXCL-TAX", "provider request"),
        "Terminated at the insurer's initiative from 1 Mar 2027 on grounds:"
        " ZZ-EXCL-TAX, provider request",
    ),
    "contract.termination_ground_established.v1": (
        {
            "code": "ZZ-EXCL-TAX",
            "fact_date": "2027-02-01",
            "evidence": "tax office letter",
            **PACK,
            "rules": ["ZZ-EXCL-TAX"],
        },
        ("ZZ-EXCL-TAX",),
        "Termination ground ZZ-EXCL-TAX established (fact of 1 Feb 2027)",
    ),
    "contract.ended.v1": (
        {"ends_on": "2027-12-31"},
        (),
        "Contract ended: its term ran until 31 Dec 2027",
    ),
    "contract.amended.v1": (
        {"description": "second location added", "effective_on": "2027-04-01"},
        (),
        "Amended from 1 Apr 2027: second location added",
    ),
    "contract.tariff_annex_issued.v1": (
        {"annex_ref": "TA-2027-1", "year": 2027, "issued_on": "2026-12-01"},
        (),
        "Tariff annex TA-2027-1 for 2027 issued on 1 Dec 2026",
    ),
    "revenue_ceiling.agreed.v1": (
        {
            "contract_id": str(CONTRACT),
            "year": 2027,
            "amount": EUR_1M,
            "insurer": "zorg-en-zekerheid",
            "care_type": "gzsp",
            "contract_type": "ZZ-GZSP-CT-MAATWERK",
            "signed_on": "2026-11-02",
            **PACK,
            "rules": ["ZZ-GZSP-CT-MAATWERK"],
        },
        ("ZZ-GZSP-CT-MAATWERK",),
        "Revenue ceiling agreed: EUR 1,000,000.00 for 2027 (contract type ZZ-GZSP-CT-MAATWERK)",
    ),
    "revenue_ceiling.overrun_reported.v1": (
        {
            "received_at": "2027-09-15T08:00:00Z",
            "channel": "zorginkoop@zorgenzekerheid.nl",
            "expected_amount": {"cents": 105_000_000},
            "grounds_claimed": ["ZZ-GZSP-CEILING-GROUND-GROWTH"],
            "notice_deadline": "2027-10-01",
            "amends": True,
            **PACK,
            "rules": ["ZZ-GZSP-CEILING-NOTICE"],
        },
        ("ZZ-GZSP-CEILING-GROUND-GROWTH", "ZZ-GZSP-CEILING-NOTICE"),
        "Overrun reported: EUR 1,050,000.00 expected, grounds claimed:"
        " ZZ-GZSP-CEILING-GROUND-GROWTH (notice deadline 1 Oct 2027); amends the earlier notice",
    ),
    "revenue_ceiling.overrun_notice_rejected.v1": (
        {
            "received_at": "2027-10-02T08:00:00Z",
            "channel": "email",
            "expected_amount": {"cents": 105_000_050},
            "grounds_claimed": ["ZZ-GZSP-CEILING-GROUND-GROWTH"],
            "notice_deadline": "2027-10-01",
            "reason": "NOTICE_DEADLINE_PASSED",
            **PACK,
            "rules": ["ZZ-GZSP-CEILING-NOTICE"],
        },
        ("ZZ-GZSP-CEILING-GROUND-GROWTH", "ZZ-GZSP-CEILING-NOTICE"),
        "Overrun notice of EUR 1,050,000.50 rejected: notice deadline passed"
        " (notice deadline 1 Oct 2027)",
    ),
    "revenue_ceiling.revision_ground_assessed.v1": (
        {
            "ground": "ZZ-GZSP-CEILING-GROUND-NEW-DRUG",
            "evidence": "registration letter",
            "established": False,
            "occurred_on": "2027-05-01",
            **PACK,
            "rules": ["ZZ-GZSP-CEILING-GROUND-REQUIRED", "ZZ-GZSP-CEILING-GROUND-NEW-DRUG"],
        },
        ("ZZ-GZSP-CEILING-GROUND-NEW-DRUG", "ZZ-GZSP-CEILING-GROUND-REQUIRED"),
        "Revision ground ZZ-GZSP-CEILING-GROUND-NEW-DRUG: not established (occurred 1 May 2027)",
    ),
    "revenue_ceiling.revised.v1": (
        {
            "old": EUR_1M,
            "new": {"cents": 104_000_000},
            "grounds": ["ZZ-GZSP-CEILING-GROUND-GROWTH"],
            "frame_remaining_before": {"cents": 10_000_000},
            "decision_deadline": "2027-11-01",
            "late": True,
            "late_reason": "waiting for Vektis",
            **PACK,
            "rules": ["ZZ-GZSP-CEILING-FRAME", "ZZ-GZSP-CEILING-DECISION"],
        },
        (
            "ZZ-GZSP-CEILING-GROUND-GROWTH",
            "ZZ-GZSP-CEILING-FRAME",
            "ZZ-GZSP-CEILING-DECISION",
        ),
        "Ceiling revised from EUR 1,000,000.00 to EUR 1,040,000.00 on grounds:"
        " ZZ-GZSP-CEILING-GROUND-GROWTH; decided after the deadline: waiting for Vektis",
    ),
    "revenue_ceiling.revision_refused.v1": (
        {
            "reasons": ["NO_GROUND_DEMONSTRATED", "FRAME_EXHAUSTED"],
            "motivation": None,
            "frame_remaining": {"cents": 0},
            "decision_deadline": "2027-11-01",
            "late": False,
            "late_reason": None,
            **PACK,
            "rules": ["ZZ-GZSP-CEILING-GROUND-REQUIRED", "ZZ-GZSP-CEILING-FRAME"],
        },
        ("ZZ-GZSP-CEILING-GROUND-REQUIRED", "ZZ-GZSP-CEILING-FRAME"),
        "Ceiling revision refused: no ground demonstrated, frame exhausted",
    ),
    "revenue_ceiling.decision_overdue.v1": (
        {"decision_deadline": "2027-11-01", **PACK, "rules": ["ZZ-GZSP-CEILING-DECISION"]},
        ("ZZ-GZSP-CEILING-DECISION",),
        "Revision decision overdue: the deadline was 1 Nov 2027",
    ),
    "financial_frame.opened.v1": (
        {
            "insurer": "zorg-en-zekerheid",
            "year": 2027,
            "care_type": "gzsp",
            "amount": {"cents": 10_000_000},
        },
        (),
        "Financial frame opened: EUR 100,000.00 for GZSP 2027 at zorg-en-zekerheid",
    ),
    "financial_frame.adjusted.v1": (
        {"old": {"cents": 10_000_000}, "new": {"cents": 12_500_000}},
        (),
        "Financial frame adjusted from EUR 100,000.00 to EUR 125,000.00",
    ),
    "financial_frame.reserved.v1": (
        {
            "amount": {"cents": 4_000_000},
            "ceiling_id": str(CEILING),
            "ceiling_version": 4,
            "remaining_before": {"cents": 10_000_000},
            **PACK,
            "rules": ["ZZ-GZSP-CEILING-FRAME"],
        },
        ("ZZ-GZSP-CEILING-FRAME",),
        f"EUR 40,000.00 reserved from the financial frame for revenue ceiling {CEILING}"
        " (EUR 100,000.00 was left)",
    ),
    "financial_frame.released.v1": (
        {"amount": {"cents": 4_000_000}, "ceiling_id": str(CEILING), "reason": "revision undone"},
        (),
        f"EUR 40,000.00 released to the financial frame from revenue ceiling {CEILING}:"
        " revision undone",
    ),
}

_AGGREGATE_IDS = {
    "application": APPLICATION,
    "contract": CONTRACT,
    "revenue_ceiling": CEILING,
    "financial_frame": FRAME,
}


def cloudevent(kind: str, data: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    """A published CloudEvent of ``kind`` as the relay sends it (structured JSON, parsed)."""
    aggregate_id = envelope.pop("subject", _AGGREGATE_IDS[kind.split(".", 1)[0]])
    version = envelope.pop("aggregateversion", 3)
    return {
        "specversion": "1.0",
        "id": event_id(aggregate_id, version),
        "source": SOURCE,
        "type": f"{TYPE_PREFIX}{kind}",
        "subject": str(aggregate_id),
        "time": "2026-11-02T09:00:00Z",
        "datacontenttype": "application/json",
        "dataschema": f"urn:care-contracts:schema:{kind}",
        "correlationid": "corr-42",
        "aggregateversion": version,
        "position": 17,
        "actorrole": "officer",
        "actorid": "officer-7",
        "policypack": "zz-2027-gzsp@1.0",
        "data": data,
    } | envelope


def projected(kind: str, data: dict[str, Any], **envelope: Any) -> ProjectedEvent:
    return from_cloudevent(cloudevent(kind, data, **envelope), 41)


def test_the_cases_cover_every_event_type() -> None:
    assert set(CASES) == EVENT_TYPES


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_case_is_data_the_service_publishes(kind: str) -> None:
    data, _, _ = CASES[kind]

    by_type()[f"{TYPE_PREFIX}{kind}"].model.model_validate(data)  # strict: raises if not


@pytest.mark.parametrize("kind", sorted(CASES))
def test_every_event_type_reads_as_one_line_with_its_rule_codes(kind: str) -> None:
    data, codes, summary = CASES[kind]

    entry = describe(projected(kind, data))

    assert entry.summary == summary
    assert entry.rule_codes == codes
    assert "\n" not in entry.summary


def test_the_envelope_gives_actor_decision_time_pack_correlation_and_place() -> None:
    data, _, _ = CASES["contract.signed.v1"]

    entry = describe(
        projected(
            "contract.signed.v1",
            data,
            actorrole="provider",
            actorid="06111111",
            aggregateversion=2,
            position=26,
            policypack=None,
        )
    )

    assert (entry.actor_role, entry.actor_id) == ("provider", "06111111")
    assert entry.time == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert entry.policy_pack is None
    assert entry.correlation_id == "corr-42"
    assert (entry.aggregate, entry.aggregate_id, entry.version) == ("contract", CONTRACT, 2)
    assert (entry.sequence, entry.position) == (41, 26)
    assert entry.event_id == event_id(CONTRACT, 2)
    assert entry.event_type == "contract.signed.v1"


def test_an_offer_links_its_application_to_the_contract() -> None:
    data, _, _ = CASES["contract.offered.v1"]

    entry = describe(projected("contract.offered.v1", data))

    assert entry.link == TimelineLink(contract_id=CONTRACT, aggregate_id=APPLICATION)
    assert entry.ceiling_id is None


def test_an_offer_without_an_application_links_nothing() -> None:
    data, _, _ = CASES["contract.offered.v1"]

    entry = describe(projected("contract.offered.v1", data | {"application_id": None}))

    assert entry.link is None


def test_an_agreed_ceiling_links_itself_to_its_contract() -> None:
    data, _, _ = CASES["revenue_ceiling.agreed.v1"]

    entry = describe(projected("revenue_ceiling.agreed.v1", data))

    assert entry.link == TimelineLink(contract_id=CONTRACT, aggregate_id=CEILING)


@pytest.mark.parametrize("kind", ["financial_frame.reserved.v1", "financial_frame.released.v1"])
def test_a_frame_reservation_or_release_names_its_ceiling(kind: str) -> None:
    data, _, _ = CASES[kind]

    entry = describe(projected(kind, data))

    assert (entry.aggregate, entry.aggregate_id) == ("financial_frame", FRAME)
    assert entry.ceiling_id == CEILING
    assert entry.link is None


@pytest.mark.parametrize(
    "kind",
    sorted(
        set(CASES)
        - {
            "contract.offered.v1",
            "revenue_ceiling.agreed.v1",
            "financial_frame.reserved.v1",
            "financial_frame.released.v1",
        }
    ),
)
def test_other_events_state_no_link(kind: str) -> None:
    data, _, _ = CASES[kind]

    entry = describe(projected(kind, data))

    assert entry.link is None
    assert entry.ceiling_id is None


def test_an_approval_names_its_contract_type_and_start() -> None:
    data = {
        "outcome": "approved",
        "contract_type": "ZZ-GZSP-CT-MAATWERK",
        "computed_start_date": "2027-01-01",
        "reasons": [],
        "motivation": None,
        **PACK,
        "rules": ["ZZ-MIN-AGB", "ZZ-GZSP-CT-MAATWERK"],
    }

    entry = describe(projected("application.assessed.v1", data))

    assert entry.summary == (
        "Application approved: contract type ZZ-GZSP-CT-MAATWERK, starting 1 Jan 2027"
    )
    assert entry.rule_codes == ("ZZ-GZSP-CT-MAATWERK", "ZZ-MIN-AGB")


def test_an_absent_exclusion_ground_reads_absent() -> None:
    data, _, _ = CASES["application.exclusion_ground_assessed.v1"]

    entry = describe(
        projected(
            "application.exclusion_ground_assessed.v1",
            data | {"present": False, "counts": False, "fact_date": None},
        )
    )

    assert entry.summary == "Exclusion ground ZZ-EXCL-TAX: absent"


def test_fields_the_timeline_does_not_read_are_ignored() -> None:
    data, _, summary = CASES["contract.signed.v1"]

    entry = describe(projected("contract.signed.v1", data | {"witness": "notary"}))

    assert entry.summary == summary


def test_data_it_cannot_read_stops_the_projection_naming_the_event() -> None:
    reason = r"unreadable data \(signed_on: Field required\)$"
    with pytest.raises(ProjectionError, match=rf"^contract\.signed\.v1 .*{reason}") as raised:
        describe(projected("contract.signed.v1", {"vecozo_ref": "VZ-1"}))

    assert raised.value.event_id == event_id(CONTRACT, 3)
    assert raised.value.sequence == 41


@given(reason=st.text(min_size=1).filter(lambda text: text.strip()))
def test_free_text_never_breaks_the_line(reason: str) -> None:
    entry = describe(projected("contract.offer_withdrawn.v1", {"reason": reason}))

    assert entry.summary == f"Offer withdrawn: {' '.join(reason.split())}"
    assert len(entry.summary.splitlines()) == 1
