"""End to end over HTTP and NATS: apply, assess, offer, sign; a subscriber sees the signature; the
care finder lists the provider once the simulated clock reaches the publication date."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx2 as httpx
import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.api.tokens import TokenGrant, open_token_store
from care_contracts.services.bootstrap import build
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.store.metadata import Role
from tests.e2e.conftest import START, RunningService
from tests.integration.api.http_steps import HttpSteps
from tests.integration.lifecycle_steps import signed_gzsp_contract

pytestmark = pytest.mark.nats

AGB = "06111111"


def _until(condition: Callable[[], bool], what: str, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s: {what}")


async def _signed_events(url: str, stream: str) -> list[dict[str, object]]:
    async with await nats.connect(url) as nc:
        js = nc.jetstream()
        subscription = await js.pull_subscribe(
            "contracting.contract.signed.>",
            durable="e2e-signed",
            stream=stream,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL),
        )
        messages = await subscription.fetch(10, timeout=5)
        for message in messages:
            await message.ack()
        return [json.loads(m.data) for m in messages]


def test_apply_assess_offer_sign_then_subscribe_and_find_the_provider(
    service: RunningService, catalog: PolicyCatalog
) -> None:
    api = service.started.api_url
    reading = build(service.settings, clock=SimulatedClock(START))  # the tests' view of the store
    tokens = open_token_store(service.settings)
    with httpx.Client(base_url=api, timeout=10) as client:
        steps = HttpSteps(
            reading.bus, reading.store, SimulatedClock(START), catalog, client=client, tokens=tokens
        )
        contract_id = signed_gzsp_contract(steps, AGB)
        operator = tokens.create(TokenGrant(role=Role.OPERATOR, subject="ops"), START)
        signed = asyncio.run(_signed_events(service.started.nats_url, service.settings.stream_name))
        before_publication = client.get("/v1/care-finder", params={"agb": AGB}).json()
        moved = client.post(
            "/v1/clock",
            json={"to": datetime(2026, 11, 12, 8, tzinfo=UTC).isoformat()},
            headers={"Authorization": f"Bearer {operator.token}"},
        )

        def listed() -> bool:
            items = client.get("/v1/care-finder", params={"agb": AGB}).json()["items"]
            return [i["contract_id"] for i in items] == [str(contract_id)]

        _until(listed, "the care finder lists the signed contract")
        ready = client.get("/readyz")

        def lag_exported() -> bool:
            page = client.get("/metrics").text
            return 'care_contracts_projection_lag_events{projection="care_finder"}' in page

        _until(lag_exported, "/metrics exports each projection's lag")
        page = client.get("/metrics").text
    tokens.close()
    reading.close()

    assert [e["subject"] for e in signed] == [str(contract_id)]
    assert signed[0]["type"] == "nl.care-contracts.contract.signed.v1"
    assert signed[0]["actorid"] == AGB
    assert before_publication["items"] == []
    assert moved.status_code == 200
    assert ready.status_code == 200, ready.json()
    assert "care_contracts_relay_lag_events" in page
    signed_count = re.search(
        r'care_contracts_commands_total\{command="SignContract",outcome="accepted"\} ([0-9.]+)',
        page,
    )
    assert signed_count is not None
    assert float(signed_count.group(1)) >= 1  # one registry per process: other tests add theirs
