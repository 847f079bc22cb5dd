"""What the HTTP layer reaches: the built services, the read store, tokens, health, and who asks.

``ApiContext`` is set on ``app.state.context`` by whoever builds the app (``serve``, tests); the
endpoints get it and the caller's ``Actor`` through FastAPI dependencies. A request without a
valid bearer token is the public; an endpoint that needs more says which roles it takes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from care_contracts.projections.database import ReadDatabase
from care_contracts.services.api.problems import ApiProblem
from care_contracts.services.api.tokens import TokenStore
from care_contracts.services.bootstrap import Services
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.store.metadata import Actor, Role

__all__ = [
    "PUBLIC",
    "ApiContext",
    "Caller",
    "Context",
    "Readiness",
    "caller",
    "context",
    "require",
]

PUBLIC = Actor(role=Role.PUBLIC, subject="public")


@dataclass(frozen=True)
class Readiness:
    """One dependency's readiness for ``/readyz``."""

    name: str
    ready: bool
    detail: str = ""


@dataclass
class ApiContext:
    services: Services
    read_db: ReadDatabase
    tokens: TokenStore
    # Checks /readyz runs besides the store's (NATS connected, projection lags, …).
    readiness: list[Callable[[], Readiness]] = field(default_factory=list)
    token_cache: TokenCache = field(init=False)

    def __post_init__(self) -> None:
        self.token_cache = TokenCache(self.tokens)

    @property
    def simulated_clock(self) -> SimulatedClock | None:
        clock = self.services.clock
        return clock if isinstance(clock, SimulatedClock) else None


class TokenCache:
    """Resolved tokens for a few seconds, so a request does not wait on the token table: a
    revocation takes effect within ``ttl_s`` (5 s). Unknown tokens are not cached."""

    def __init__(self, tokens: TokenStore, ttl_s: float = 5.0, size: int = 10_000) -> None:
        self._tokens = tokens
        self._ttl_s = ttl_s
        self._size = size
        self._known: dict[str, tuple[float, Actor]] = {}

    async def actor(self, token: str) -> Actor | None:
        now = time.monotonic()
        known = self._known.get(token)
        if known is not None and now - known[0] < self._ttl_s:
            return known[1]
        record = await asyncio.to_thread(self._tokens.resolve, token)
        if record is None:
            self._known.pop(token, None)
            return None
        if len(self._known) >= self._size:
            self._known.clear()
        actor = record.grant.actor()
        self._known[token] = (now, actor)
        return actor


async def context(request: Request) -> ApiContext:
    found: ApiContext = request.app.state.context
    return found


Context = Annotated[ApiContext, Depends(context)]


async def caller(request: Request, ctx: Context) -> Actor:
    """The actor behind the request's bearer token; the public when there is none."""
    header = request.headers.get("authorization")
    if header is None:
        return PUBLIC
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem("unauthenticated", "the Authorization header is not 'Bearer <token>'")
    actor = await ctx.token_cache.actor(token.strip())
    if actor is None:
        raise ApiProblem("unauthenticated", "the token is unknown or revoked")
    request.state.actor = actor
    return actor


Caller = Annotated[Actor, Depends(caller)]


def require(*roles: Role) -> Callable[[Actor], Coroutine[Any, Any, Actor]]:
    """A dependency that lets only ``roles`` through (401 for the public, 403 for others)."""

    async def check(actor: Caller) -> Actor:
        if actor.role in roles:
            return actor
        if actor.role is Role.PUBLIC:
            raise ApiProblem("unauthenticated", "this endpoint needs a bearer token")
        raise ApiProblem(
            "forbidden",
            f"a {actor.role} may not use this endpoint",
            allowed=sorted(str(r) for r in roles),
        )

    return check
