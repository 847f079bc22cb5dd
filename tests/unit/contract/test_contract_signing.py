"""Answering an offer: sign, decline, withdraw, expire, extend (brief §4.3, §6.1-6.2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from eventsourcing.utils import get_topic

from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.contract.errors import (
    ContractMotivationRequired,
    ContractNotOpenForSigning,
    OfferLapsed,
    OfferNotOpen,
    SigningDeadlineExtensionNotAllowed,
    SigningDeadlineExtensionNotLater,
    SigningWindowClosed,
    SigningWindowStillOpen,
    VecozoReferenceRequired,
)
from care_contracts.domain.contract.status import ContractStatus
from care_contracts.domain.dates import AMSTERDAM
from care_contracts.domain.policy.model import Route

from .contract_builders import ContractBuilder

ROUND_DEADLINE = date(2026, 11, 11)
LAST_SECOND_CET = datetime(2026, 11, 11, 22, 59, 59, tzinfo=UTC)  # 23:59:59 local (CET)
FIRST_LATE_CET = datetime(2026, 11, 11, 23, 0, 0, tzinfo=UTC)  # 00:00:00 on 12 November
OFFERED_AT = datetime(2026, 9, 30, 10, tzinfo=AMSTERDAM)
BEFORE = datetime(2026, 10, 15, 10, tzinfo=AMSTERDAM)


@pytest.fixture
def offer(contracts: ContractBuilder) -> Callable[[], Contract]:
    """An MSZ standard round offer, signable until 11 November 2026; nothing pending."""

    def make() -> Contract:
        approval = contracts.approval(
            "zz-2027-msz",
            route=Route.ANNUAL_ROUND,
            contract_type="ZZ-MSZ-CT-STANDARD",
            sub_type="edc",
            application_date=date(2026, 9, 1),
        )
        contract = contracts.offer(approval, at=OFFERED_AT)
        contract.collect_events()
        return contract

    return make


def _closed(contract: Contract, how: str) -> Contract:
    if how == "signed":
        contract.sign(at=BEFORE, vecozo_ref="VZ-1")
    elif how == "declined":
        contract.decline(at=BEFORE)
    elif how == "withdrawn":
        contract.withdraw_offer(at=BEFORE, reason="negative integrity advice")
    else:
        contract.expire(at=FIRST_LATE_CET)
    contract.collect_events()
    return contract


# --- signing ----------------------------------------------------------------------------------


def test_signing_at_the_last_local_second_of_the_deadline_is_in_time(
    offer: Callable[[], Contract],
) -> None:
    contract = offer()

    contract.sign(at=LAST_SECOND_CET, vecozo_ref="VZ-2026-0001")

    [signed] = contract.collect_events()
    assert get_topic(type(signed)) == "contracting.contract.signed"
    assert vars(signed)["signed_at"] == LAST_SECOND_CET
    assert vars(signed)["signed_on"] == ROUND_DEADLINE
    assert vars(signed)["vecozo_ref"] == "VZ-2026-0001"
    assert signed.timestamp == LAST_SECOND_CET
    assert contract.status is ContractStatus.SIGNED


def test_signing_at_local_midnight_after_the_deadline_is_late_and_records_nothing(
    offer: Callable[[], Contract],
) -> None:
    contract = offer()

    with pytest.raises(SigningWindowClosed) as refused:
        contract.sign(at=FIRST_LATE_CET, vecozo_ref="VZ-2026-0001")

    assert refused.value.facts["deadline"] == ROUND_DEADLINE
    assert contract.collect_events() == []
    assert contract.status is ContractStatus.OFFERED


def test_a_summer_deadline_closes_at_22_00_utc(contracts: ContractBuilder) -> None:
    contract = contracts.msz_application(
        applied=date(2027, 3, 17),
        at=datetime(2027, 4, 7, 10, tzinfo=AMSTERDAM),
    )
    assert contract.signing_deadline == date(2027, 5, 19)

    with pytest.raises(SigningWindowClosed):
        contract.sign(at=datetime(2027, 5, 19, 22, 0, 0, tzinfo=UTC), vecozo_ref="VZ-9")
    contract.sign(at=datetime(2027, 5, 19, 21, 59, 59, tzinfo=UTC), vecozo_ref="VZ-9")

    assert contract.status is ContractStatus.SIGNED


@pytest.mark.parametrize("how", ["signed", "declined", "withdrawn", "expired"])
def test_only_an_offered_contract_can_be_signed(offer: Callable[[], Contract], how: str) -> None:
    contract = _closed(offer(), how)

    with pytest.raises(ContractNotOpenForSigning) as refused:
        contract.sign(at=BEFORE, vecozo_ref="VZ-1")

    assert refused.value.facts["status"] == ContractStatus(how)
    assert contract.collect_events() == []


def test_a_signature_without_its_vecozo_reference_is_refused(
    offer: Callable[[], Contract],
) -> None:
    contract = offer()

    with pytest.raises(VecozoReferenceRequired):
        contract.sign(at=BEFORE, vecozo_ref="  ")

    assert contract.collect_events() == []


# --- decline and withdraw ---------------------------------------------------------------------


def test_the_provider_declines_an_open_offer(offer: Callable[[], Contract]) -> None:
    contract = offer()

    contract.decline(at=LAST_SECOND_CET, reason="tariffs too low")

    [declined] = contract.collect_events()
    assert get_topic(type(declined)) == "contracting.contract.offer_declined"
    assert vars(declined)["reason"] == "tariffs too low"
    assert contract.status is ContractStatus.DECLINED


def test_the_insurer_withdraws_an_open_offer_with_a_reason(offer: Callable[[], Contract]) -> None:
    contract = offer()

    contract.withdraw_offer(at=BEFORE, reason="negative integrity advice")

    [withdrawn] = contract.collect_events()
    assert get_topic(type(withdrawn)) == "contracting.contract.offer_withdrawn"
    assert vars(withdrawn)["reason"] == "negative integrity advice"
    assert contract.status is ContractStatus.WITHDRAWN


def test_withdrawing_without_a_reason_is_refused(offer: Callable[[], Contract]) -> None:
    contract = offer()

    with pytest.raises(ContractMotivationRequired):
        contract.withdraw_offer(at=BEFORE, reason=" ")

    assert contract.collect_events() == []


def test_a_lapsed_offer_can_no_longer_be_declined_or_withdrawn(
    offer: Callable[[], Contract],
) -> None:
    contract = offer()

    with pytest.raises(OfferLapsed):
        contract.decline(at=FIRST_LATE_CET)
    with pytest.raises(OfferLapsed):
        contract.withdraw_offer(at=FIRST_LATE_CET, reason="late")

    assert contract.collect_events() == []


@pytest.mark.parametrize("how", ["signed", "declined", "withdrawn", "expired"])
def test_a_closed_offer_can_no_longer_be_declined_or_withdrawn(
    offer: Callable[[], Contract], how: str
) -> None:
    contract = _closed(offer(), how)

    with pytest.raises(OfferNotOpen):
        contract.decline(at=BEFORE)
    with pytest.raises(OfferNotOpen):
        contract.withdraw_offer(at=BEFORE, reason="discretion")

    assert contract.collect_events() == []


# --- expiry -----------------------------------------------------------------------------------


def test_an_offer_expires_from_local_midnight_after_its_deadline(
    offer: Callable[[], Contract],
) -> None:
    contract = offer()

    contract.expire(at=FIRST_LATE_CET)

    [expired] = contract.collect_events()
    assert get_topic(type(expired)) == "contracting.contract.offer_expired"
    assert vars(expired)["deadline"] == ROUND_DEADLINE
    assert vars(expired)["rule"] == "ZZ-MSZ-SIGN-ANNUAL"
    assert contract.status is ContractStatus.EXPIRED


def test_an_offer_does_not_expire_on_its_deadline_day(offer: Callable[[], Contract]) -> None:
    contract = offer()

    with pytest.raises(SigningWindowStillOpen):
        contract.expire(at=LAST_SECOND_CET)

    assert contract.collect_events() == []


def test_expiring_twice_is_refused_and_records_nothing(offer: Callable[[], Contract]) -> None:
    contract = _closed(offer(), "expired")

    with pytest.raises(OfferNotOpen):
        contract.expire(at=FIRST_LATE_CET)

    assert contract.collect_events() == []


def test_an_unsigned_offer_reads_as_expired_after_its_deadline_before_the_timer_runs(
    offer: Callable[[], Contract],
) -> None:
    contract = offer()

    assert contract.status_on(ROUND_DEADLINE) is ContractStatus.OFFERED
    assert contract.status_on(date(2026, 11, 12)) is ContractStatus.EXPIRED


# --- extending the signing deadline (ASSUMPTION, off by default) ------------------------------


def test_an_enabled_and_motivated_extension_moves_the_deadline(
    offer: Callable[[], Contract],
) -> None:
    contract = offer()

    contract.extend_signing_deadline(
        at=BEFORE, until=date(2026, 11, 13), motivation="quote answered late", allowed=True
    )
    contract.sign(at=datetime(2026, 11, 13, 22, 59, 59, tzinfo=UTC), vecozo_ref="VZ-3")

    extended, _ = contract.collect_events()
    assert get_topic(type(extended)) == "contracting.contract.signing_deadline_extended"
    assert vars(extended)["previous"] == ROUND_DEADLINE
    assert vars(extended)["until"] == date(2026, 11, 13)
    assert contract.status is ContractStatus.SIGNED


def test_an_extension_that_the_configuration_does_not_allow_is_refused(
    offer: Callable[[], Contract],
) -> None:
    contract = offer()

    with pytest.raises(SigningDeadlineExtensionNotAllowed):
        contract.extend_signing_deadline(
            at=BEFORE, until=date(2026, 11, 13), motivation="quote answered late", allowed=False
        )

    assert contract.collect_events() == []


@pytest.mark.parametrize(
    ("until", "motivation", "error"),
    [
        (date(2026, 11, 13), "", ContractMotivationRequired),
        (ROUND_DEADLINE, "quote answered late", SigningDeadlineExtensionNotLater),
        (date(2026, 11, 1), "quote answered late", SigningDeadlineExtensionNotLater),
    ],
)
def test_an_extension_needs_a_motivation_and_a_later_day(
    offer: Callable[[], Contract], until: date, motivation: str, error: type[Exception]
) -> None:
    contract = offer()

    with pytest.raises(error):
        contract.extend_signing_deadline(
            at=BEFORE, until=until, motivation=motivation, allowed=True
        )

    assert contract.collect_events() == []


def test_a_lapsed_offer_cannot_be_revived_by_an_extension(offer: Callable[[], Contract]) -> None:
    contract = offer()

    with pytest.raises(OfferLapsed):
        contract.extend_signing_deadline(
            at=FIRST_LATE_CET, until=date(2026, 11, 20), motivation="late", allowed=True
        )

    assert contract.collect_events() == []
