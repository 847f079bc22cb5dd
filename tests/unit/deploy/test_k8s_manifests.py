"""deploy/k8s: valid Kubernetes objects (Kubernetes' own schemas, strict) that fit together.

No cluster runs here, so ``kubernetes-validate`` checks the built-in kinds against the published
OpenAPI schemas of the oldest Kubernetes we support and of the newest it knows. The CloudNativePG
``Cluster`` and the kustomization have no schema there and are checked field by field.
"""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
from psycopg.conninfo import conninfo_to_dict

from care_contracts.services.nats.connect import server_urls
from tests.unit.deploy.deploy_files import (
    K8S,
    NATS_CLUSTER,
    k8s_documents,
    load_yaml,
    option_value,
    shipped_nats_ports,
)

OLDEST_KUBERNETES = "1.29.0"
BUILT_IN_GROUPS = ("v1", "apps/v1", "policy/v1")


def _by_kind() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for _, doc in k8s_documents():
        assert doc["kind"] not in found, f"two {doc['kind']} objects: name which one a test means"
        found[doc["kind"]] = doc
    return found


@pytest.fixture(scope="module")
def objects() -> dict[str, dict[str, Any]]:
    return _by_kind()


@pytest.fixture(scope="module")
def container(objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    containers = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    found: dict[str, Any] = containers[0]
    return found


def test_the_manifests_hold_each_expected_kind_once(objects: dict[str, dict[str, Any]]) -> None:
    assert set(objects) == {
        "ConfigMap",
        "Secret",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "Cluster",
        "Kustomization",
    }
    assert objects["Cluster"]["apiVersion"] == "postgresql.cnpg.io/v1"
    for doc in objects.values():
        assert "namespace" not in doc.get("metadata", {}), "namespace-agnostic: set it on apply"


@pytest.mark.parametrize("version", [OLDEST_KUBERNETES, kubernetes_validate.latest_version()])
@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(doc, id=f"{path.name}:{doc['kind']}")
        for path, doc in k8s_documents()
        if doc["apiVersion"] in BUILT_IN_GROUPS
    ],
)
def test_every_built_in_object_matches_the_kubernetes_schema(
    doc: dict[str, Any], version: str
) -> None:
    kubernetes_validate.validate(doc, version, strict=True)  # raises on an unknown field


def test_the_schema_check_catches_a_misspelt_field(container: dict[str, Any]) -> None:
    """The check above means something: a typo'd probe is refused, not ignored."""
    broken = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "x"},
        "spec": {"containers": [{**container, "readinesProbe": container["readinessProbe"]}]},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, OLDEST_KUBERNETES, strict=True)


def _container_port(container: dict[str, Any], port: int | str) -> int:
    """A port number, or the number of the container port with that name."""
    if isinstance(port, int):
        return port
    by_name = {p["name"]: p["containerPort"] for p in container["ports"]}
    return int(by_name[port])


