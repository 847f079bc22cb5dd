"""The hard guards of SubmitApplication (brief §4.2): pack, sub-type, window, route and role."""

from __future__ import annotations

from datetime import date

from care_contracts.domain.application.approval import ProviderDetails
from care_contracts.domain.application.errors import (
    ApplicantRoleNotAllowed,
    ApplicationWindowClosed,
    GeneralPackNotApplicable,
    OriginDoesNotFitRoute,
    PackDoesNotCoverApplication,
    PackNotInForceOnReceipt,
    RouteTakesNoApplication,
)
from care_contracts.domain.application.states import Origin
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.model import Route

__all__ = ["check_submission"]

# Who starts which route (brief §4.1): a provider applies, the insurer runs the annual round
# (renewals are insurer-originated); negotiated talks and selective invitations can be either.
_ORIGIN_OF_ROUTE = {Route.APPLICATION: Origin.PROVIDER, Route.ANNUAL_ROUND: Origin.INSURER}


def check_submission(
    pack: ResolvedPack,
    *,
    provider: ProviderDetails,
    insurer: str,
    year: int,
    care_type: str,
    sub_type: str | None,
    route: Route,
    origin: Origin,
    received_on: date,
) -> tuple[str, ...]:
    """Refuse what the pack does not accept; return the rule codes that admitted it."""
    policy = pack.pack
    if policy.general or policy.application is None:
        raise GeneralPackNotApplicable(f"pack {pack.ref} is a general policy", pack=str(pack.ref))
    if (policy.insurer, policy.year, policy.care_type) != (insurer, year, care_type):
        raise PackDoesNotCoverApplication(
            f"pack {pack.ref} is for {policy.insurer} {policy.care_type} {policy.year}",
            pack=str(pack.ref),
            insurer=insurer,
            year=year,
            care_type=care_type,
        )
    if policy.valid_from > received_on:
        raise PackNotInForceOnReceipt(
            f"pack {pack.ref} is in force from {policy.valid_from.isoformat()}",
            pack=str(pack.ref),
            valid_from=policy.valid_from,
            received_on=received_on,
        )
    pack.require_sub_type(sub_type)
    if route is Route.RUNNING_CONTRACT:
        raise RouteTakesNoApplication("a running contract needs no application", route=route)
    expected = _ORIGIN_OF_ROUTE.get(route)
    if expected is not None and origin is not expected:
        raise OriginDoesNotFitRoute(
            f"route {route} is started by the {expected}, not the {origin}",
            route=route,
            origin=origin,
        )
    window = policy.application
    if not window.received_from <= received_on <= window.received_until:
        raise ApplicationWindowClosed(
            f"received {received_on.isoformat()}, outside {window.received_from.isoformat()}"
            f"..{window.received_until.isoformat()}",
            rule=window.window_rule,
            received_on=received_on,
            received_from=window.received_from,
            received_until=window.received_until,
        )
    if window.applicant_roles and provider.role not in window.applicant_roles:
        raise ApplicantRoleNotAllowed(
            f"{pack.ref} accepts applications from {', '.join(window.applicant_roles)} only",
            role=provider.role,
            allowed=window.applicant_roles,
        )
    return (window.window_rule,)
