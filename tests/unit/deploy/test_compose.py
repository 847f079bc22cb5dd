"""deploy/compose.yaml: PostgreSQL, the 3-node NATS cluster and two service instances that share
them, each instance started only once its dependencies are healthy.

The file is read as YAML (compose's merge keys included); no Docker engine runs here, so compose
itself never sees it in the tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from psycopg.conninfo import conninfo_to_dict

from care_contracts.services.nats.connect import server_urls
from tests.unit.deploy.deploy_files import (
    COMPOSE,
    NATS_CLUSTER,
    load_yaml,
    option_value,
    shipped_nats_ports,
)

INSTANCES = ("contracts-1", "contracts-2")
NATS_NODES = tuple(path.stem for path in NATS_CLUSTER)


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    services: dict[str, Any] = load_yaml(COMPOSE)["services"]
    return services


def _instances(services: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The care-contracts services: those built from the Containerfile."""
    return {name: svc for name, svc in services.items() if "build" in svc}


def test_the_stack_is_postgres_three_nats_nodes_and_two_instances(services: dict[str, Any]) -> None:
    assert set(services) == {"postgres", *NATS_NODES, *INSTANCES}
    assert set(_instances(services)) == set(INSTANCES)


def test_postgres_16_reports_health_with_pg_isready(services: dict[str, Any]) -> None:
    postgres = services["postgres"]
    assert postgres["image"].split(":")[1].split(".")[0] == "16"
    test = postgres["healthcheck"]["test"]
    assert "pg_isready" in " ".join(test)
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])


@pytest.mark.parametrize("node", NATS_NODES)
def test_each_nats_node_reports_health_from_its_monitoring_port(
    services: dict[str, Any], node: str
) -> None:
    test = " ".join(services[node]["healthcheck"]["test"])
    assert "http://127.0.0.1:8222/healthz" in test


@pytest.mark.parametrize("instance", INSTANCES)
def test_an_instance_starts_after_postgres_and_every_nats_node_are_healthy(
    services: dict[str, Any], instance: str
) -> None:
    depends_on = services[instance]["depends_on"]
    assert set(depends_on) == {"postgres", *NATS_NODES}
    assert {dep["condition"] for dep in depends_on.values()} == {"service_healthy"}
    for dependency in depends_on:
        assert "healthcheck" in services[dependency], f"{dependency} can never be healthy"


@pytest.mark.parametrize("instance", INSTANCES)
def test_an_instance_is_built_from_the_containerfile_at_the_repository_root(
    services: dict[str, Any], instance: str
) -> None:
    build = services[instance]["build"]
    context = (COMPOSE.parent / build["context"]).resolve()
    assert (context / "pyproject.toml").is_file()
    assert (context / build["dockerfile"]).resolve() == (COMPOSE.parent / "Containerfile")


def test_the_instances_have_distinct_ids_and_published_ports(services: dict[str, Any]) -> None:
    instances = _instances(services)
    ids = [svc["environment"]["CARE_CONTRACTS_INSTANCE_ID"] for svc in instances.values()]
    assert sorted(ids) == sorted(INSTANCES)
    published = [svc["ports"][0].rsplit(":", 2)[-2] for svc in instances.values()]
    assert sorted(published) == ["8001", "8002"]
    for svc in instances.values():
        assert svc["ports"][0].endswith(":" + option_value(svc["command"], "--port"))


@pytest.mark.parametrize("instance", INSTANCES)
def test_an_instance_uses_every_nats_node_and_three_stream_replicas(
    services: dict[str, Any], instance: str
) -> None:
    env = services[instance]["environment"]
    urls = server_urls(env["CARE_CONTRACTS_NATS_URL"])  # as the service splits it
    expected = [f"nats://{p.stem}:{shipped_nats_ports(p).client}" for p in NATS_CLUSTER]
    assert sorted(urls) == expected
    assert int(env["CARE_CONTRACTS_STREAM_REPLICAS"]) == len(NATS_NODES)


@pytest.mark.parametrize("instance", INSTANCES)
def test_an_instance_reaches_the_compose_postgres_with_its_credentials(
    services: dict[str, Any], instance: str
) -> None:
    env = services[instance]["environment"]
    dsn = conninfo_to_dict(env["CARE_CONTRACTS_POSTGRES_DSN"])
    postgres = services["postgres"]["environment"]
    assert dsn["host"] == "postgres"
    assert (dsn["user"], dsn["password"], dsn["dbname"]) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )


@pytest.mark.parametrize("instance", INSTANCES)
def test_an_instance_writes_only_to_its_data_volume_and_tmp(
    services: dict[str, Any], instance: str
) -> None:
    svc = services[instance]
    assert svc["read_only"] is True
    assert "/tmp" in svc["tmpfs"]
    data_dir = Path(svc["environment"]["CARE_CONTRACTS_DATA_DIR"])
    targets = [Path(volume.split(":")[1]) for volume in svc["volumes"]]
    assert data_dir in targets
    named = svc["volumes"][targets.index(data_dir)].split(":")[0]
    assert named == f"{instance}-data", "each instance its own data volume"