def test_the_probes_hit_healthz_and_readyz_on_the_port_the_service_targets(
    objects: dict[str, dict[str, Any]], container: dict[str, Any]
) -> None:
    target = objects["Service"]["spec"]["ports"][0]["targetPort"]
    port = _container_port(container, target)
    probes = {
        kind: container[kind]["httpGet"]
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert probes["startupProbe"]["path"] == "/healthz"
    assert probes["livenessProbe"]["path"] == "/healthz"
    assert probes["readinessProbe"]["path"] == "/readyz"
    assert {_container_port(container, probe["port"]) for probe in probes.values()} == {port}
    assert int(option_value(container["args"], "--port")) == port, "serve listens there"


def test_the_service_and_the_budget_select_the_deployments_pods(
    objects: dict[str, dict[str, Any]],
) -> None:
    deployment = objects["Deployment"]["spec"]
    pod_labels = deployment["template"]["metadata"]["labels"]

    def selects(selector: dict[str, str]) -> bool:
        return bool(selector) and selector.items() <= pod_labels.items()

    assert selects(deployment["selector"]["matchLabels"])
    assert selects(objects["Service"]["spec"]["selector"])
    assert selects(objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"])
    assert deployment["replicas"] >= 2
    assert objects["PodDisruptionBudget"]["spec"]["minAvailable"] < deployment["replicas"]


def test_the_instance_id_is_the_pod_name(container: dict[str, Any]) -> None:
    env = {item["name"]: item for item in container["env"]}
    field_ref = env["CARE_CONTRACTS_INSTANCE_ID"]["valueFrom"]["fieldRef"]
    assert field_ref["fieldPath"] == "metadata.name"


def test_settings_come_from_the_configmap_and_the_secret(
    objects: dict[str, dict[str, Any]], container: dict[str, Any]
) -> None:
    sources = container["envFrom"]
    assert {"configMapRef": {"name": objects["ConfigMap"]["metadata"]["name"]}} in sources
    assert {"secretRef": {"name": objects["Secret"]["metadata"]["name"]}} in sources
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    # Service links would add CARE_CONTRACTS_PORT etc. for the Service named care-contracts.
    assert pod["enableServiceLinks"] is False


def test_the_pod_runs_as_non_root_on_a_read_only_root_with_data_dir_on_an_emptydir(
    objects: dict[str, dict[str, Any]], container: dict[str, Any]
) -> None:
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    data_dir = objects["ConfigMap"]["data"]["CARE_CONTRACTS_DATA_DIR"]
    assert "emptyDir" in volumes[mounts[data_dir]]
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert pod["terminationGracePeriodSeconds"] >= 30, "time for a clean SIGTERM shutdown"
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]["memory"]


def test_the_configmap_names_every_node_of_the_helm_nats_cluster(
    objects: dict[str, dict[str, Any]],
) -> None:
    data = objects["ConfigMap"]["data"]
    replicas = load_yaml(K8S / "nats-values.yaml")["config"]["cluster"]["replicas"]
    urls = server_urls(data["CARE_CONTRACTS_NATS_URL"])
    # Release "nats": the chart's StatefulSet pods behind the headless service nats-headless.
    port = shipped_nats_ports(NATS_CLUSTER[0]).client  # the chart's default client port, as ours
    assert sorted(urls) == [f"nats://nats-{i}.nats-headless:{port}" for i in range(replicas)]
    assert int(data["CARE_CONTRACTS_STREAM_REPLICAS"]) == replicas == 3


def test_the_secret_points_at_the_cloudnativepg_primary_and_its_database(
    objects: dict[str, dict[str, Any]],
) -> None:
    cluster = objects["Cluster"]
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    dsn = conninfo_to_dict(objects["Secret"]["stringData"]["CARE_CONTRACTS_POSTGRES_DSN"])
    assert dsn["host"] == f"{cluster['metadata']['name']}-rw", "the primary's service"
    assert (dsn["user"], dsn["dbname"]) == (initdb["owner"], initdb["database"])
    assert "REPLACE-ME" in str(dsn["password"]), "the example Secret carries no real password"


def test_postgres_is_three_instances_with_synchronous_replication(
    objects: dict[str, dict[str, Any]],
) -> None:
    spec = objects["Cluster"]["spec"]
    assert spec["instances"] == 3
    assert spec["imageName"].rsplit(":", 1)[1].split(".")[0] == "16"
    synchronous = spec["postgresql"]["synchronous"]
    assert synchronous["method"] in ("any", "first")
    assert synchronous["number"] >= 1
    assert synchronous["dataDurability"] == "required"
    assert spec["affinity"]["enablePodAntiAffinity"] is True


def test_kustomize_applies_the_service_objects_but_never_the_example_secret() -> None:
    resources = load_yaml(K8S / "kustomization.yaml")["resources"]
    assert all((K8S / name).is_file() for name in resources)
    kinds = {load_yaml(K8S / name)["kind"] for name in resources}
    assert kinds == {"ConfigMap", "Deployment", "Service", "PodDisruptionBudget"}
