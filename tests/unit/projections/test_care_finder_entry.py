"""How each contract event changes a care-finder entry, and which days show it (pure)."""

from __future__ import annotations

from datetime import date
from functools import reduce
from uuid import UUID, uuid4

import pytest

from care_contracts.projections.base import ProjectionError
from care_contracts.projections.care_finder.entry import (
    CareFinderEntry,
    evolve,
    name_key,
    postcode_area,
)
from care_contracts.projections.events import ProjectedEvent
from tests.projection_events import event, offered, signed

PUBLISHED = date(2026, 11, 12)


def _entry(*events: ProjectedEvent) -> CareFinderEntry | None:
    return reduce(evolve, events, None)


def _contract() -> UUID:
    return uuid4()


def test_an_offer_is_never_visible() -> None:
    contract = _contract()
    entry = _entry(offered(contract))

    assert entry is not None
    assert entry.status == "offered"
    assert not any(entry.visible_on(day) for day in (PUBLISHED, date(2027, 6, 1)))


def test_signed_before_publication_shows_from_the_publication_date_through_the_last_day() -> None:
    contract = _contract()
    entry = _entry(offered(contract), signed(contract, date(2026, 10, 20)))

    assert entry is not None
    assert not entry.visible_on(date(2026, 11, 11))
    assert entry.visible_on(PUBLISHED)
    assert entry.visible_on(date(2027, 12, 31))
    assert not entry.visible_on(date(2028, 1, 1))


def test_signed_after_publication_shows_from_the_signing_day() -> None:
    contract = _contract()
    entry = _entry(offered(contract), signed(contract, date(2026, 11, 14)))

    assert entry is not None
    assert not entry.visible_on(date(2026, 11, 13))
    assert entry.visible_on(date(2026, 11, 14))


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("contract.offer_declined.v1", "declined"),
        ("contract.offer_withdrawn.v1", "withdrawn"),
        ("contract.offer_expired.v1", "expired"),
    ],
)
def test_declined_withdrawn_and_expired_offers_never_show(event_type: str, status: str) -> None:
    contract = _contract()
    entry = _entry(offered(contract), event(event_type, contract, 2))  # type: ignore[arg-type]

    assert entry is not None
    assert entry.status == status
    assert not entry.visible_on(date(2027, 6, 1))


def test_suspension_hides_and_lifting_shows_again() -> None:
    contract = _contract()
    signed_entry = _entry(offered(contract), signed(contract, date(2026, 10, 20)))
    suspended = evolve(signed_entry, event("contract.suspended.v1", contract, 3))
    lifted = evolve(suspended, event("contract.suspension_lifted.v1", contract, 4))

    assert suspended is not None
    assert lifted is not None
    assert not suspended.visible_on(date(2027, 2, 1))
    assert lifted.visible_on(date(2027, 2, 1))


def test_termination_hides_from_its_effective_day_and_end_hides_at_once() -> None:
    contract = _contract()
    signed_entry = _entry(offered(contract), signed(contract, date(2026, 10, 20)))
    terminated = evolve(
        signed_entry,
        event("contract.terminated.v1", contract, 3, {"effective_on": "2027-03-01"}),
    )
    ended = evolve(signed_entry, event("contract.ended.v1", contract, 3))

    assert terminated is not None
    assert ended is not None
    assert terminated.visible_on(date(2027, 2, 28))
    assert not terminated.visible_on(date(2027, 3, 1))
    assert not ended.visible_on(date(2027, 12, 31))


def test_a_care_type_the_pack_does_not_list_never_shows() -> None:
    contract = _contract()
    entry = _entry(offered(contract, listed=False), signed(contract, date(2026, 10, 20)))

    assert entry is not None
    assert not entry.visible_on(date(2027, 6, 1))


def test_a_running_contract_registered_is_signed_and_listed() -> None:
    contract = _contract()
    data = dict(offered(contract).data) | {"signed_on": "2026-09-01"}
    entry = _entry(event("contract.running_contract_registered.v1", contract, 1, data))

    assert entry is not None
    assert entry.status == "signed"
    assert entry.visible_on(PUBLISHED)
    assert not entry.visible_on(date(2026, 11, 11))


def test_excluded_services_mark_the_entry_partially_contracted() -> None:
    contract = _contract()
    entry = _entry(offered(contract, excluded=("hip surgery",)))

    assert entry is not None
    assert entry.partially_contracted
    assert entry.excluded_services == ("hip surgery",)


def test_an_applied_version_is_ignored_and_a_gap_stops_the_projection() -> None:
    contract = _contract()
    entry = _entry(offered(contract), signed(contract, date(2026, 10, 20)))

    assert evolve(entry, signed(contract, date(2026, 10, 21))) is entry
    with pytest.raises(ProjectionError, match="expected version 3"):
        evolve(entry, event("contract.suspended.v1", contract, 4))
    with pytest.raises(ProjectionError, match="before the contract was offered"):
        evolve(None, signed(contract, date(2026, 10, 20), version=1))


def test_other_aggregates_events_leave_the_entry_alone() -> None:
    contract = _contract()
    entry = _entry(offered(contract))

    assert evolve(entry, event("revenue_ceiling.agreed.v1", uuid4(), 1)) is entry
    assert evolve(None, event("application.submitted.v1", uuid4(), 1)) is None


def test_search_keys_ignore_case_accents_and_spacing() -> None:
    assert name_key("  Zorggroep   ËLST ") == "zorggroep elst"
    assert name_key("Fysiotherapie Gûlpen") == name_key("fysiotherapie gulpen")
    assert postcode_area("3511 AB") == "3511"
