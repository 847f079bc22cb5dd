"""``Steps`` over HTTP: the lifecycle helpers' commands go through the API instead of the bus.

Each command is sent to its route (``COMMAND_ROUTES``) with a bearer token of the actor's role
and scope; a refusal comes back as problem+json and is raised again as the domain error its
``code`` names, so the lifecycle helpers and their ``pytest.raises`` work unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import httpx2

from care_contracts.domain.errors import ERROR_CODES, DomainError
from care_contracts.services.api.commands import COMMAND_ROUTES, CommandRoute
from care_contracts.services.api.tokens import TokenGrant, TokenStore
from care_contracts.services.commands.base import Command, CommandOutcome
from care_contracts.services.store.metadata import Actor, Role
from tests.integration.lifecycle_steps import OFFICER, Steps

ROUTES: dict[type[Command], CommandRoute] = {route.command: route for route in COMMAND_ROUTES}


class HttpProblem(Exception):
    """A problem+json the API answered with that names no domain error."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body.get('code')}: {body.get('detail')}")
        self.status = status
        self.body = body


@dataclass
class HttpSteps(Steps):
    client: httpx2.Client | None = None  # FastAPI's TestClient or a real client
    tokens: TokenStore | None = None
    _headers: dict[tuple[str, str, str | None], dict[str, str]] = field(default_factory=dict)

    def run(self, command: Command, actor: Actor = OFFICER, **context: Any) -> CommandOutcome:
        assert self.client is not None
        route = ROUTES[type(command)]
        body = request_body(command)
        path = "/v1" + route.path
        if route.id_field is not None:
            path = path.replace("{id}", str(body.pop(route.id_field)))
        headers = dict(self.authorization(actor))
        headers["X-Request-ID"] = str(context.get("correlation_id", self.correlation_id))
        if "command_id" in context:
            headers["Idempotency-Key"] = str(context["command_id"])
        if context.get("expected_version") is not None:
            headers["If-Match"] = f'"{context["expected_version"]}"'
        response = self.client.post(path, json=body or None, headers=headers)
        document = response.json()
        if response.status_code >= 400:
            raise refusal(response.status_code, document)
        document.pop("links")
        outcome = CommandOutcome.model_validate(document)
        self.outcomes.append(outcome)
        return outcome

    def authorization(self, actor: Actor) -> dict[str, str]:
        assert self.tokens is not None
        key = (str(actor.role), actor.subject, actor.insurer)
        if key not in self._headers:
            grant = TokenGrant(
                role=actor.role,
                subject=actor.subject,
                agb=actor.subject if actor.role is Role.PROVIDER else None,
                insurer=actor.insurer,
            )
            issued = self.tokens.create(grant, self.clock.now())
            self._headers[key] = {"Authorization": f"Bearer {issued.token}"}
        return self._headers[key]


def request_body(command: Command) -> dict[str, Any]:
    """The command as a client sends it: decimals as JSON numbers, not strings."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, date | datetime | UUID | Enum):
            return (
                value.isoformat()
                if isinstance(value, date | datetime)
                else str(value.value if isinstance(value, Enum) else value)
            )
        raise TypeError(f"{type(value).__name__} is not JSON")

    document: dict[str, Any] = json.loads(json.dumps(command.model_dump(), default=plain))
    return document


def refusal(status: int, body: dict[str, Any]) -> Exception:
    error_type = ERROR_CODES.get(str(body.get("code")))
    if error_type is None:
        return HttpProblem(status, body)
    error: DomainError = error_type.__new__(error_type)
    DomainError.__init__(error, str(body.get("detail")), **body.get("facts", {}))
    return error
