"""Reading over HTTP: aggregates, their history and past states, the read models, the policy packs.

Who may read what: a provider its own AGB code's applications, contracts and ceilings; an officer
its insurer's; an auditor everything; the public only the care finder, the policy packs and the
problem pages. Aggregates answer with an ``ETag`` (their version) for ``If-Match``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.dates import local_date
from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.model import PackRef
from care_contracts.projections.care_finder.query import (
    CareFinderPage,
    CareFinderQuery,
    search,
    with_pack_facts,
)
from care_contracts.projections.reporting.query import report
from care_contracts.projections.timeline.query import contract_timeline
from care_contracts.services.api.commands import RESOURCES
from care_contracts.services.api.context import Context, require
from care_contracts.services.api.problems import ApiProblem
from care_contracts.services.audit.history import aggregate_state, history, state_as_of
from care_contracts.services.commands.access import NotYours, authorize_aggregates
from care_contracts.services.store.metadata import Actor, Role

__all__ = ["query_router"]

_KINDS: dict[str, type[Aggregate]] = {
    "applications": ProviderApplication,
    "contracts": Contract,
    "ceilings": RevenueCeiling,
    "financial-frames": FinancialFrame,
}
_READERS = (Role.PROVIDER, Role.OFFICER, Role.AUDITOR)
Reader = Annotated[Actor, Depends(require(*_READERS))]
Inspector = Annotated[Actor, Depends(require(Role.OFFICER, Role.AUDITOR))]


def query_router() -> APIRouter:
    router = APIRouter(prefix="/v1")
    for kind, aggregate_type in _KINDS.items():
        tag = kind.replace("-", " ")
        router.add_api_route(
            f"/{kind}/{{aggregate_id}}",
            _getter(aggregate_type),
            methods=["GET"],
            name=f"get_{aggregate_type.__name__}",
            summary=f"One {aggregate_type.__name__} as it is now",
            tags=[tag],
        )
        router.add_api_route(
            f"/{kind}/{{aggregate_id}}/history",
            _history(aggregate_type),
            methods=["GET"],
            name=f"history_{aggregate_type.__name__}",
            summary=f"Every event of one {aggregate_type.__name__}, with metadata and position",
            tags=[tag],
        )
        router.add_api_route(
            f"/{kind}/{{aggregate_id}}/state",
            _state(aggregate_type),
            methods=["GET"],
            name=f"state_{aggregate_type.__name__}",
            summary=f"One {aggregate_type.__name__} as of an instant or a version",
            tags=[tag],
        )
    router.add_api_route(
        "/contracts/{contract_id}/timeline",
        timeline,
        methods=["GET"],
        name="contract_timeline",
        tags=["contracts"],
    )
    router.add_api_route(
        "/care-finder", care_finder, methods=["GET"], name="care_finder", tags=["care finder"]
    )
    router.add_api_route("/reports", reports, methods=["GET"], name="reports", tags=["reports"])
    router.add_api_route(
        "/policy-packs", policy_packs, methods=["GET"], name="policy_packs", tags=["policy"]
    )
    router.add_api_route(
        "/policy-packs/{pack_id}",
        policy_pack,
        methods=["GET"],
        name="policy_pack",
        tags=["policy"],
    )
    return router


def _load(ctx: Context, actor: Actor, kind: type[Aggregate], aggregate_id: UUID) -> Aggregate:
    aggregate: Any
    try:
        aggregate = ctx.services.store.repository.get(aggregate_id)
    except AggregateNotFoundError:
        aggregate = None
    if not isinstance(aggregate, kind):
        raise ApiProblem("not_found", f"no {kind.__name__} {aggregate_id}", id=str(aggregate_id))
    _may_read(ctx, actor, aggregate)
    return aggregate


def _may_read(ctx: Context, actor: Actor, aggregate: Aggregate) -> None:
    if actor.role is Role.AUDITOR:
        return
    if actor.role is Role.PROVIDER and isinstance(aggregate, FinancialFrame):
        raise NotYours("a financial frame is the insurer's")
    authorize_aggregates(actor, [aggregate], lambda i: _contract(ctx, i))


def _contract(ctx: Context, contract_id: UUID) -> Contract | None:
    try:
        found: Aggregate = ctx.services.store.repository.get(contract_id)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, Contract) else None


def _state_response(aggregate: Aggregate) -> JSONResponse:
    body = aggregate_state(aggregate)
    location = f"/v1/{RESOURCES[type(aggregate).__name__]}/{aggregate.id}"
    body["links"] = {"self": location, "history": f"{location}/history"}
    return JSONResponse(body, headers={"ETag": f'"{aggregate.version}"'})


def _getter(kind: type[Aggregate]) -> Any:
    def get(aggregate_id: UUID, ctx: Context, actor: Reader) -> JSONResponse:
        return _state_response(_load(ctx, actor, kind, aggregate_id))

    return get


def _history(kind: type[Aggregate]) -> Any:
    def get_history(aggregate_id: UUID, ctx: Context, actor: Reader) -> list[dict[str, Any]]:
        _load(ctx, actor, kind, aggregate_id)
        return [e.model_dump(mode="json") for e in history(ctx.services.store, aggregate_id)]

    return get_history


def _state(kind: type[Aggregate]) -> Any:
    def get_state(
        aggregate_id: UUID,
        ctx: Context,
        actor: Reader,
        as_of: Annotated[datetime | None, Query(description="An instant with offset.")] = None,
        version: Annotated[int | None, Query(ge=1)] = None,
    ) -> JSONResponse:
        _load(ctx, actor, kind, aggregate_id)
        if as_of is not None and as_of.tzinfo is None:
            raise ApiProblem("invalid_request", "as_of needs an offset, e.g. +01:00 or Z")
        try:
            past = state_as_of(ctx.services.store, aggregate_id, version=version, at=as_of)
        except ValueError as error:
            if isinstance(error, DomainError):
                raise
            raise ApiProblem("invalid_request", str(error)) from error
        return JSONResponse(aggregate_state(past), headers={"ETag": f'"{past.version}"'})

    return get_state


def timeline(contract_id: UUID, ctx: Context, actor: Reader) -> dict[str, Any]:
    _load(ctx, actor, Contract, contract_id)
    found = contract_timeline(ctx.read_db, contract_id)
    if found is None:
        raise ApiProblem("not_found", f"the timeline has no contract {contract_id} yet")
    result: dict[str, Any] = found.model_dump(mode="json")
    return result


class CareFinderParams(BaseModel):
    """The care finder's query string (every filter optional)."""

    model_config = ConfigDict(extra="forbid")

    on: date | None = Field(default=None, description="The day shown; default today.")
    insurer: str | None = None
    care_type: str | None = None
    sub_type: str | None = None
    year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    agb: Annotated[str, Field(pattern=r"^[0-9]{8}$")] | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    postcode: str | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: str | None = None


