"""The HTTP API: FastAPI, OpenAPI 3.1, versioned under ``/v1``.

``create_app(context)`` builds the app over services built elsewhere (``serve``, tests). Every
request gets a correlation id (``X-Request-ID``, else the trace id of ``traceparent``, else a new
one), returned in ``X-Request-ID``, stored in the metadata of the events its command records and
published in the CloudEvents ``correlationid``; one JSON log line per request. Every refusal is
``application/problem+json`` (``problems.py``); an unexpected error is a 500 problem without
internals, logged with its traceback.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from care_contracts.domain.errors import DomainError
from care_contracts.projections.care_finder.query import InvalidCursor
from care_contracts.projections.database import ReadStoreError
from care_contracts.services.api import metrics
from care_contracts.services.api.commands import command_router
from care_contracts.services.api.context import ApiContext, Context, Readiness, require
from care_contracts.services.api.problems import (
    ApiProblem,
    known_problems,
    problem_response,
    validation_problem,
)
from care_contracts.services.api.queries import query_router
from care_contracts.services.clock import ClockMovedBackwards
from care_contracts.services.store.metadata import Actor, Role

__all__ = ["create_app"]

log = structlog.get_logger("care_contracts.api")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
ClockMover = Annotated[Actor, Depends(require(Role.OFFICER, Role.OPERATOR))]


def create_app(context: ApiContext) -> FastAPI:
    app = FastAPI(
        title="care-contracts",
        version="1",
        description="Contract lifecycle of Dutch health-insurer care procurement (zorginkoop).",
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
    )
    app.state.context = context
    app.add_middleware(RequestContext)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(InvalidCursor, _invalid_cursor)
    app.add_exception_handler(ReadStoreError, _unavailable)
    app.include_router(command_router())
    app.include_router(query_router())
    _system_routes(app)
    return app


class RequestContext:
    """Pure ASGI middleware: correlation id in, ``X-Request-ID`` out, one log line and the
    metrics per request. (Starlette's ``@app.middleware("http")`` re-wraps every request and
    response in streams and a task group: about a fifth of the server's CPU per command.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        correlation_id = _correlation_id(request)
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = correlation_id
            await send(message)

        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("request.failed", method=request.method, path=request.url.path)
            if not response_started:
                response = problem_response(
                    request, "internal_error", "an unexpected error occurred"
                )
                await response(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id")
            _account(request, scope, status, time.perf_counter() - started, correlation_id)


def _account(
    request: Request, scope: Scope, status: int, elapsed: float, correlation_id: str
) -> None:
    route = scope.get("route")
    template = getattr(route, "path", request.url.path)
    state = scope.get("state", {})
    command = state.get("command")
    actor: Actor | None = state.get("actor")
    metrics.observe_request(request.method, template, status, elapsed, command)
    log.info(
        "request",
        method=request.method,
        path=request.url.path,
        route=template,
        status=status,
        duration_ms=round(elapsed * 1000, 2),
        correlation_id=correlation_id,
        command=command,
        role=None if actor is None else str(actor.role),
    )


def _correlation_id(request: Request) -> str:
    given = request.headers.get("x-request-id")
    if given and _REQUEST_ID.match(given):
        return given
    parent = _TRACEPARENT.match(request.headers.get("traceparent", ""))
    if parent:
        return parent.group(1)
    return str(uuid.uuid4())


async def _domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    return problem_response(request, error.code, error.detail, facts=error.facts)


async def _api_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiProblem)
    return problem_response(request, error.code, error.detail, facts=error.facts)


async def _invalid_request(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return validation_problem(request, error)


async def _invalid_cursor(request: Request, error: Exception) -> Response:
    return problem_response(request, "invalid_cursor", str(error))


async def _unavailable(request: Request, error: Exception) -> Response:
    log.error("read_store.unavailable", error=str(error))
    return problem_response(request, "service_unavailable", "the read store is unavailable")


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 404:
        return problem_response(request, "not_found", f"no resource at {request.url.path}")
    if error.status_code == 405:
        return problem_response(
            request, "not_found", f"{request.method} is not served at {request.url.path}"
        )
    return problem_response(request, "invalid_request", str(error.detail))


class ClockChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    to: datetime


def _system_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"], summary="Alive")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Store reachable, NATS, projections")
    def readyz(ctx: Context) -> JSONResponse:
        checks = [_store_ready(ctx), *(check() for check in ctx.readiness)]
        ready = all(c.ready for c in checks)
        body = {
            "status": "ready" if ready else "not_ready",
            "checks": {c.name: {"ready": c.ready, "detail": c.detail} for c in checks},
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    def metrics_page() -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    @app.get("/v1/problems", tags=["problems"], summary="Every problem code")
    def problems() -> list[dict[str, Any]]:
        return [
            {"code": p.code, "title": p.title, "status": p.status}
            for p in known_problems().values()
        ]

    @app.get(
        "/v1/problems/{code}",
        name="problem_page",
        tags=["problems"],
        summary="What one problem code means",
        response_class=HTMLResponse,
    )
    def problem_page(code: str, request: Request) -> Response:
        problem = known_problems().get(code)
        if problem is None:
            return problem_response(request, "not_found", f"no problem code {code!r}")
        return HTMLResponse(
            f"<!doctype html><title>{problem.code}</title><h1>{_html(problem.title)}</h1>"
            f"<p>Code <code>{problem.code}</code>, HTTP {problem.status}.</p>"
            f"<p>{_html(problem.description)}</p>"
        )

    @app.post("/v1/clock", tags=["operations"], summary="Move the simulated clock forward")
    def move_clock(
        change: ClockChange,
        ctx: Context,
        actor: ClockMover,
    ) -> dict[str, str]:
        clock = ctx.simulated_clock
        if clock is None:
            raise ApiProblem("clock_not_simulated", "the service runs on the system clock")
        if change.to.tzinfo is None:
            raise ApiProblem("invalid_request", "'to' needs an offset, e.g. +01:00 or Z")
        try:
            now = clock.set(change.to)
        except ClockMovedBackwards as error:
            raise ApiProblem("clock_moved_backwards", str(error)) from error
        log.info("clock.moved", to=now.isoformat(), by=actor.subject)
        return {"now": now.isoformat()}

    @app.get("/v1/clock", tags=["operations"], summary="The service's current time")
    def read_clock(ctx: Context) -> dict[str, Any]:
        return {
            "now": ctx.services.clock.now().isoformat(),
            "simulated": ctx.simulated_clock is not None,
        }


def _store_ready(ctx: ApiContext) -> Readiness:
    try:
        ctx.services.store.recorder.max_notification_id()
    except Exception as error:  # any driver error: not ready, say why
        return Readiness("event_store", False, f"{type(error).__name__}: {error}")
    return Readiness("event_store", True)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
