"""Every command of the lifecycle as a ``POST`` under ``/v1``, generated from one table.

Each route names its command, its path and which path parameter is the target's id; the body is
the command's other fields (unknown fields refused, each invalid field named). Headers:

- ``Idempotency-Key``: the command id; repeating it returns the first outcome (``replayed``)
  and appends nothing; reusing it for another payload is ``idempotency_key_reused`` (422).
- ``If-Match: "N"``: the target must be at version N (the ``ETag`` of its last response or GET),
  else ``aggregate_version_mismatch`` (412). A concurrent write is ``concurrent_write_conflict``
  (409); there is never a lost update.

Responses: the command's outcome, ``ETag`` (the target's new version), ``Location`` and ``links``
(the resource, its history) so a client follows the lifecycle without building URLs; 201 when the
command created the resource. Who may send which command is decided by the command bus
(``commands/access.py``) for every caller; the route only requires a token.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Header, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, create_model

from care_contracts.services.api.context import Caller, Context
from care_contracts.services.api.problems import ApiProblem
from care_contracts.services.commands import applications as app
from care_contracts.services.commands import ceilings as cei
from care_contracts.services.commands import contracts as con
from care_contracts.services.commands.access import roles_for
from care_contracts.services.commands.base import Command, CommandContext, CommandOutcome
from care_contracts.services.store.metadata import Role

__all__ = ["COMMAND_ROUTES", "CommandRoute", "command_router", "resource_path"]

RESOURCES = {
    "ProviderApplication": "applications",
    "Contract": "contracts",
    "RevenueCeiling": "ceilings",
    "FinancialFrame": "financial-frames",
}


@dataclass(frozen=True)
class CommandRoute:
    command: type[Command]
    path: str  # under /v1; "{id}" stands for ``id_field``
    id_field: str | None = None
    creates: bool = False

    @property
    def name(self) -> str:
        return self.command.__name__


def _on(resource: str, id_field: str, action: str, command: type[Command]) -> CommandRoute:
    return CommandRoute(command, f"/{resource}/{{id}}/{action}", id_field)


_A, _C, _R, _F = "applications", "contracts", "ceilings", "financial-frames"
COMMAND_ROUTES: tuple[CommandRoute, ...] = (
    CommandRoute(app.SubmitApplication, f"/{_A}", creates=True),
    _on(_A, "application_id", "information-requests", app.RequestApplicationInformation),
    _on(_A, "application_id", "information", app.SupplyApplicationInformation),
    _on(_A, "application_id", "completion", app.MarkApplicationComplete),
    _on(_A, "application_id", "metrics", app.RecordApplicationMetrics),
    _on(_A, "application_id", "requirement-outcomes", app.RecordRequirementOutcome),
    _on(_A, "application_id", "exclusion-findings", app.RecordExclusionFinding),
    _on(_A, "application_id", "integrity-investigation", app.OpenIntegrityInvestigation),
    _on(
        _A,
        "application_id",
        "integrity-investigation/conclusion",
        app.ConcludeIntegrityInvestigation,
    ),
    _on(_A, "application_id", "approval", app.ApproveApplication),
    _on(_A, "application_id", "rejection", app.RejectApplication),
    _on(_A, "application_id", "withdrawal", app.WithdrawApplication),
    CommandRoute(con.OfferContract, f"/{_C}", creates=True),
    CommandRoute(con.RegisterRunningContract, f"/{_C}/running", creates=True),
    _on(_C, "contract_id", "signature", con.SignContract),
    _on(_C, "contract_id", "declination", con.DeclineOffer),
    _on(_C, "contract_id", "expiry", con.ExpireOffer),
    _on(_C, "contract_id", "offer-withdrawal", con.WithdrawOffer),
    _on(_C, "contract_id", "signing-deadline-extension", con.ExtendSigningDeadline),
    _on(_C, "contract_id", "suspension", con.SuspendContract),
    _on(_C, "contract_id", "suspension-lifting", con.LiftSuspension),
    _on(_C, "contract_id", "termination", con.TerminateContract),
    _on(_C, "contract_id", "termination-grounds", con.EstablishTerminationGround),
    _on(_C, "contract_id", "end", con.EndContract),
    _on(_C, "contract_id", "amendments", con.AmendContract),
    _on(_C, "contract_id", "tariff-annexes", con.IssueTariffAnnex),
    CommandRoute(cei.AgreeCeiling, f"/{_R}", creates=True),
    _on(_R, "ceiling_id", "overrun-reports", cei.ReportExpectedOverrun),
    _on(_R, "ceiling_id", "ground-evidence", cei.RecordCeilingGroundEvidence),
    _on(_R, "ceiling_id", "revision-approval", cei.ApproveCeilingRevision),
    _on(_R, "ceiling_id", "revision-refusal", cei.RefuseCeilingRevision),
    _on(_R, "ceiling_id", "decision-overdue", cei.FlagCeilingDecisionOverdue),
    CommandRoute(cei.OpenFinancialFrame, f"/{_F}", creates=True),
    _on(_F, "frame_id", "amount", cei.SetFinancialFrame),
)


def resource_path(aggregate_type: str, aggregate_id: UUID) -> str:
    return f"/v1/{RESOURCES[aggregate_type]}/{aggregate_id}"


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _body_model(route: CommandRoute) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in route.command.model_fields.items()
        if name != route.id_field
    }
    model: type[BaseModel] = create_model(f"{route.name}Body", __base__=_Body, **fields)
    model.__doc__ = route.command.__doc__
    return model


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    value = if_match.strip()
    if len(value) >= 3 and value.startswith('"') and value.endswith('"') and value[1:-1].isdigit():
        version = int(value[1:-1])
        if version >= 1:
            return version
    raise ApiProblem("invalid_if_match", f'If-Match {if_match!r} is not an ETag such as "3"')


def _context(
    request: Request, caller: Any, idempotency_key: str | None, if_match: str | None
) -> CommandContext:
    given: dict[str, Any] = {
        "actor": caller,
        "correlation_id": request.state.correlation_id,
        "expected_version": _expected_version(if_match),
    }
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= 200:
            raise ApiProblem("invalid_idempotency_key", "Idempotency-Key is 1 to 200 characters")
        given["command_id"] = idempotency_key
    return CommandContext(**given)


def _response(request: Request, route: CommandRoute, outcome: CommandOutcome) -> JSONResponse:
    location = resource_path(outcome.aggregate_type, outcome.aggregate_id)
    body = outcome.payload() | {
        "links": {"self": location, "history": f"{location}/history"},
    }
    status = 201 if route.creates and not outcome.replayed else 200
    headers = {
        "ETag": f'"{outcome.version}"',
        "Location": location,
        "X-Request-ID": request.state.correlation_id,
    }
    request.state.command = route.name
    return JSONResponse(body, status_code=status, headers=headers)


def _endpoint(route: CommandRoute) -> Callable[..., JSONResponse]:
    body_model = _body_model(route)
    optional_body = not body_model.model_fields

    def endpoint(request: Request, ctx: Context, caller: Caller, **params: Any) -> JSONResponse:
        request.state.command = route.name
        if caller.role is Role.PUBLIC:
            raise ApiProblem("unauthenticated", "commands need a bearer token")
        body: BaseModel | None = params.pop("body", None)
        fields = body.model_dump() if body is not None else {}
        if route.id_field is not None:
            fields[route.id_field] = params.pop("id")
        command = route.command.model_validate(fields)
        command_context = _context(
            request, caller, params.pop("idempotency_key"), params.pop("if_match")
        )
        outcome = ctx.services.bus.execute(command, command_context)
        return _response(request, route, outcome)

    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Context),
        inspect.Parameter("caller", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Caller),
        inspect.Parameter(
            "body",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[body_model | None if optional_body else body_model, Body()],
            default=None if optional_body else inspect.Parameter.empty,
        ),
        inspect.Parameter(
            "idempotency_key",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[str | None, Header(alias="Idempotency-Key")],
            default=None,
        ),
        inspect.Parameter(
            "if_match",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[str | None, Header(alias="If-Match")],
            default=None,
        ),
    ]
    if route.id_field is not None:
        parameters.append(
            inspect.Parameter(
                "id", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[UUID, Path()]
            )
        )
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = route.name
    return endpoint


def command_router() -> APIRouter:
    router = APIRouter(prefix="/v1")
    for route in COMMAND_ROUTES:
        roles = ", ".join(sorted(str(r) for r in roles_for(route.command)))
        router.add_api_route(
            route.path,
            _endpoint(route),
            methods=["POST"],
            name=route.name,
            summary=route.name,
            description=f"{inspect.getdoc(route.command) or ''}\n\nRoles: {roles}.",
            tags=[RESOURCES_BY_PATH[route.path.split("/")[1]]],
            status_code=201 if route.creates else 200,
            response_model=None,
        )
    return router


RESOURCES_BY_PATH = {v: v.replace("-", " ") for v in RESOURCES.values()}