def care_finder(ctx: Context, params: Annotated[CareFinderParams, Query()]) -> CareFinderPage:
    """Contracted providers on a day (public): filters, keyset pages (``next_cursor``)."""
    day = params.on or local_date(ctx.services.clock.now())
    query = CareFinderQuery.model_validate(params.model_dump() | {"on": day})
    return with_pack_facts(search(ctx.read_db, query), ctx.services.policies, day)


def reports(
    ctx: Context,
    actor: Inspector,
    as_of: Annotated[datetime | None, Query(description="An instant; default now.")] = None,
    expiring_within_days: Annotated[int, Query(ge=0, le=365)] = 14,
) -> dict[str, Any]:
    instant = as_of or ctx.services.clock.now()
    found = report(ctx.read_db, instant, expiring_within_days=expiring_within_days)
    result: dict[str, Any] = found.model_dump(mode="json")
    if actor.role is Role.OFFICER:
        result = _own_insurer(result, actor.insurer or "")
    return result


def _own_insurer(value: Any, insurer: str) -> Any:
    """Every report row of another insurer left out (rows name their ``insurer``)."""
    if isinstance(value, dict):
        return {k: _own_insurer(v, insurer) for k, v in value.items()}
    if isinstance(value, list):
        return [
            _own_insurer(v, insurer)
            for v in value
            if not (isinstance(v, dict) and "insurer" in v and v["insurer"] != insurer)
        ]
    return value


def policy_packs(ctx: Context) -> list[dict[str, Any]]:
    """Every policy pack version: insurer, year, care type, validity (public)."""
    return [
        {
            "id": pack.id,
            "version": pack.version,
            "insurer": pack.insurer,
            "year": pack.year,
            "care_type": pack.care_type,
            "valid_from": pack.valid_from.isoformat(),
            "links": {"self": f"/v1/policy-packs/{pack.id}?version={pack.version}"},
        }
        for pack in ctx.services.policies
    ]


def policy_pack(pack_id: str, ctx: Context, version: str | None = None) -> dict[str, Any]:
    """One pack with its rules (the newest version unless ``version`` is given)."""
    refs = [PackRef(id=i, version=v) for (i, v) in ctx.services.policies.packs if i == pack_id]
    if version is not None:
        refs = [r for r in refs if r.version == version]
    if not refs:
        raise ApiProblem("unknown_policy_pack", f"no policy pack {pack_id} {version or ''}")
    newest = max(refs, key=lambda r: tuple(int(p) for p in r.version.split(".")))
    result: dict[str, Any] = ctx.services.policies.get(newest).pack.model_dump(mode="json")
    return result
