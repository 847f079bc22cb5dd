"""Offering a contract: the §6.4 worked examples and every guard of ``Contract.offer``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.contract.errors import (
    ContractMotivationRequired,
    ContractTypeNotEligible,
    EndDateFixedByContractType,
    ExplicitEndDateRequired,
    OfferBornExpired,
    ReceiptBeforeOffer,
    RunningContractNeedsNoApproval,
    TermEndsBeforeStart,
)
from care_contracts.domain.contract.status import ContractStatus
from care_contracts.domain.dates import AMSTERDAM
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.policy.errors import (
    ContractTypeNotInPack,
    NoPolicyInForce,
    PolicyPackMismatch,
    UnknownSubType,
)
from care_contracts.domain.policy.model import Route

from .contract_builders import CARESQ, CQ_PHARMACY, ContractBuilder, caresq_pack, provider


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=AMSTERDAM)


# --- brief §6.4, through Contract.offer -------------------------------------------------------


def test_an_msz_application_in_2026_starts_in_2027_and_signs_six_weeks_after_receipt(
    contracts: ContractBuilder,
) -> None:
    contract = contracts.msz_application(applied=date(2026, 10, 5), at=_at(2026, 10, 20))

    assert contract.starts_on == date(2027, 1, 1)
    assert contract.signing_deadline == date(2026, 12, 1)
    assert contract.rules == (
        "ZZ-MSZ-CT-MAATWERK",
        "ZZ-MSZ-START-APPLICATION",
        "ZZ-MSZ-SIGN-APPLICATION",
    )


def test_an_msz_application_in_2027_starts_on_the_first_of_the_month_of_application(
    contracts: ContractBuilder,
) -> None:
    contract = contracts.msz_application(
        applied=date(2027, 3, 17), at=_at(2027, 4, 1), received_on=date(2027, 4, 7)
    )

    assert contract.starts_on == date(2027, 3, 1)
    assert contract.offered_on == date(2027, 4, 1)
    assert contract.received_on == date(2027, 4, 7)
    assert contract.signing_deadline == date(2027, 5, 19)


def test_an_msz_standard_round_offer_signs_by_11_november(contracts: ContractBuilder) -> None:
    approval = contracts.approval(
        "zz-2027-msz",
        route=Route.ANNUAL_ROUND,
        contract_type="ZZ-MSZ-CT-STANDARD",
        sub_type="edc",
        application_date=date(2026, 9, 1),
    )

    contract = contracts.offer(approval, at=_at(2026, 9, 30))

    assert contract.signing_deadline == date(2026, 11, 11)
    assert contract.signing_rule == "ZZ-MSZ-SIGN-ANNUAL"
    assert contract.starts_on == date(2027, 1, 1)
    assert contract.carries_ceiling is False


@pytest.mark.parametrize(
    ("contract_type", "start"),
    [("ZZ-GZSP-CT-MAATWERK", date(2027, 1, 1)), ("ZZ-GZSP-CT-BASIS", date(2026, 10, 1))],
)
def test_a_gzsp_application_start_is_clamped_to_the_contract_type_term(
    contracts: ContractBuilder, contract_type: str, start: date
) -> None:
    approval = contracts.approval(
        "zz-2027-gzsp",
        route=Route.APPLICATION,
        contract_type=contract_type,
        application_date=date(2026, 10, 14),
    )

    contract = contracts.offer(approval, at=_at(2026, 10, 28))

    assert contract.starts_on == start


def test_a_gzsp_application_offer_received_28_october_signs_by_9_december(
    contracts: ContractBuilder,
) -> None:
    approval = contracts.approval(
        "zz-2027-gzsp",
        route=Route.APPLICATION,
        contract_type="ZZ-GZSP-CT-MAATWERK",
        application_date=date(2026, 10, 14),
    )

    contract = contracts.offer(approval, at=_at(2026, 10, 28))

    assert contract.signing_deadline == date(2026, 12, 9)


@pytest.mark.parametrize(
    ("applied", "offered", "start", "deadline"),
    [
        (date(2027, 3, 17), date(2027, 3, 25), date(2027, 4, 1), date(2027, 4, 22)),
        (date(2027, 3, 17), date(2027, 4, 20), date(2027, 5, 1), date(2027, 5, 18)),
        (date(2026, 12, 20), date(2027, 1, 5), date(2027, 2, 1), date(2027, 2, 2)),
    ],
)
def test_a_caresq_late_application_starts_the_month_after_and_never_before_the_offer(
    contracts: ContractBuilder, applied: date, offered: date, start: date, deadline: date
) -> None:
    at = datetime(offered.year, offered.month, offered.day, 10, tzinfo=AMSTERDAM)

    contract = contracts.caresq_application(applied=applied, at=at)

    assert contract.pack_id == CQ_PHARMACY
    assert contract.starts_on == start
    assert contract.starts_on >= contract.offered_on
    assert contract.signing_deadline == deadline


def test_a_caresq_negotiated_offer_signs_four_weeks_after_the_offer(
    contracts: ContractBuilder,
) -> None:
    approval = contracts.approval(
        CQ_PHARMACY,
        route=Route.NEGOTIATED,
        contract_type="CQ-FARM-CT-NEGOTIATED",
        application_date=date(2026, 7, 1),
    )

    contract = contracts.offer(approval, at=_at(2026, 10, 12), ends_on=date(2029, 12, 31))

    assert contract.signing_deadline == date(2026, 11, 9)
    assert contract.starts_on == date(2027, 1, 1)


# --- what the Offered event records -----------------------------------------------------------


def test_the_offer_records_provider_term_deadline_pack_and_deciding_rules(
    contracts: ContractBuilder,
) -> None:
    at = _at(2026, 10, 20)
    contract = contracts.msz_application(applied=date(2026, 10, 5), at=at)

    [offered] = contract.collect_events()

    assert get_topic(type(offered)) == "contracting.contract.offered"
    assert offered.timestamp == at
    fields: dict[str, Any] = vars(offered)
    assert fields["agb_enterprise"] == provider().agb_enterprise
    assert (fields["provider_name"], fields["city"]) == ("Kliniek Zuid", "Leiden")
    assert str(fields["postcode"]) == "2311 AB"
    assert (fields["insurer"], fields["year"], fields["care_type"]) == (
        "zorg-en-zekerheid",
        2027,
        "msz",
    )
    assert (fields["pack_id"], fields["pack_version"]) == ("zz-2027-msz", "1.1")
    assert (fields["starts_on"], fields["ends_on"]) == (date(2027, 1, 1), date(2027, 12, 31))
    assert fields["carries_ceiling"] is True
    assert (fields["listed"], fields["publish_from"]) == (True, date(2026, 11, 12))
    assert fields["received_on"] == fields["offered_on"] == date(2026, 10, 20)
    assert contract.status is ContractStatus.OFFERED


def test_an_offer_without_services_is_fully_contracted(contracts: ContractBuilder) -> None:
    contract = contracts.msz_application(applied=date(2026, 10, 5), at=_at(2026, 10, 20))

    assert contract.partially_contracted is False
    assert contract.excluded_services == ()


def test_leaving_services_out_makes_the_contract_partially_contracted_with_its_reason(
    contracts: ContractBuilder,
) -> None:
    contract = contracts.msz_application(
        applied=date(2026, 10, 5),
        at=_at(2026, 10, 20),
        excluded_services=("bariatric surgery", " bariatric surgery ", "IVF"),
        exclusion_reason="regional supply sufficient",
    )

    assert contract.partially_contracted is True
    assert contract.excluded_services == ("bariatric surgery", "IVF")
    assert contract.exclusion_reason == "regional supply sufficient"


def test_leaving_services_out_without_a_reason_is_refused(contracts: ContractBuilder) -> None:
    with pytest.raises(ContractMotivationRequired):
        contracts.msz_application(
            applied=date(2026, 10, 5), at=_at(2026, 10, 20), excluded_services=("IVF",)
        )


def test_a_repeated_offer_for_one_application_gets_the_same_contract_id(
    contracts: ContractBuilder,
) -> None:
    first = contracts.msz_application(applied=date(2026, 10, 5), at=_at(2026, 10, 20))
    again = contracts.msz_application(applied=date(2026, 10, 5), at=_at(2026, 10, 21))
    other = contracts.offer(
        contracts.approval(
            "zz-2027-msz",
            route=Route.APPLICATION,
            contract_type="ZZ-MSZ-CT-MAATWERK",
            sub_type="general_hospital",
            application_date=date(2026, 10, 5),
            key="application-2",
        ),
        at=_at(2026, 10, 20),
    )

    assert again.id == first.id
    assert other.id != first.id


# --- guards -----------------------------------------------------------------------------------


def test_an_offer_under_another_pack_than_the_approval_is_refused(
    contracts: ContractBuilder,
) -> None:
    approval = contracts.approval(
        "zz-2027-msz",
        route=Route.APPLICATION,
        contract_type="ZZ-MSZ-CT-MAATWERK",
        sub_type="general_hospital",
        application_date=date(2026, 10, 5),
    )

    with pytest.raises(PolicyPackMismatch):
        Contract.offer(
            approval=approval,
            pack=contracts.pack("zz-2027-gzsp", date(2026, 10, 20)),
            at=_at(2026, 10, 20),
        )


def test_the_offer_pins_the_pack_version_in_force_on_the_offer_day() -> None:
    builder = ContractBuilder(
        PolicyCatalog([caresq_pack("1.0"), caresq_pack("1.1", valid_from=date(2027, 3, 1))])
    )

    contract = builder.caresq_application(
        applied=date(2027, 2, 10), at=_at(2027, 3, 5), pack_id=CARESQ
    )

    assert (
        builder.approval(
            CARESQ,
            route=Route.APPLICATION,
            contract_type="CQ-FARM-CT-BASIS",
            application_date=date(2027, 2, 10),
        ).pack.version
        == "1.0"
    )
    assert contract.pack_version == "1.1"


def test_an_offer_under_a_version_older_than_the_approval_is_refused() -> None:
    catalog = PolicyCatalog([caresq_pack("1.0"), caresq_pack("1.1", valid_from=date(2027, 3, 1))])
    builder = ContractBuilder(catalog)
    approval = builder.approval(
        CARESQ,
        route=Route.APPLICATION,
        contract_type="CQ-FARM-CT-BASIS",
        application_date=date(2027, 3, 10),
    )
    old = next(p for p in catalog if p.version == "1.0")

    with pytest.raises(PolicyPackMismatch):
        Contract.offer(
            approval=approval,
            pack=catalog.get(old.ref),
            at=_at(2027, 3, 20),
            ends_on=date(2029, 12, 31),
        )


def test_an_offer_under_a_version_not_yet_in_force_is_refused() -> None:
    catalog = PolicyCatalog([caresq_pack("1.0", valid_from=date(2027, 3, 1))])
    approval = ContractBuilder(catalog).approval(
        CARESQ,
        route=Route.APPLICATION,
        contract_type="CQ-FARM-CT-BASIS",
        application_date=date(2027, 3, 10),
    )
    pack = catalog.newest_in_force(CARESQ, date(2027, 3, 10))

    with pytest.raises(NoPolicyInForce):
        Contract.offer(approval=approval, pack=pack, at=_at(2027, 2, 20), ends_on=date(2029, 1, 1))


def test_an_approval_cannot_carry_a_running_contract(contracts: ContractBuilder) -> None:
    approval = contracts.approval(
        CQ_PHARMACY,
        route=Route.RUNNING_CONTRACT,
        contract_type="CQ-FARM-CT-RUNNING",
        application_date=date(2026, 9, 1),
    )

    with pytest.raises(RunningContractNeedsNoApproval, match="register_running_contract"):
        contracts.offer(approval, at=_at(2026, 9, 15), ends_on=date(2028, 12, 31))


@pytest.mark.parametrize(
    ("route", "contract_type", "sub_type"),
    [
        (Route.APPLICATION, "ZZ-MSZ-CT-NIP", "umc"),  # NIP is not offered to applicants
        (Route.APPLICATION, "ZZ-MSZ-CT-STANDARD", "general_hospital"),  # standard: EDC etc.
    ],
)
def test_a_contract_type_off_its_routes_or_sub_types_is_refused(
    contracts: ContractBuilder, route: Route, contract_type: str, sub_type: str
) -> None:
    approval = contracts.approval(
        "zz-2027-msz",
        route=route,
        contract_type=contract_type,
        sub_type=sub_type,
        application_date=date(2026, 10, 5),
    )

    with pytest.raises(ContractTypeNotEligible):
        contracts.offer(approval, at=_at(2026, 10, 20))


def test_a_contract_type_that_is_not_offerable_is_refused(contracts: ContractBuilder) -> None:
    approval = contracts.approval(
        CARESQ,
        route=Route.NEGOTIATED,
        contract_type="CQ-FARM-CT-ADDITIONAL",
        application_date=date(2026, 9, 1),
    )

    with pytest.raises(ContractTypeNotInPack):
        contracts.offer(approval, at=_at(2026, 10, 1), ends_on=date(2028, 12, 31))


def test_an_unknown_sub_type_is_refused(contracts: ContractBuilder) -> None:
    approval = contracts.approval(
        "zz-2027-msz",
        route=Route.APPLICATION,
        contract_type="ZZ-MSZ-CT-MAATWERK",
        sub_type="dentistry",
        application_date=date(2026, 10, 5),
    )

    with pytest.raises(UnknownSubType):
        contracts.offer(approval, at=_at(2026, 10, 20))


def test_a_contract_type_without_a_term_end_needs_an_explicit_end_date(
    contracts: ContractBuilder,
) -> None:
    approval = contracts.approval(
        CARESQ,
        route=Route.APPLICATION,
        contract_type="CQ-FARM-CT-BASIS",
        application_date=date(2027, 3, 17),
    )

    with pytest.raises(ExplicitEndDateRequired):
        contracts.offer(approval, at=_at(2027, 3, 25))

    contract = contracts.offer(approval, at=_at(2027, 3, 25), ends_on=date(2029, 12, 31))
    assert contract.ends_on == date(2029, 12, 31)


def test_an_end_date_other_than_the_contract_type_term_is_refused(
    contracts: ContractBuilder,
) -> None:
    with pytest.raises(EndDateFixedByContractType):
        contracts.msz_application(
            applied=date(2026, 10, 5), at=_at(2026, 10, 20), ends_on=date(2028, 12, 31)
        )

    same = contracts.msz_application(
        applied=date(2026, 10, 5), at=_at(2026, 10, 20), ends_on=date(2027, 12, 31)
    )
    assert same.ends_on == date(2027, 12, 31)


def test_an_explicit_end_before_the_start_is_refused(contracts: ContractBuilder) -> None:
    with pytest.raises(TermEndsBeforeStart):
        contracts.caresq_application(
            applied=date(2027, 3, 17), at=_at(2027, 3, 25), ends_on=date(2027, 3, 31)
        )


@pytest.mark.parametrize(
    ("pack_id", "contract_type", "sub_type", "last_day", "ends_on"),
    [
        ("zz-2027-msz", "ZZ-MSZ-CT-STANDARD", "edc", date(2026, 11, 11), None),
        (CQ_PHARMACY, "CQ-FARM-CT-BASIS", None, date(2026, 11, 7), date(2029, 12, 31)),
    ],
)
def test_an_annual_round_offer_after_its_fixed_signing_date_would_be_born_expired(
    contracts: ContractBuilder,
    pack_id: str,
    contract_type: str,
    sub_type: str | None,
    last_day: date,
    ends_on: date | None,
) -> None:
    approval = contracts.approval(
        pack_id,
        route=Route.ANNUAL_ROUND,
        contract_type=contract_type,
        sub_type=sub_type,
        application_date=date(2026, 9, 1),
    )
    on_the_day = datetime(last_day.year, last_day.month, last_day.day, 23, 59, tzinfo=AMSTERDAM)
    next_day = datetime(last_day.year, last_day.month, last_day.day + 1, 0, 0, tzinfo=AMSTERDAM)

    with pytest.raises(OfferBornExpired):
        contracts.offer(approval, at=next_day, ends_on=ends_on)

    assert contracts.offer(approval, at=on_the_day, ends_on=ends_on).signing_deadline == last_day


def test_an_offer_cannot_be_received_before_it_is_made(contracts: ContractBuilder) -> None:
    with pytest.raises(ReceiptBeforeOffer):
        contracts.msz_application(
            applied=date(2026, 10, 5), at=_at(2026, 10, 20), received_on=date(2026, 10, 19)
        )
