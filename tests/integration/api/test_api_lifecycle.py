"""The whole lifecycle over HTTP: the same helpers as the command tests, through the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from care_contracts.domain.contract.errors import ContractNotOpenForSigning
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.api.context import ApiContext
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.contracts import SignContract
from tests.integration.api.http_steps import HttpSteps
from tests.integration.event_lifecycle import GZSP_AGB, run_lifecycle
from tests.integration.lifecycle_steps import provider_actor


@pytest.fixture
def http(
    client: TestClient, api_context: ApiContext, api_clock: SimulatedClock, catalog: PolicyCatalog
) -> HttpSteps:
    services = api_context.services
    return HttpSteps(
        services.bus,
        services.store,
        api_clock,
        catalog,
        client=client,
        tokens=api_context.tokens,
    )


def test_the_whole_lifecycle_runs_over_http_and_records_what_the_bus_would(
    http: HttpSteps, client: TestClient
) -> None:
    lifecycle = run_lifecycle(http)

    stored = http.store.recorder.max_notification_id()
    assert stored == sum(len(o.events) for o in http.outcomes)
    contract = client.get(
        f"/v1/contracts/{lifecycle.gzsp_contract}",
        headers=http.authorization(provider_actor(GZSP_AGB)),
    )
    assert contract.status_code == 200
    assert contract.json()["state"]["status"] == "signed"
    assert contract.headers["ETag"] == f'"{contract.json()["version"]}"'


def test_signing_twice_is_a_problem_with_the_domain_code_and_records_nothing(
    http: HttpSteps, client: TestClient
) -> None:
    lifecycle = run_lifecycle(http)
    before = http.position()
    provider = http.authorization(provider_actor(GZSP_AGB))

    response = client.post(
        f"/v1/contracts/{lifecycle.gzsp_contract}/signature",
        json={"vecozo_ref": "VZ-again"},
        headers=provider,
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == ContractNotOpenForSigning.code
    assert problem["type"].endswith(f"/v1/problems/{ContractNotOpenForSigning.code}")
    assert problem["instance"] == f"/v1/contracts/{lifecycle.gzsp_contract}/signature"
    assert client.get(problem["type"]).status_code == 200  # its documentation page
    assert http.position() == before
    with pytest.raises(ContractNotOpenForSigning):
        http.run(
            SignContract(contract_id=lifecycle.gzsp_contract, vecozo_ref="VZ-x"),
            provider_actor(GZSP_AGB),
        )
