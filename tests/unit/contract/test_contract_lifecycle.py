"""A signed contract: active, suspended, terminated, ended, amended, annexed (brief §4.3)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from eventsourcing.utils import get_topic

from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.contract.errors import (
    AmendmentOutsideTerm,
    ContractMotivationRequired,
    ContractNotActive,
    ContractNotInForce,
    ContractNotLive,
    ContractNotSuspended,
    ContractNotTerminable,
    FactDateInFuture,
    GroundsRequired,
    NotATerminationGround,
    RetroactiveTermination,
    TariffAnnexAlreadyIssued,
    TariffAnnexOutsideTerm,
    TerminationAfterTermEnd,
    TermNotOver,
)
from care_contracts.domain.contract.status import ContractStatus, TerminationInitiator
from care_contracts.domain.dates import AMSTERDAM
from care_contracts.domain.policy.errors import PolicyPackMismatch
from care_contracts.domain.policy.model import PackRef

from .contract_builders import ContractBuilder

START = date(2027, 1, 1)
LAST_DAY = date(2027, 12, 31)


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=AMSTERDAM)


IN_TERM = _at(2027, 3, 1)


@pytest.fixture
def signed(contracts: ContractBuilder) -> Contract:
    """An MSZ maatwerk contract for 2027, signed on 1 November 2026; nothing pending."""
    contract = contracts.msz_application(applied=date(2026, 10, 5), at=_at(2026, 10, 20))
    contract.sign(at=_at(2026, 11, 1), vecozo_ref="VZ-1")
    contract.collect_events()
    return contract


@pytest.fixture
def suspended(signed: Contract) -> Contract:
    signed.suspend(at=IN_TERM, grounds=("ZZ-EXCL-FALSE-INFORMATION",))
    signed.collect_events()
    return signed


# --- active is derived ------------------------------------------------------------------------


def test_a_signed_contract_is_active_from_its_start_date_without_an_event(
    signed: Contract,
) -> None:
    assert signed.status_on(date(2026, 12, 31)) is ContractStatus.SIGNED
    assert signed.status_on(START) is ContractStatus.ACTIVE
    assert signed.is_active(START) is True
    assert signed.status is ContractStatus.SIGNED


def test_a_signed_contract_reads_as_ended_after_its_last_day(signed: Contract) -> None:
    assert signed.status_on(LAST_DAY) is ContractStatus.ACTIVE
    assert signed.status_on(date(2028, 1, 1)) is ContractStatus.ENDED


# --- suspension -------------------------------------------------------------------------------


def test_an_active_contract_is_suspended_on_its_grounds(signed: Contract) -> None:
    signed.suspend(at=IN_TERM, grounds=("ZZ-EXCL-FALSE-INFORMATION",))

    [event] = signed.collect_events()
    assert get_topic(type(event)) == "contracting.contract.suspended"
    assert vars(event)["grounds"] == ("ZZ-EXCL-FALSE-INFORMATION",)
    assert signed.status_on(date(2027, 3, 2)) is ContractStatus.SUSPENDED


def test_a_contract_not_yet_started_cannot_be_suspended(signed: Contract) -> None:
    with pytest.raises(ContractNotActive) as refused:
        signed.suspend(at=_at(2026, 12, 1), grounds=("ZZ-EXCL-FALSE-INFORMATION",))

    assert refused.value.facts["status"] is ContractStatus.SIGNED
    assert signed.collect_events() == []


def test_a_suspension_names_its_grounds(signed: Contract) -> None:
    with pytest.raises(GroundsRequired):
        signed.suspend(at=IN_TERM, grounds=(" ",))

    assert signed.collect_events() == []


def test_lifting_a_suspension_makes_the_contract_active_again(suspended: Contract) -> None:
    suspended.lift_suspension(at=_at(2027, 4, 1), motivation="investigation closed")

    [event] = suspended.collect_events()
    assert get_topic(type(event)) == "contracting.contract.suspension_lifted"
    assert suspended.status_on(date(2027, 4, 1)) is ContractStatus.ACTIVE


def test_only_a_suspended_contract_has_its_suspension_lifted(signed: Contract) -> None:
    with pytest.raises(ContractNotSuspended):
        signed.lift_suspension(at=IN_TERM, motivation="investigation closed")

    assert signed.collect_events() == []


def test_lifting_a_suspension_is_motivated(suspended: Contract) -> None:
    with pytest.raises(ContractMotivationRequired):
        suspended.lift_suspension(at=IN_TERM, motivation="")

    assert suspended.collect_events() == []


# --- termination ------------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["signed", "active", "suspended"])
def test_a_signed_active_or_suspended_contract_can_be_terminated(
    signed: Contract, when: str
) -> None:
    at = _at(2026, 12, 1) if when == "signed" else IN_TERM
    if when == "suspended":
        signed.suspend(at=IN_TERM, grounds=("ZZ-EXCL-TAX",))
        signed.collect_events()

    signed.terminate(
        at=at,
        grounds=("ZZ-EXCL-TAX",),
        effective_on=date(2027, 6, 1),
        initiated_by=TerminationInitiator.INSURER,
    )

    [event] = signed.collect_events()
    assert get_topic(type(event)) == "contracting.contract.terminated"
    assert vars(event)["effective_on"] == date(2027, 6, 1)
    assert vars(event)["initiated_by"] is TerminationInitiator.INSURER
    assert signed.status is ContractStatus.TERMINATED
    assert signed.status_on(date(2027, 6, 1)) is ContractStatus.TERMINATED


def test_a_termination_takes_effect_on_its_effective_date(signed: Contract) -> None:
    signed.terminate(
        at=IN_TERM,
        grounds=("PROVIDER-NOTICE",),
        effective_on=date(2027, 7, 1),
        initiated_by=TerminationInitiator.PROVIDER,
    )

    assert signed.status_on(date(2027, 6, 30)) is ContractStatus.ACTIVE
    assert signed.is_live(date(2027, 6, 30)) is True
    assert signed.status_on(date(2027, 7, 1)) is ContractStatus.TERMINATED
    assert signed.is_live(date(2027, 7, 1)) is False


def test_a_contract_terminated_once_cannot_be_terminated_again(signed: Contract) -> None:
    signed.terminate(
        at=IN_TERM,
        grounds=("ZZ-EXCL-TAX",),
        effective_on=date(2027, 7, 1),
        initiated_by=TerminationInitiator.INSURER,
    )
    signed.collect_events()

    with pytest.raises(ContractNotTerminable):
        signed.terminate(
            at=IN_TERM,
            grounds=("ZZ-EXCL-TAX",),
            effective_on=date(2027, 4, 1),
            initiated_by=TerminationInitiator.INSURER,
        )

    assert signed.collect_events() == []


def test_an_offer_is_withdrawn_not_terminated(contracts: ContractBuilder) -> None:
    offered = contracts.msz_application(applied=date(2026, 10, 5), at=_at(2026, 10, 20))
    offered.collect_events()

    with pytest.raises(ContractNotTerminable):
        offered.terminate(
            at=_at(2026, 10, 21),
            grounds=("ZZ-EXCL-TAX",),
            effective_on=date(2026, 11, 1),
            initiated_by=TerminationInitiator.INSURER,
        )

    assert offered.collect_events() == []


@pytest.mark.parametrize(
    ("grounds", "effective_on", "error"),
    [
        ((), date(2027, 6, 1), GroundsRequired),
        (("ZZ-EXCL-TAX",), date(2027, 2, 28), RetroactiveTermination),
        (("ZZ-EXCL-TAX",), date(2028, 1, 1), TerminationAfterTermEnd),
    ],
)
def test_a_termination_names_grounds_and_takes_effect_within_the_rest_of_the_term(
    signed: Contract, grounds: tuple[str, ...], effective_on: date, error: type[Exception]
) -> None:
    with pytest.raises(error):
        signed.terminate(
            at=IN_TERM,
            grounds=grounds,
            effective_on=effective_on,
            initiated_by=TerminationInitiator.INSURER,
        )

    assert signed.collect_events() == []


# --- termination grounds on a live contract ---------------------------------------------------


def test_an_exclusion_ground_on_a_live_contract_is_recorded_without_terminating(
    contracts: ContractBuilder, signed: Contract
) -> None:
    pack = contracts.catalog.get(signed.pack)

    signed.establish_termination_ground(
        at=IN_TERM,
        pack=pack,
        code="ZZ-EXCL-TAX",
        fact_date=date(2027, 2, 1),
        evidence="tax authority statement",
    )

    [event] = signed.collect_events()
    assert get_topic(type(event)) == "contracting.contract.termination_ground_established"
    assert vars(event)["pack_id"] == "zz-2027-msz"
    assert vars(event)["rules"] == ("ZZ-EXCL-TAX",)
    assert signed.termination_grounds == ("ZZ-EXCL-TAX",)
    assert signed.status is ContractStatus.SIGNED


def test_a_termination_ground_is_checked_against_the_pinned_pack(
    contracts: ContractBuilder, signed: Contract
) -> None:
    other = contracts.catalog.get(PackRef(id="zz-2027-gzsp", version="1.0"))

    with pytest.raises(PolicyPackMismatch):
        signed.establish_termination_ground(
            at=IN_TERM, pack=other, code="ZZ-EXCL-TAX", fact_date=date(2027, 2, 1), evidence="x"
        )

    assert signed.collect_events() == []


def test_a_code_that_is_no_termination_ground_is_refused(contracts: ContractBuilder) -> None:
    contract = contracts.caresq_application(applied=date(2027, 3, 17), at=_at(2027, 3, 25))
    contract.sign(at=_at(2027, 3, 26), vecozo_ref="VZ-1")
    contract.collect_events()
    pack = contracts.catalog.get(contract.pack)

    for code in ("CQ-EXCL-DATA-BENCHMARK", "CQ-EXCL-UNKNOWN"):
        with pytest.raises(NotATerminationGround):
            contract.establish_termination_ground(
                at=_at(2027, 5, 1), pack=pack, code=code, fact_date=date(2027, 4, 1), evidence="x"
            )

    assert contract.collect_events() == []


def test_a_termination_ground_fact_cannot_lie_in_the_future(
    contracts: ContractBuilder, signed: Contract
) -> None:
    with pytest.raises(FactDateInFuture):
        signed.establish_termination_ground(
            at=IN_TERM,
            pack=contracts.catalog.get(signed.pack),
            code="ZZ-EXCL-TAX",
            fact_date=date(2027, 3, 2),
            evidence="x",
        )

    assert signed.collect_events() == []


def test_a_termination_ground_needs_a_live_contract(contracts: ContractBuilder) -> None:
    offered = contracts.msz_application(applied=date(2026, 10, 5), at=_at(2026, 10, 20))
    offered.collect_events()

    with pytest.raises(ContractNotLive):
        offered.establish_termination_ground(
            at=_at(2026, 10, 21),
            pack=contracts.catalog.get(offered.pack),
            code="ZZ-EXCL-TAX",
            fact_date=date(2026, 10, 1),
            evidence="x",
        )

    assert offered.collect_events() == []


# --- the end of the term ----------------------------------------------------------------------


def test_a_contract_ends_from_local_midnight_after_its_last_day(signed: Contract) -> None:
    with pytest.raises(TermNotOver):
        signed.end(at=datetime(2027, 12, 31, 22, 59, 59, tzinfo=UTC))
    signed.end(at=datetime(2027, 12, 31, 23, 0, 0, tzinfo=UTC))

    [event] = signed.collect_events()
    assert get_topic(type(event)) == "contracting.contract.ended"
    assert vars(event)["ends_on"] == LAST_DAY
    assert signed.status is ContractStatus.ENDED


def test_a_suspended_contract_does_not_end_by_the_timer_but_is_not_live_after_its_term(
    suspended: Contract,
) -> None:
    with pytest.raises(ContractNotInForce):
        suspended.end(at=_at(2028, 1, 2))

    assert suspended.collect_events() == []
    assert suspended.facts(_at(2027, 12, 31)).live is True
    assert suspended.facts(_at(2028, 1, 1)).live is False


# --- amendments and tariff annexes ------------------------------------------------------------


def test_a_signed_contract_is_amended_within_its_term(signed: Contract) -> None:
    signed.amend(at=_at(2026, 12, 1), description="RESV tasks added", effective_on=START)

    [event] = signed.collect_events()
    assert get_topic(type(event)) == "contracting.contract.amended"
    assert vars(event)["description"] == "RESV tasks added"
    assert vars(event)["effective_on"] == START


@pytest.mark.parametrize(
    ("description", "effective_on", "error"),
    [
        ("", START, ContractMotivationRequired),
        ("RESV tasks added", date(2026, 12, 31), AmendmentOutsideTerm),
        ("RESV tasks added", date(2028, 1, 1), AmendmentOutsideTerm),
    ],
)
def test_an_amendment_says_what_changes_within_the_term(
    signed: Contract, description: str, effective_on: date, error: type[Exception]
) -> None:
    with pytest.raises(error):
        signed.amend(at=IN_TERM, description=description, effective_on=effective_on)

    assert signed.collect_events() == []


def test_a_suspended_contract_is_neither_amended_nor_annexed(suspended: Contract) -> None:
    with pytest.raises(ContractNotInForce):
        suspended.amend(at=IN_TERM, description="x", effective_on=date(2027, 4, 1))
    with pytest.raises(ContractNotInForce):
        suspended.issue_tariff_annex(at=IN_TERM, annex_ref="T-2027", year=2027)

    assert suspended.collect_events() == []


def test_a_tariff_annex_is_issued_once_for_a_year_of_the_term(signed: Contract) -> None:
    signed.issue_tariff_annex(at=_at(2026, 12, 1), annex_ref="T-2027", year=2027)

    [event] = signed.collect_events()
    assert get_topic(type(event)) == "contracting.contract.tariff_annex_issued"
    assert vars(event)["issued_on"] == date(2026, 12, 1)
    with pytest.raises(TariffAnnexAlreadyIssued):
        signed.issue_tariff_annex(at=_at(2026, 12, 2), annex_ref="T-2027", year=2027)
    with pytest.raises(TariffAnnexOutsideTerm):
        signed.issue_tariff_annex(at=_at(2026, 12, 2), annex_ref="T-2028", year=2028)
    assert signed.collect_events() == []


# --- what the revenue ceiling reads -----------------------------------------------------------


def test_the_ceiling_reads_a_live_signed_contract_with_its_recorded_ceiling_flag(
    signed: Contract,
) -> None:
    facts = signed.facts(IN_TERM)

    assert facts.contract_id == signed.id
    assert facts.pack == PackRef(id="zz-2027-msz", version="1.1")
    assert facts.carries_ceiling is True
    assert facts.live is True
    assert facts.signed_at == _at(2026, 11, 1)
    assert (facts.start, facts.end) == (START, LAST_DAY)


def test_an_unsigned_ended_or_terminated_contract_is_not_live(
    contracts: ContractBuilder, signed: Contract
) -> None:
    offered = contracts.msz_application(applied=date(2026, 10, 5), at=_at(2026, 10, 20))
    assert offered.facts(_at(2026, 10, 21)).live is False
    assert signed.facts(_at(2028, 1, 1)).live is False

    signed.terminate(
        at=IN_TERM,
        grounds=("ZZ-EXCL-TAX",),
        effective_on=date(2027, 3, 1),
        initiated_by=TerminationInitiator.INSURER,
    )
    assert signed.facts(IN_TERM).live is False
