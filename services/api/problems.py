"""RFC 9457 problem details: every refusal the API gives, with a stable code and a page per code.

The domain's errors already carry a stable ``code`` and ``title`` (``domain/errors.py``); this
module alone picks the HTTP status and renders ``application/problem+json``:
``type`` (the code's documentation page, ``/v1/problems/<code>``), ``title``, ``status``,
``detail``, ``instance`` (the request path), ``code``, and where they help the facts of the
error (``facts``) or the invalid fields (``errors``, each with its location and message).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from care_contracts.domain.errors import ERROR_CODES

__all__ = [
    "PROBLEM_JSON",
    "ApiProblem",
    "ProblemType",
    "known_problems",
    "problem_response",
    "status_of",
    "validation_problem",
]

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    """One problem code as documented at ``/v1/problems/<code>``."""

    code: str
    title: str
    status: int
    description: str


class ApiProblem(Exception):
    """A refusal of the HTTP layer itself (authentication, headers, unknown resources)."""

    def __init__(self, code: str, detail: str, **facts: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.facts = facts


# Problems of the HTTP layer, beside the domain's own codes.
_HTTP_PROBLEMS: Mapping[str, tuple[str, int, str]] = {
    "unauthenticated": (
        "A valid bearer token is required",
        401,
        "Send `Authorization: Bearer <token>`; tokens come from `care-contracts tokens create`.",
    ),
    "forbidden": (
        "Your role may not use this endpoint",
        403,
        "The token is valid, but its role or scope does not allow this request.",
    ),
    "not_found": ("No such resource", 404, "Nothing is known under this id or path."),
    "malformed_json": ("The body is not valid JSON", 400, "Send a JSON object."),
    "invalid_request": (
        "A field is missing or invalid",
        422,
        "`errors` names each invalid field (its location and the reason). Nothing was recorded.",
    ),
    "invalid_if_match": (
        "If-Match must be an ETag this API handed out",
        400,
        'Send the ETag of the resource as returned, e.g. `"3"` (the aggregate version).',
    ),
    "invalid_idempotency_key": (
        "Idempotency-Key must be 1 to 200 characters",
        400,
        "Use a fresh random value (a UUID) per intended change; repeat it only to retry.",
    ),
    "clock_not_simulated": (
        "The clock is the system clock",
        404,
        "Only `serve --clock simulated` lets an officer or operator move time.",
    ),
    "clock_moved_backwards": (
        "Time only moves forward",
        422,
        "A simulated clock can be set later, never earlier.",
    ),
    "invalid_cursor": ("Not a cursor of this search", 400, "Use the `next_cursor` of a page."),
    "unknown_policy_pack": ("No such policy pack", 404, "See `/v1/policy-packs`."),
    "internal_error": (
        "Something went wrong on our side",
        500,
        "The request was not completed; nothing half-done was recorded. Quote X-Request-ID.",
    ),
    "service_unavailable": (
        "The service cannot take this request now",
        503,
        "A dependency (the event store or the read store) is unavailable; retry later.",
    ),
}

# Domain codes that mean something other than "a rule refused the command" (422).
_DOMAIN_STATUS: Mapping[str, int] = {
    "aggregate_not_found": 404,
    "aggregate_version_mismatch": 412,
    "concurrent_write_conflict": 409,
    "store_refused_write": 409,
    "idempotency_key_reused": 422,
    "action_not_allowed": 403,
    "not_yours": 403,
}


def status_of(code: str) -> int:
    if code in _HTTP_PROBLEMS:
        return _HTTP_PROBLEMS[code][1]
    return _DOMAIN_STATUS.get(code, 422)


def known_problems() -> dict[str, ProblemType]:
    """Every code the API can answer with, by code (the documentation pages)."""
    found = {
        code: ProblemType(code, title, status, description)
        for code, (title, status, description) in _HTTP_PROBLEMS.items()
    }
    for code, error in ERROR_CODES.items():
        description = " ".join((error.__doc__ or error.title).split())
        found[code] = ProblemType(code, error.title, status_of(code), description)
    return dict(sorted(found.items()))


def problem_response(
    request: Request,
    code: str,
    detail: str,
    *,
    facts: Mapping[str, Any] | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    problem = known_problems().get(code)
    title = problem.title if problem else code.replace("_", " ")
    status = status_of(code)
    body: dict[str, Any] = {
        "type": str(request.url_for("problem_page", code=code)),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    if facts:
        body["facts"] = json.loads(json.dumps(dict(facts), default=str))
    if errors:
        body["errors"] = list(errors)
    correlation = getattr(request.state, "correlation_id", None)
    all_headers = dict(headers or {})
    if correlation:
        all_headers["X-Request-ID"] = correlation
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=all_headers)


def validation_problem(request: Request, error: RequestValidationError) -> JSONResponse:
    found = list(error.errors())
    if any(item.get("type") == "json_invalid" for item in found):
        return problem_response(request, "malformed_json", "the body is not valid JSON")
    fields = [
        {
            "field": ".".join(str(part) for part in item.get("loc", ()) if part != "body"),
            "location": str(item.get("loc", ("body",))[0]),
            "message": str(item.get("msg", "")),
            "type": str(item.get("type", "")),
        }
        for item in found
    ]
    named = ", ".join(f["field"] or f["location"] for f in fields)
    return problem_response(request, "invalid_request", f"invalid: {named}", errors=fields)
