"""Care-finder visibility at its boundaries (brief §11), from what the offer recorded."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.contract.status import TerminationInitiator
from care_contracts.domain.dates import AMSTERDAM
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.policy.model import CareFinderPolicy

from .contract_builders import CARESQ, ContractBuilder, caresq_pack

PUBLICATION = date(2026, 11, 12)


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=AMSTERDAM)


@pytest.fixture
def offered(contracts: ContractBuilder) -> Contract:
    """MSZ maatwerk 2027, offered 20 October 2026; the pack publishes from 12 November 2026."""
    return contracts.msz_application(applied=date(2026, 10, 5), at=_at(2026, 10, 20))


@pytest.fixture
def signed(offered: Contract) -> Contract:
    offered.sign(at=_at(2026, 11, 1), vecozo_ref="VZ-1")
    return offered


def test_a_contract_signed_before_publication_is_listed_from_the_publication_day(
    signed: Contract,
) -> None:
    assert signed.care_finder_visible(date(2026, 11, 11)) is False
    assert signed.care_finder_visible(PUBLICATION) is True
    assert signed.care_finder_visible(date(2027, 1, 1)) is True


def test_a_contract_signed_after_publication_is_listed_from_its_signing_day(
    contracts: ContractBuilder,
) -> None:
    contract = contracts.caresq_application(applied=date(2027, 3, 17), at=_at(2027, 3, 25))
    contract.sign(at=_at(2027, 3, 26), vecozo_ref="VZ-1")

    assert contract.care_finder_visible(date(2027, 3, 25)) is False
    assert contract.care_finder_visible(date(2027, 3, 26)) is True  # before its 1 April start


def test_an_offer_is_never_listed(offered: Contract) -> None:
    assert offered.care_finder_visible(PUBLICATION) is False


@pytest.mark.parametrize("how", ["declined", "withdrawn", "expired"])
def test_a_declined_withdrawn_or_expired_offer_is_never_listed(offered: Contract, how: str) -> None:
    if how == "declined":
        offered.decline(at=_at(2026, 10, 25))
    elif how == "withdrawn":
        offered.withdraw_offer(at=_at(2026, 10, 25), reason="integrity")
    else:
        offered.expire(at=_at(2026, 12, 2))

    assert offered.care_finder_visible(date(2027, 1, 1)) is False


def test_a_suspended_contract_is_hidden_and_listed_again_once_lifted(signed: Contract) -> None:
    signed.suspend(at=_at(2027, 2, 1), grounds=("ZZ-EXCL-TAX",))
    assert signed.care_finder_visible(date(2027, 2, 1)) is False

    signed.lift_suspension(at=_at(2027, 3, 1), motivation="investigation closed")
    assert signed.care_finder_visible(date(2027, 3, 1)) is True


def test_a_terminated_contract_is_hidden_from_the_termination_date(signed: Contract) -> None:
    signed.terminate(
        at=_at(2027, 2, 1),
        grounds=("ZZ-EXCL-TAX",),
        effective_on=date(2027, 4, 1),
        initiated_by=TerminationInitiator.INSURER,
    )

    assert signed.care_finder_visible(date(2027, 3, 31)) is True
    assert signed.care_finder_visible(date(2027, 4, 1)) is False


def test_a_contract_is_hidden_after_the_last_day_of_its_term(signed: Contract) -> None:
    assert signed.care_finder_visible(date(2027, 12, 31)) is True
    assert signed.care_finder_visible(date(2028, 1, 1)) is False

    signed.end(at=_at(2028, 1, 1))
    assert signed.care_finder_visible(date(2028, 1, 1)) is False


def test_a_care_type_the_pack_does_not_list_is_never_shown() -> None:
    unlisted = caresq_pack(care_finder=CareFinderPolicy(listed=False))
    contract = ContractBuilder(PolicyCatalog([unlisted])).caresq_application(
        applied=date(2027, 3, 17), at=_at(2027, 3, 25), pack_id=CARESQ
    )
    contract.sign(at=_at(2027, 3, 26), vecozo_ref="VZ-1")

    assert contract.care_finder_visible(date(2027, 5, 1)) is False


def test_a_later_pack_version_does_not_move_an_existing_contract_publication() -> None:
    later = CareFinderPolicy(listed=True, publish_from=date(2027, 6, 1))
    catalog = PolicyCatalog(
        [caresq_pack("1.0"), caresq_pack("1.1", date(2027, 4, 1), care_finder=later)]
    )
    contract = ContractBuilder(catalog).caresq_application(
        applied=date(2027, 3, 17), at=_at(2027, 3, 25), pack_id=CARESQ
    )
    contract.sign(at=_at(2027, 3, 26), vecozo_ref="VZ-1")

    assert contract.publish_from == PUBLICATION
    assert contract.care_finder_visible(date(2027, 5, 1)) is True
