"""Resolved tokens are kept a few seconds; a revocation takes effect when that time is up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from care_contracts.services.api.context import TokenCache
from care_contracts.services.api.tokens import TokenGrant, TokenStore
from care_contracts.services.store.metadata import Role

NOW = datetime(2026, 10, 5, tzinfo=UTC)


def test_a_cached_token_outlives_its_revocation_only_until_the_ttl(
    api_context: object,
) -> None:
    tokens: TokenStore = api_context.tokens  # type: ignore[attr-defined]
    issued = tokens.create(TokenGrant(role=Role.AUDITOR, subject="auditor-1"), NOW)
    kept, fresh = TokenCache(tokens, ttl_s=3600), TokenCache(tokens, ttl_s=0)

    async def scenario() -> tuple[object, object, object, object]:
        first = await kept.actor(issued.token)
        tokens.revoke(issued.record.id, NOW)
        return (
            first,
            await kept.actor(issued.token),
            await fresh.actor(issued.token),
            (await kept.actor("cc_unknown")),
        )

    first, cached, revoked, unknown = asyncio.run(scenario())

    assert first is not None
    assert cached == first
    assert revoked is None
    assert unknown is None
