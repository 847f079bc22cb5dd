"""Caresq running contracts: registered signed under the real pack, then annexed (004 §2.6)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.contract.errors import (
    ContractNotOpenForSigning,
    ExplicitEndDateRequired,
    OfferNotOpen,
    RunningContractMissesPackYear,
    SignedAfterRegistration,
    TermEndsBeforeStart,
)
from care_contracts.domain.contract.status import ContractStatus, TerminationInitiator
from care_contracts.domain.dates import AMSTERDAM, local_date
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.policy.errors import (
    ContractTypeNotInPack,
    NoPolicyInForce,
    UnknownSubType,
)
from care_contracts.domain.policy.model import PackRef, Route

from .contract_builders import (
    CQ_PHARMACY,
    RUNNING,
    RUNNING_END,
    RUNNING_SIGNED,
    RUNNING_START,
    ContractBuilder,
    provider,
)

PUBLICATION = date(2026, 11, 12)


def _at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


REGISTERED_AT = _at(2026, 9, 15)


@pytest.fixture
def running(contracts: ContractBuilder) -> Contract:
    """CQ-FARM-CT-RUNNING, 2025-2028, signed 20 November 2024, registered 15 September 2026."""
    return contracts.caresq_running(at=REGISTERED_AT)


def _state(contract: Contract) -> dict[str, Any]:
    return {k: v for k, v in vars(contract).items() if k != "_pending_events"}


# --- registration -----------------------------------------------------------------------------


def test_a_running_contract_is_registered_signed_with_one_event_under_the_real_pack(
    contracts: ContractBuilder, running: Contract
) -> None:
    [registered] = running.collect_events()

    assert get_topic(type(registered)) == "contracting.contract.running_contract_registered"
    assert registered.timestamp == REGISTERED_AT
    fields: dict[str, Any] = vars(registered)
    assert fields["agb_enterprise"] == provider().agb_enterprise
    assert fields["agb_establishments"] == provider().agb_establishments
    assert (fields["provider_name"], fields["city"], fields["kvk"]) == (
        "Kliniek Zuid",
        "Leiden",
        provider().kvk,
    )
    assert (fields["insurer"], fields["year"], fields["care_type"], fields["sub_type"]) == (
        "eucare",
        2027,
        "pharmacy",
        None,
    )
    assert (fields["contract_type"], fields["carries_ceiling"]) == (RUNNING, False)
    assert (fields["starts_on"], fields["ends_on"], fields["signed_on"]) == (
        RUNNING_START,
        RUNNING_END,
        RUNNING_SIGNED,
    )
    pack = contracts.pack(CQ_PHARMACY, local_date(REGISTERED_AT))
    assert (fields["pack_id"], fields["pack_version"]) == (pack.ref.id, pack.ref.version)
    assert fields["rules"] == (RUNNING,)
    assert (fields["listed"], fields["publish_from"]) == (True, PUBLICATION)
    assert "signing_deadline" not in fields
    assert "offered_on" not in fields


def test_a_registered_running_contract_is_signed_and_active_without_an_offer(
    running: Contract,
) -> None:
    assert running.status is ContractStatus.SIGNED
    assert running.status_on(local_date(REGISTERED_AT)) is ContractStatus.ACTIVE
    assert running.is_live(local_date(REGISTERED_AT)) is True
    assert running.route is Route.RUNNING_CONTRACT
    assert running.application_id is None
    assert (running.signing_deadline, running.signing_rule) == (None, None)
    assert (running.offered_on, running.received_on) == (None, None)
    assert running.signed_on == RUNNING_SIGNED
    assert running.pack == PackRef(id=CQ_PHARMACY, version="1.1")


def test_the_real_pack_refuses_to_offer_the_running_type_but_knows_it_as_running(
    catalog: PolicyCatalog,
) -> None:
    pack = catalog.newest_in_force(CQ_PHARMACY, local_date(REGISTERED_AT))

    with pytest.raises(ContractTypeNotInPack):
        pack.contract_type(RUNNING)
    assert pack.running_contract_type(RUNNING).offerable is False


# --- the running contract's life ---------------------------------------------------------------


def test_a_registered_running_contract_gets_its_2027_tariff_annex(running: Contract) -> None:
    running.collect_events()
    at = _at(2026, 9, 28)

    running.issue_tariff_annex(at=at, annex_ref="VECOZO-TB-2027", year=2027)

    [annex] = running.collect_events()
    assert get_topic(type(annex)) == "contracting.contract.tariff_annex_issued"
    assert (annex.annex_ref, annex.year, annex.issued_on) == (
        "VECOZO-TB-2027",
        2027,
        date(2026, 9, 28),
    )
    assert annex.timestamp == at
    assert running.tariff_annexes == ("VECOZO-TB-2027",)


def test_a_registered_running_contract_can_be_amended_suspended_lifted_and_terminated(
    running: Contract,
) -> None:
    running.collect_events()

    running.amend(at=_at(2026, 10, 1), description="2027 tasks", effective_on=date(2027, 1, 1))
    running.suspend(at=_at(2027, 2, 1), grounds=("integrity finding",))
    assert running.status_on(date(2027, 2, 1)) is ContractStatus.SUSPENDED
    running.lift_suspension(at=_at(2027, 3, 1), motivation="investigation closed")
    assert running.status_on(date(2027, 3, 1)) is ContractStatus.ACTIVE
    running.terminate(
        at=_at(2027, 4, 1),
        grounds=("provider request",),
        effective_on=date(2027, 7, 1),
        initiated_by=TerminationInitiator.PROVIDER,
    )

    assert [get_topic(type(e)) for e in running.collect_events()] == [
        "contracting.contract.amended",
        "contracting.contract.suspended",
        "contracting.contract.suspension_lifted",
        "contracting.contract.terminated",
    ]
    assert running.status_on(date(2027, 6, 30)) is ContractStatus.ACTIVE
    assert running.status_on(date(2027, 7, 1)) is ContractStatus.TERMINATED


def test_a_registered_running_contract_ends_after_its_explicit_end_date(
    running: Contract,
) -> None:
    assert running.status_on(RUNNING_END) is ContractStatus.ACTIVE
    assert running.status_on(date(2029, 1, 1)) is ContractStatus.ENDED

    running.end(at=_at(2029, 1, 1))
    assert running.status is ContractStatus.ENDED


def test_a_registered_running_contract_is_no_offer_to_sign_decline_withdraw_or_expire(
    running: Contract,
) -> None:
    running.collect_events()
    before = _state(running)
    at = _at(2026, 9, 16)

    with pytest.raises(ContractNotOpenForSigning):
        running.sign(at=at, vecozo_ref="VZ-1")
    with pytest.raises(OfferNotOpen):
        running.decline(at=at)
    with pytest.raises(OfferNotOpen):
        running.withdraw_offer(at=at, reason="discretion")
    with pytest.raises(OfferNotOpen):
        running.expire(at=at)
    with pytest.raises(OfferNotOpen):
        running.extend_signing_deadline(
            at=at, until=date(2026, 12, 1), motivation="quote", allowed=True
        )

    assert running.collect_events() == []
    assert _state(running) == before


def test_the_revenue_ceiling_reads_a_running_contract_as_signed_on_its_signing_day(
    running: Contract,
) -> None:
    facts = running.facts(_at(2027, 3, 1))

    assert facts.signed_at is not None
    assert local_date(facts.signed_at) == RUNNING_SIGNED
    assert facts.live is True
    assert (facts.start, facts.end) == (RUNNING_START, RUNNING_END)
    assert (facts.contract_type, facts.carries_ceiling) == (RUNNING, False)


# --- care finder (brief §11) ------------------------------------------------------------------


def test_a_running_contract_signed_before_publication_is_listed_from_the_publication_day(
    running: Contract,
) -> None:
    assert running.care_finder_visible(date(2026, 11, 11)) is False
    assert running.care_finder_visible(PUBLICATION) is True
    assert running.care_finder_visible(RUNNING_END) is True
    assert running.care_finder_visible(date(2029, 1, 1)) is False


def test_a_running_contract_signed_after_publication_is_listed_from_its_signing_day(
    contracts: ContractBuilder,
) -> None:
    contract = contracts.caresq_running(
        at=_at(2027, 1, 5), starts_on=date(2027, 1, 1), signed_on=date(2026, 12, 20)
    )

    assert contract.care_finder_visible(date(2026, 12, 19)) is False
    assert contract.care_finder_visible(date(2026, 12, 20)) is True


def test_a_suspended_running_contract_is_hidden_from_the_care_finder(running: Contract) -> None:
    running.suspend(at=_at(2027, 2, 1), grounds=("integrity finding",))

    assert running.care_finder_visible(date(2027, 2, 1)) is False


# --- guards -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "contract_type",
    [
        "CQ-FARM-CT-BASIS",  # offerable, but not on the running_contract route
        "CQ-FARM-CT-ADDITIONAL",  # an addendum on the negotiated route
        "CQ-FARM-CT-UNKNOWN",
    ],
)
def test_a_type_without_the_running_contract_route_cannot_be_registered(
    contracts: ContractBuilder, contract_type: str
) -> None:
    with pytest.raises(ContractTypeNotInPack):
        contracts.caresq_running(at=REGISTERED_AT, contract_type=contract_type)


def test_a_running_contract_must_state_its_end_date(contracts: ContractBuilder) -> None:
    with pytest.raises(ExplicitEndDateRequired):
        contracts.caresq_running(at=REGISTERED_AT, ends_on=None)


def test_a_running_contract_cannot_end_before_it_starts(contracts: ContractBuilder) -> None:
    with pytest.raises(TermEndsBeforeStart):
        contracts.caresq_running(
            at=REGISTERED_AT, starts_on=date(2027, 1, 1), ends_on=date(2026, 12, 31)
        )

    same_day = contracts.caresq_running(
        at=REGISTERED_AT, starts_on=date(2027, 1, 1), ends_on=date(2027, 1, 1)
    )
    assert same_day.ends_on == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [(date(2024, 1, 1), date(2026, 12, 31)), (date(2028, 1, 1), date(2029, 12, 31))],
)
def test_a_running_contract_whose_term_misses_the_pack_year_is_refused(
    contracts: ContractBuilder, starts_on: date, ends_on: date
) -> None:
    with pytest.raises(RunningContractMissesPackYear):
        contracts.caresq_running(at=REGISTERED_AT, starts_on=starts_on, ends_on=ends_on)


def test_the_original_signing_date_cannot_be_after_the_local_registration_day(
    contracts: ContractBuilder,
) -> None:
    just_after_midnight = _at(2026, 9, 15, 0, 30)  # still 14 September in UTC

    with pytest.raises(SignedAfterRegistration):
        contracts.caresq_running(at=just_after_midnight, signed_on=date(2026, 9, 16))

    same_day = contracts.caresq_running(at=just_after_midnight, signed_on=date(2026, 9, 15))
    assert same_day.signed_on == date(2026, 9, 15)


def test_a_running_contract_is_registered_only_once_its_pack_is_in_force(
    catalog: PolicyCatalog, contracts: ContractBuilder
) -> None:
    pack = catalog.get(PackRef(id=CQ_PHARMACY, version="1.1"))

    with pytest.raises(NoPolicyInForce):
        contracts.caresq_running(at=_at(2026, 6, 30, 23, 59), pack=pack)

    assert contracts.caresq_running(at=_at(2026, 7, 1, 0, 0), pack=pack).pack_version == "1.1"


def test_a_running_contract_with_a_sub_type_the_pack_does_not_know_is_refused(
    contracts: ContractBuilder,
) -> None:
    with pytest.raises(UnknownSubType):
        contracts.caresq_running(at=REGISTERED_AT, sub_type="outpatient")


# --- identity and replay ----------------------------------------------------------------------


def test_a_running_contract_id_follows_insurer_provider_pack_and_sub_type(
    contracts: ContractBuilder, running: Contract
) -> None:
    again = contracts.caresq_running(at=_at(2026, 9, 16))
    other = contracts.caresq_running(at=REGISTERED_AT, agb="11111111")

    assert again.id == running.id
    assert other.id != running.id
    assert running.id == Contract.create_id(
        None, "eucare", provider().agb_enterprise, CQ_PHARMACY, None
    )


def test_replaying_a_running_contract_history_rebuilds_the_live_aggregate(
    running: Contract,
) -> None:
    running.issue_tariff_annex(at=_at(2026, 9, 28), annex_ref="VECOZO-TB-2027", year=2027)
    running.amend(at=_at(2026, 10, 1), description="2027 tasks", effective_on=date(2027, 1, 1))
    running.suspend(at=_at(2027, 2, 1), grounds=("integrity finding",))
    running.lift_suspension(at=_at(2027, 3, 1), motivation="investigation closed")
    running.terminate(
        at=_at(2027, 4, 1),
        grounds=("provider request",),
        effective_on=date(2027, 7, 1),
        initiated_by=TerminationInitiator.PROVIDER,
    )

    replayed: Contract | None = None
    for recorded in running.collect_events():
        replayed = recorded.mutate(replayed)

    assert isinstance(replayed, Contract)
    assert _state(replayed) == _state(running)
    assert replayed.version == 6
