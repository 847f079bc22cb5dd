"""Submitting an application: the applied event, the natural id and the hard guards (brief §4.2)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.errors import (
    ApplicantRoleNotAllowed,
    ApplicationWindowClosed,
    GeneralPackNotApplicable,
    OriginDoesNotFitRoute,
    PackDoesNotCoverApplication,
    PackNotInForceOnReceipt,
    RouteTakesNoApplication,
)
from care_contracts.domain.application.states import ApplicationStatus, Channel, Origin
from care_contracts.domain.errors import DomainError
from care_contracts.domain.identity import natural_id
from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.errors import UnknownSubType
from care_contracts.domain.policy.model import PackRef, Route
from tests.unit.application.conftest import at, provider, submit, tiny_pack


def test_submitting_records_the_applied_event_with_provider_pack_and_window_rule(
    msz: ResolvedPack,
) -> None:
    app = submit(msz, at=at(2027, 3, 10, 14))

    [submitted] = app.collect_events()
    assert isinstance(submitted, ProviderApplication.Submitted)
    assert type(submitted).TOPIC == "contracting.application.submitted"
    assert submitted.provider == provider()
    assert (submitted.insurer, submitted.year, submitted.care_type) == (
        "zorg-en-zekerheid",
        2027,
        "msz",
    )
    assert submitted.sub_type == "zbc"
    assert (submitted.route, submitted.origin, submitted.channel) == (
        Route.APPLICATION,
        Origin.PROVIDER,
        Channel.WEB_FORM,
    )
    assert submitted.received_at == at(2027, 3, 10, 14)
    assert submitted.timestamp == at(2027, 3, 10, 14)
    assert (submitted.pack_id, submitted.pack_version) == ("zz-2027-msz", "1.1")
    assert submitted.rules == (msz.pack.application.window_rule,)  # type: ignore[union-attr]
    assert app.status is ApplicationStatus.RECEIVED
    assert app.pack_ref == PackRef(id="zz-2027-msz", version="1.1")


def test_the_id_is_the_natural_key_enterprise_agb_pack_and_sub_type(msz: ResolvedPack) -> None:
    first = submit(msz, at=at(2027, 3, 10))
    again = submit(msz, at=at(2027, 4, 2))
    other_sub_type = submit(msz, sub_type="msr")
    other_provider = submit(msz, provider=provider(agb="33334444"))

    assert first.id == again.id == natural_id("application", "22221111", "zz-2027-msz", "zbc")
    assert len({first.id, other_sub_type.id, other_provider.id}) == 3


def test_a_receipt_recorded_later_keeps_its_own_receipt_instant(msz: ResolvedPack) -> None:
    app = submit(msz, received_at=at(2027, 3, 1, 9), at=at(2027, 3, 4, 11))

    [submitted] = app.collect_events()
    assert submitted.received_at == at(2027, 3, 1, 9)
    assert submitted.timestamp == at(2027, 3, 4, 11)


def test_an_insurer_renewal_on_the_annual_round_is_insurer_originated(msz: ResolvedPack) -> None:
    app = submit(
        msz,
        route=Route.ANNUAL_ROUND,
        origin=Origin.INSURER,
        channel=Channel.INSURER_INITIATED,
        at=at(2026, 9, 1),
    )

    [submitted] = app.collect_events()
    assert (submitted.route, submitted.origin) == (Route.ANNUAL_ROUND, Origin.INSURER)


@pytest.mark.parametrize(
    ("route", "origin"),
    [(Route.APPLICATION, Origin.INSURER), (Route.ANNUAL_ROUND, Origin.PROVIDER)],
)
def test_the_origin_must_fit_the_route(msz: ResolvedPack, route: Route, origin: Origin) -> None:
    with pytest.raises(OriginDoesNotFitRoute):
        submit(msz, route=route, origin=origin)


def test_a_running_contract_takes_no_application(msz: ResolvedPack) -> None:
    with pytest.raises(RouteTakesNoApplication):
        submit(msz, route=Route.RUNNING_CONTRACT, origin=Origin.INSURER)


def test_the_last_day_of_the_window_is_inside_it_in_amsterdam_time(msz: ResolvedPack) -> None:
    window = msz.pack.application
    assert window is not None
    last = window.received_until

    app = submit(msz, at=at(last.year, last.month, last.day, 23, 59))

    assert app.status is ApplicationStatus.RECEIVED


def test_a_receipt_after_midnight_amsterdam_time_is_outside_the_window(
    msz: ResolvedPack,
) -> None:
    window = msz.pack.application
    assert window is not None
    last = window.received_until
    # 23:30 UTC on the last day is already the next day in Amsterdam.
    late = datetime(last.year, last.month, last.day, 23, 30, tzinfo=UTC)

    with pytest.raises(ApplicationWindowClosed) as refused:
        submit(msz, at=late)

    assert refused.value.facts["rule"] == window.window_rule


def test_the_first_day_of_the_window_is_inside_and_the_day_before_is_outside() -> None:
    pack = tiny_pack(received_from=date(2026, 7, 1))

    assert submit(pack, at=at(2026, 7, 1, 0, 5)).status is ApplicationStatus.RECEIVED
    with pytest.raises(ApplicationWindowClosed):
        submit(pack, at=at(2026, 6, 30, 23, 55))


def test_a_pack_not_yet_in_force_on_the_day_of_receipt_is_refused(msz: ResolvedPack) -> None:
    with pytest.raises(PackNotInForceOnReceipt):
        submit(msz, at=at(2026, 5, 31))


def test_a_general_policy_cannot_be_applied_for(catalog: PolicyCatalog) -> None:
    general = catalog.get(PackRef(id="zz-2027-general", version="1.0"))

    with pytest.raises(GeneralPackNotApplicable):
        submit(general, sub_type=None, insurer="zorg-en-zekerheid", care_type="general")


@pytest.mark.parametrize("mismatch", [{"insurer": "caresq"}, {"year": 2026}, {"care_type": "gzsp"}])
def test_the_pack_must_be_the_one_for_insurer_year_and_care_type(
    msz: ResolvedPack, mismatch: dict[str, object]
) -> None:
    with pytest.raises(PackDoesNotCoverApplication):
        submit(msz, **mismatch)


def test_a_sub_type_unknown_to_the_pack_is_refused(msz: ResolvedPack) -> None:
    with pytest.raises(UnknownSubType):
        submit(msz, sub_type="pharmacy")


def test_an_ro_only_pack_refuses_a_wsv_applicant() -> None:
    mdz_like = tiny_pack(roles=("regio_organisatie",))

    with pytest.raises(ApplicantRoleNotAllowed) as refused:
        submit(mdz_like, provider=provider(role="wsv"))

    assert refused.value.facts["role"] == "wsv"


def test_an_ro_only_pack_accepts_the_ro() -> None:
    mdz_like = tiny_pack(roles=("regio_organisatie",))

    app = submit(mdz_like, provider=provider(role="regio_organisatie"))

    assert app.status is ApplicationStatus.RECEIVED


def test_a_refused_submission_is_a_domain_error_with_a_stable_code(msz: ResolvedPack) -> None:
    with pytest.raises(DomainError) as refused:
        submit(msz, at=at(2028, 1, 2))

    assert refused.value.code == "application_window_closed"
