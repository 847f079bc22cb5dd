"""Every worked example of brief §6.4, computed by the rule functions from the real packs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from care_contracts.domain.dates import end_of_day, is_on_or_before
from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.model import Route
from care_contracts.domain.policy.rules import period_end, signing_deadline, start_date

ZZ = "zorg-en-zekerheid"
CQ = "eucare"
CEST = timezone(timedelta(hours=2))


def _pack(catalog: PolicyCatalog, insurer: str, year: int, care_type: str) -> ResolvedPack:
    return catalog.in_force(insurer, year, care_type, date(2026, 10, 1))


def _start(
    pack: ResolvedPack, route: Route, contract_type: str, applied: date | None, offered: date
) -> tuple[date, str]:
    result = start_date(
        pack,
        route,
        pack.contract_type(contract_type),
        application_date=applied,
        offered_on=offered,
    )
    return result.value, result.rule


def _sign(
    pack: ResolvedPack, route: Route, contract_type: str, offered: date, received: date
) -> tuple[date, str]:
    result = signing_deadline(pack, route, contract_type, offered_on=offered, received_on=received)
    return result.value, result.rule


def test_msz_application_in_2026_starts_1_january_2027_and_signs_six_weeks_after_receipt(
    catalog: PolicyCatalog,
) -> None:
    msz = _pack(catalog, ZZ, 2027, "msz")
    assert _start(
        msz, Route.APPLICATION, "ZZ-MSZ-CT-MAATWERK", date(2026, 10, 5), date(2026, 10, 20)
    ) == (
        date(2027, 1, 1),
        "ZZ-MSZ-START-APPLICATION",
    )
    assert _sign(
        msz, Route.APPLICATION, "ZZ-MSZ-CT-MAATWERK", date(2026, 10, 19), date(2026, 10, 20)
    ) == (
        date(2026, 12, 1),
        "ZZ-MSZ-SIGN-APPLICATION",
    )


def test_msz_application_in_2027_starts_on_the_first_of_the_application_month(
    catalog: PolicyCatalog,
) -> None:
    msz = _pack(catalog, ZZ, 2027, "msz")
    assert _start(
        msz, Route.APPLICATION, "ZZ-MSZ-CT-STANDARD", date(2027, 3, 17), date(2027, 4, 7)
    ) == (
        date(2027, 3, 1),
        "ZZ-MSZ-START-APPLICATION",
    )
    deadline, rule = _sign(
        msz, Route.APPLICATION, "ZZ-MSZ-CT-STANDARD", date(2027, 4, 7), date(2027, 4, 7)
    )
    assert (deadline, rule) == (date(2027, 5, 19), "ZZ-MSZ-SIGN-APPLICATION")
    assert deadline.strftime("%a") == "Wed"


def test_an_msz_standard_offer_of_30_september_signs_by_11_november(
    catalog: PolicyCatalog,
) -> None:
    msz = _pack(catalog, ZZ, 2027, "msz")
    offered = date(2026, 9, 30)
    deadline = _sign(msz, Route.ANNUAL_ROUND, "ZZ-MSZ-CT-STANDARD", offered, offered)
    assert deadline == (date(2026, 11, 11), "ZZ-MSZ-SIGN-ANNUAL")
    assert deadline[0] == offered + timedelta(days=42)
    assert _start(msz, Route.ANNUAL_ROUND, "ZZ-MSZ-CT-STANDARD", None, offered) == (
        date(2027, 1, 1),
        "ZZ-MSZ-START-ROUND",
    )


def test_a_late_standard_offer_keeps_the_absolute_signing_date(catalog: PolicyCatalog) -> None:
    msz = _pack(catalog, ZZ, 2027, "msz")
    offered = date(2026, 10, 20)
    assert _sign(msz, Route.NEGOTIATED, "ZZ-MSZ-CT-MAATWERK", offered, offered)[0] == date(
        2026, 11, 11
    )


def test_the_msz_quote_answer_falls_one_day_after_the_signing_deadline(
    catalog: PolicyCatalog,
) -> None:
    msz = _pack(catalog, ZZ, 2027, "msz")
    answer = period_end(msz, "ZZ-MSZ-QUOTE-ANSWER", anchor=date(2026, 10, 1))
    assert (answer.value, answer.rule) == (date(2026, 11, 12), "ZZ-MSZ-QUOTE-ANSWER")
    signing = _sign(
        msz, Route.NEGOTIATED, "ZZ-MSZ-CT-MAATWERK", date(2026, 10, 1), date(2026, 10, 1)
    )
    assert answer.value == signing[0] + timedelta(days=1)


@pytest.mark.parametrize(
    ("contract_type", "expected"),
    [("ZZ-GZSP-CT-MAATWERK", date(2027, 1, 1)), ("ZZ-GZSP-CT-BASIS", date(2026, 10, 1))],
)
def test_a_gzsp_application_start_is_clamped_to_the_contract_term(
    catalog: PolicyCatalog, contract_type: str, expected: date
) -> None:
    gzsp = _pack(catalog, ZZ, 2027, "gzsp")
    assert _start(
        gzsp, Route.APPLICATION, contract_type, date(2026, 10, 14), date(2026, 10, 28)
    ) == (
        expected,
        "ZZ-GZSP-START-APPLICATION",
    )
    rule = next(r for r in gzsp.pack.start_rules if r.code == "ZZ-GZSP-START-APPLICATION")
    assert rule.override_allowed


def test_a_gzsp_application_offer_signs_six_weeks_after_receipt(catalog: PolicyCatalog) -> None:
    gzsp = _pack(catalog, ZZ, 2027, "gzsp")
    deadline = _sign(
        gzsp, Route.APPLICATION, "ZZ-GZSP-CT-BASIS", date(2026, 10, 27), date(2026, 10, 28)
    )
    assert deadline == (date(2026, 12, 9), "ZZ-GZSP-SIGN-APPLICATION")
    assert deadline[0].strftime("%a") == "Wed"


def test_a_gzsp_round_basis_offer_starts_in_2027_and_signs_by_11_november(
    catalog: PolicyCatalog,
) -> None:
    gzsp = _pack(catalog, ZZ, 2027, "gzsp")
    offered = date(2026, 9, 15)
    assert _start(gzsp, Route.ANNUAL_ROUND, "ZZ-GZSP-CT-BASIS", None, offered) == (
        date(2027, 1, 1),
        "ZZ-GZSP-START-ROUND",
    )
    assert _sign(gzsp, Route.ANNUAL_ROUND, "ZZ-GZSP-CT-BASIS", offered, offered) == (
        date(2026, 11, 11),
        "ZZ-GZSP-SIGN-ANNUAL",
    )


@pytest.mark.parametrize(
    ("applied", "offered", "start", "sign_by"),
    [
        (date(2027, 3, 17), date(2027, 3, 25), date(2027, 4, 1), date(2027, 4, 22)),
        (date(2027, 3, 17), date(2027, 4, 20), date(2027, 5, 1), date(2027, 5, 18)),
        (date(2026, 12, 20), date(2027, 1, 5), date(2027, 2, 1), date(2027, 2, 2)),
        (date(2026, 12, 20), date(2027, 1, 1), date(2027, 1, 1), date(2027, 1, 29)),
    ],
)
def test_a_caresq_application_starts_the_month_after_and_never_retroactively(
    catalog: PolicyCatalog, applied: date, offered: date, start: date, sign_by: date
) -> None:
    for care_type, contract_type, prefix in (
        ("pharmacy", "CQ-FARM-CT-BASIS", "CQ-FARM"),
        ("disv-dietary", "CQ-DISV-CT-DIGITAL", "CQ-DISV"),
    ):
        pack = _pack(catalog, CQ, 2027, care_type)
        assert _start(pack, Route.APPLICATION, contract_type, applied, offered) == (
            start,
            f"{prefix}-START-APPLICATION",
        )
        assert _sign(pack, Route.APPLICATION, contract_type, offered, offered) == (
            sign_by,
            f"{prefix}-SIGN-LATE-APPLICATION",
        )


def test_a_caresq_negotiated_offer_signs_four_weeks_after_the_offer(
    catalog: PolicyCatalog,
) -> None:
    pharmacy = _pack(catalog, CQ, 2027, "pharmacy")
    offered = date(2026, 10, 12)
    deadline = _sign(
        pharmacy, Route.NEGOTIATED, "CQ-FARM-CT-NEGOTIATED", offered, date(2026, 10, 20)
    )
    assert deadline == (date(2026, 11, 9), "CQ-FARM-SIGN-NEGOTIATED")
    assert deadline[0].strftime("%a") == "Mon"
    assert _start(pharmacy, Route.NEGOTIATED, "CQ-FARM-CT-NEGOTIATED", None, offered) == (
        date(2027, 1, 1),
        "CQ-FARM-START-ROUND",
    )


@pytest.mark.parametrize(
    ("care_type", "contract_type", "rule"),
    [
        ("pharmacy", "CQ-FARM-CT-BASIS", "CQ-FARM-SIGN-NON-NEGOTIATED"),
        ("pharmacy", "CQ-FARM-CT-DIENSTAPOTHEEK", "CQ-FARM-SIGN-NON-NEGOTIATED"),
        ("disv-dietary", "CQ-DISV-CT-DIGITAL", "CQ-DISV-SIGN"),
    ],
)
def test_caresq_round_offers_sign_by_saturday_7_november(
    catalog: PolicyCatalog, care_type: str, contract_type: str, rule: str
) -> None:
    pack = _pack(catalog, CQ, 2027, care_type)
    deadline = _sign(pack, Route.ANNUAL_ROUND, contract_type, date(2026, 9, 30), date(2026, 9, 30))
    assert deadline == (date(2026, 11, 7), rule)
    assert deadline[0].strftime("%a") == "Sat"


def test_an_mdz_application_in_2025_starts_1_january_2026(catalog: PolicyCatalog) -> None:
    mdz = catalog.in_force(ZZ, 2026, "multidisciplinary", date(2025, 6, 1))
    assert _start(
        mdz, Route.APPLICATION, "ZZ-MDZ-CT-OI-REGIOMANAGEMENT", date(2025, 11, 3), date(2025, 12, 1)
    ) == (date(2026, 1, 1), "ZZ-MDZ-START-APPLICATION")
    assert _start(
        mdz, Route.APPLICATION, "ZZ-MDZ-CT-OI-REGIOMANAGEMENT", date(2026, 5, 20), date(2026, 6, 2)
    ) == (date(2026, 5, 1), "ZZ-MDZ-START-APPLICATION")
    assert _sign(
        mdz,
        Route.ANNUAL_ROUND,
        "ZZ-MDZ-CT-OI-REGIOMANAGEMENT",
        date(2025, 11, 2),
        date(2025, 11, 3),
    ) == (date(2025, 12, 15), "ZZ-MDZ-SIGN-ROUND")


def test_an_mdz_application_in_2027_starts_on_the_first_of_its_month(
    catalog: PolicyCatalog,
) -> None:
    mdz = catalog.in_force(ZZ, 2027, "multidisciplinary", date(2027, 2, 1))
    assert _start(
        mdz, Route.APPLICATION, "ZZ-MDZ-CT-PRAKTIJKMANAGEMENT", date(2027, 2, 14), date(2027, 3, 1)
    ) == (date(2027, 2, 1), "ZZ-MDZ-START-APPLICATION")
    assert mdz.contract_type("ZZ-MDZ-CT-PRAKTIJKMANAGEMENT").term is not None


@pytest.mark.parametrize(
    ("day", "first_instant_after"),
    [
        (date(2026, 11, 11), datetime(2026, 11, 11, 23, 0, tzinfo=UTC)),
        (date(2027, 10, 1), datetime(2027, 10, 1, 22, 0, tzinfo=UTC)),
    ],
)
def test_a_deadline_day_ends_at_local_midnight_across_daylight_saving(
    day: date, first_instant_after: datetime
) -> None:
    assert end_of_day(day) == first_instant_after
    assert is_on_or_before(first_instant_after - timedelta(microseconds=1), day)
    assert not is_on_or_before(first_instant_after, day)


@pytest.mark.parametrize("care_type", ["msz", "gzsp"])
def test_a_ceiling_notice_at_2330_cest_on_1_october_is_in_time_and_0005_next_day_is_late(
    catalog: PolicyCatalog, care_type: str
) -> None:
    ceiling = _pack(catalog, ZZ, 2027, care_type).pack.ceiling
    assert ceiling is not None
    assert is_on_or_before(datetime(2027, 10, 1, 23, 30, tzinfo=CEST), ceiling.notice_deadline)
    assert not is_on_or_before(datetime(2027, 10, 2, 0, 5, tzinfo=CEST), ceiling.notice_deadline)


def test_the_ceiling_decision_deadlines_differ_per_care_type(catalog: PolicyCatalog) -> None:
    msz = _pack(catalog, ZZ, 2027, "msz").pack.ceiling
    gzsp = _pack(catalog, ZZ, 2027, "gzsp").pack.ceiling
    assert msz is not None
    assert gzsp is not None
    assert (msz.decision_deadline, gzsp.decision_deadline) == (date(2028, 3, 31), date(2027, 11, 1))
    assert (msz.notice_channel, gzsp.notice_channel) == (
        "zorginkoop.msz@zorgenzekerheid.nl",
        "zorginkoop.wijkverpleging@zorgenzekerheid.nl",
    )


@pytest.mark.parametrize(
    ("insurer", "care_type", "listed"),
    [(ZZ, "msz", True), (ZZ, "gzsp", True), (CQ, "pharmacy", True), (CQ, "disv-dietary", True)],
)
def test_the_care_finder_publishes_from_12_november_2026(
    catalog: PolicyCatalog, insurer: str, care_type: str, listed: bool
) -> None:
    finder = _pack(catalog, insurer, 2027, care_type).pack.care_finder
    assert finder is not None
    assert (finder.listed, finder.publish_from) == (listed, date(2026, 11, 12))


def test_mdz_contracts_are_not_listed_in_the_care_finder(catalog: PolicyCatalog) -> None:
    finder = catalog.in_force(ZZ, 2027, "multidisciplinary", date(2027, 1, 1)).pack.care_finder
    assert finder is not None
    assert not finder.listed
    assert finder.assumption
