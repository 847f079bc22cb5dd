"""The command load of the fault proof: whole lifecycles over HTTP, spread over the instances.

Each worker thread plays providers and an officer through the real API: apply, assess, approve,
offer, and sign three offers in four (the fourth is left open, for the deadline watchers). Every
command goes to the next instance in turn, so one lifecycle crosses both. A command whose
instance is down (refused connection, dropped request, 503) is sent again to the other instance
with the same ``Idempotency-Key``, as a client should: it is applied once, and the answer is the
first outcome. Only an answered command counts as accepted; refusals raise as in the other
lifecycle tests.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx2

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.api.tokens import TokenStore
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.base import Command, CommandOutcome
from care_contracts.services.commands.contracts import SignContract
from care_contracts.services.store.application import ContractingStore
from tests.integration.api.http_steps import ROUTES, HttpSteps, refusal, request_body
from tests.integration.lifecycle_steps import (
    GZSP_MAATWERK,
    GZSP_MAATWERK_METRICS,
    OFFICER,
    approved_application,
    offered_contract,
    provider_actor,
)

__all__ = ["Accepted", "CommandLog", "FailoverSteps", "LoadResult", "run_load"]

_RETRY_FOR_S = 90.0  # how long a command is retried across instances before the worker gives up
_RETRY_PAUSE_S = 0.05
_UNAVAILABLE = {502, 503, 504}
_OPEN_EVERY = 4  # one offer in four is left unsigned, to expire


@dataclass(frozen=True)
class Accepted:
    at: float  # time.monotonic() when the answer arrived
    outcome: CommandOutcome
    instance: str
    attempts: int  # 1, or more when an instance was down


@dataclass
class CommandLog:
    """Every accepted command, from every worker, with when and where."""

    accepted: list[Accepted] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: Accepted) -> None:
        with self._lock:
            self.accepted.append(entry)

    def snapshot(self) -> list[Accepted]:
        with self._lock:
            return list(self.accepted)


@dataclass
class FailoverSteps(HttpSteps):
    """``Steps`` over several instances' APIs, failing over with the same idempotency key."""

    instances: Sequence[tuple[str, httpx2.Client]] = ()
    log: CommandLog | None = None
    _turn: int = 0

    def run(self, command: Command, actor: Any = OFFICER, **context: Any) -> CommandOutcome:
        route = ROUTES[type(command)]
        body = request_body(command)
        path = "/v1" + route.path
        if route.id_field is not None:
            path = path.replace("{id}", str(body.pop(route.id_field)))
        headers = dict(self.authorization(actor))
        headers["X-Request-ID"] = str(context.get("correlation_id", self.correlation_id))
        headers["Idempotency-Key"] = str(context.get("command_id", uuid.uuid4()))
        if context.get("expected_version") is not None:
            headers["If-Match"] = f'"{context["expected_version"]}"'
        give_up = time.monotonic() + _RETRY_FOR_S
        attempts = 0
        while True:
            name, client = self.instances[self._turn % len(self.instances)]
            self._turn += 1
            attempts += 1
            try:
                response = client.post(path, json=body or None, headers=headers)
            except httpx2.TransportError:
                response = None
            if response is None or response.status_code in _UNAVAILABLE:
                if time.monotonic() > give_up:
                    raise RuntimeError(f"{route.name}: no instance answered in {_RETRY_FOR_S} s")
                time.sleep(_RETRY_PAUSE_S)
                continue
            document = response.json()
            if response.status_code >= 400:
                raise refusal(response.status_code, document)
            document.pop("links", None)
            outcome = CommandOutcome.model_validate(document)
            if self.log is not None:
                self.log.add(Accepted(time.monotonic(), outcome, name, attempts))
            return outcome


@dataclass
class LoadResult:
    contracts_signed: list[UUID] = field(default_factory=list)
    offers_left_open: list[UUID] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, contract_id: UUID, *, signed: bool) -> None:
        with self._lock:
            (self.contracts_signed if signed else self.offers_left_open).append(contract_id)


def run_load(
    *,
    workers: int,
    stop: threading.Event,
    api_urls: Sequence[tuple[str, str]],
    store: ContractingStore,
    tokens: TokenStore,
    clock: SimulatedClock,
    catalog: PolicyCatalog,
    log: CommandLog,
) -> tuple[LoadResult, list[threading.Thread]]:
    """Start ``workers`` threads playing lifecycles until ``stop`` is set; join the threads."""
    result = LoadResult()

    def play(index: int) -> None:
        clients = [(name, httpx2.Client(base_url=url, timeout=30)) for name, url in api_urls]
        steps = FailoverSteps(
            None,  # type: ignore[arg-type]  # no bus: every command goes over HTTP
            store,
            clock,
            catalog,
            correlation_id=f"fault-load-{index}",
            tokens=tokens,
            instances=clients[index % len(clients) :] + clients[: index % len(clients)],
            log=log,
        )
        played = 0
        try:
            while not stop.is_set():
                agb = f"07{index:02d}{played:04d}"
                application_id = approved_application(
                    steps,
                    agb=agb,
                    care_type="gzsp",
                    contract_type=GZSP_MAATWERK,
                    metrics=GZSP_MAATWERK_METRICS,
                )
                contract_id = offered_contract(steps, application_id)
                signed = played % _OPEN_EVERY != _OPEN_EVERY - 1
                if signed:
                    steps.run(
                        SignContract(contract_id=contract_id, vecozo_ref=f"VZ-{agb}"),
                        provider_actor(agb),
                    )
                result.record(contract_id, signed=signed)
                played += 1
        except Exception as error:  # reported by the proof, which fails on any
            result.errors.append(f"worker {index}: {type(error).__name__}: {error}")
        finally:
            for _, client in clients:
                client.close()

    threads = [
        threading.Thread(target=play, args=(i,), name=f"load-{i}", daemon=True)
        for i in range(workers)
    ]
    for thread in threads:
        thread.start()
    return result, threads
