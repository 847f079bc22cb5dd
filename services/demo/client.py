"""A small typed client of the HTTP API, as an integration partner would write one.

Commands go to their route (``COMMAND_ROUTES``) with a bearer token and an ``Idempotency-Key``,
so a request retried after a dropped connection is answered with the first outcome instead of
being applied twice. A refusal comes back as ``application/problem+json`` and is raised as
``ApiRefusal`` with the problem's ``code`` and ``detail``, the two things a person needs to see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import httpx2

from care_contracts.domain.policy.model import PackRef, PolicyPack
from care_contracts.projections.care_finder.query import CareFinderPage, Listing
from care_contracts.services.api.commands import COMMAND_ROUTES, CommandRoute
from care_contracts.services.commands.base import Command, CommandOutcome

__all__ = ["Accepted", "ApiClient", "ApiRefusal", "ClockReading"]

_ROUTES: dict[type[Command], CommandRoute] = {route.command: route for route in COMMAND_ROUTES}
_RETRIES = 2  # transport failures retried with the same Idempotency-Key


class ApiRefusal(Exception):
    """The API refused a request: its problem+json ``code`` and ``detail``, and what was asked."""

    def __init__(self, what: str, status: int, problem: dict[str, Any]) -> None:
        self.what = what
        self.status = status
        self.code = str(problem.get("code") or f"http_{status}")
        self.detail = str(problem.get("detail") or problem.get("title") or "")
        self.facts: dict[str, Any] = dict(problem.get("facts") or {})
        super().__init__(f"{what} was refused: {self.code} (HTTP {status}): {self.detail}")


@dataclass(frozen=True)
class Accepted:
    """An accepted command: its outcome and where its resource lives (the ``Location``)."""

    outcome: CommandOutcome
    location: str

    @property
    def result(self) -> dict[str, Any]:
        return dict(self.outcome.result or {})


@dataclass(frozen=True)
class ClockReading:
    now: datetime
    simulated: bool


class ApiClient:
    """One connection pool to one service; ``close`` (or ``with``) releases it."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 15,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        self._http = httpx2.Client(
            base_url=base_url.rstrip("/"), timeout=timeout_s, transport=transport
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- commands -----------------------------------------------------------------------------

    def send(self, command: Command, *, token: str, key: str) -> Accepted:
        """POST ``command`` to its route under ``Idempotency-Key: key``; raise on refusal."""
        route = _ROUTES[type(command)]
        body = _json_body(command)
        path = "/v1" + route.path
        if route.id_field is not None:
            path = path.replace("{id}", str(body.pop(route.id_field)))
        headers = _bearer(token) | {"Idempotency-Key": key}
        response = self._request("POST", path, json=body or None, headers=headers)
        document = self._json(response, route.name)
        links = document.pop("links", {})
        outcome = CommandOutcome.model_validate(document)
        return Accepted(outcome, str(response.headers.get("Location") or links.get("self", "")))

    def move_clock(self, to: datetime, *, token: str) -> datetime:
        """Move the service's simulated clock forward to ``to`` (officers and operators only)."""
        response = self._request(
            "POST", "/v1/clock", json={"to": to.isoformat()}, headers=_bearer(token)
        )
        return datetime.fromisoformat(str(self._json(response, "moving the clock")["now"]))

    # --- reading ------------------------------------------------------------------------------

    def clock(self) -> ClockReading:
        document = self._json(self._request("GET", "/v1/clock"), "reading the clock")
        return ClockReading(
            now=datetime.fromisoformat(str(document["now"])),
            simulated=bool(document["simulated"]),
        )

    def ready(self) -> bool:
        """Whether ``/readyz`` says the store, NATS and every projection are ready."""
        try:
            return self._http.get("/readyz").status_code == 200
        except httpx2.TransportError:
            return False

    def resource(self, location: str, *, token: str) -> dict[str, Any]:
        """An aggregate as it is now (a ``Location`` a command answered with)."""
        response = self._request("GET", location, headers=_bearer(token))
        return self._json(response, f"reading {location}")

    def policy_pack(self, ref: PackRef) -> PolicyPack:
        """The published pack version, as the service decides by it (public)."""
        response = self._request(
            "GET", f"/v1/policy-packs/{ref.id}", params={"version": ref.version}
        )
        return PolicyPack.model_validate(self._json(response, f"reading policy pack {ref}"))

    def care_finder(self, on: date, **filters: str) -> list[Listing]:
        """Every provider the public care finder lists on ``on``, following its pages."""
        listings: list[Listing] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"on": on.isoformat(), "limit": 100, **filters}
            if cursor is not None:
                params["cursor"] = cursor
            response = self._request("GET", "/v1/care-finder", params=params)
            page = CareFinderPage.model_validate(self._json(response, "searching the care finder"))
            listings.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                return listings

    # --- plumbing -----------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        failures = 0
        while True:
            try:
                return self._http.request(method, path, **kwargs)
            except httpx2.TransportError:
                failures += 1
                if failures > _RETRIES:
                    raise

    @staticmethod
    def _json(response: httpx2.Response, what: str) -> dict[str, Any]:
        try:
            document = response.json()
        except ValueError:
            document = {"detail": response.text[:200]}
        if response.status_code >= 400 or not isinstance(document, dict):
            problem = document if isinstance(document, dict) else {}
            raise ApiRefusal(what, response.status_code, problem)
        return document


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _json_body(command: Command) -> dict[str, Any]:
    """The command as JSON: decimals as numbers (metrics read a quoted number as text)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, date | datetime):
            return value.isoformat()
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, UUID):
            return str(value)
        raise TypeError(f"{type(value).__name__} is not JSON")

    document: dict[str, Any] = json.loads(json.dumps(command.model_dump(), default=plain))
    return document
