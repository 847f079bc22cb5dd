"""The production nats-server configurations: valid for the server we ship, durable, and a
cluster whose three nodes agree and route to each other.

``nats-server -t`` parses a configuration and checks every option without resolving the route
hostnames (checked on 2.15.1: routes to nats-2/nats-3, which do not resolve here, pass), so the
cluster files are tested as they are. tests/integration/deploy starts them as a real cluster.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from care_contracts.services.nats.embedded import find_nats_server_binary
from tests.unit.deploy.deploy_files import (
    COMPOSE,
    K8S,
    NATS_CLUSTER,
    NATS_SINGLE,
    load_yaml,
    parse_nats_conf,
    shipped_nats_ports,
)

ALL_CONFIGS = (NATS_SINGLE, *NATS_CLUSTER)
NODE_NAMES = ("nats-1", "nats-2", "nats-3")  # the compose service names routes resolve to


def _check_with_server(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(find_nats_server_binary()), "-t", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _conf(path: Path) -> dict[str, Any]:
    return parse_nats_conf(path.read_text(encoding="utf-8"))


def _server_version() -> str:
    out = subprocess.run(
        [str(find_nats_server_binary()), "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    match = re.search(r"v(\d+\.\d+\.\d+)", out)
    assert match, out
    return match.group(1)


@pytest.mark.parametrize("path", ALL_CONFIGS, ids=lambda p: p.name)
def test_the_shipped_nats_server_accepts_every_configuration(path: Path) -> None:
    result = _check_with_server(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout + result.stderr


def test_nats_server_check_catches_a_broken_configuration(tmp_path: Path) -> None:
    """The check above means something: -t refuses an unknown option and a bad value."""
    broken = tmp_path / "broken.conf"
    text = NATS_SINGLE.read_text(encoding="utf-8").replace("sync_interval: always", "sync: 1")
    broken.write_text(text, encoding="utf-8")
    assert _check_with_server(broken).returncode != 0


@pytest.mark.parametrize("path", ALL_CONFIGS, ids=lambda p: p.name)
def test_jetstream_fsyncs_every_write_to_a_named_store(path: Path) -> None:
    conf = _conf(path)
    jetstream = conf["jetstream"]
    assert jetstream["sync_interval"] == "always"
    assert jetstream["store_dir"].startswith("/")
    assert conf["server_name"]
    assert conf["http"].endswith(":8222"), "monitoring on 8222 (health checks, exporters)"
    assert conf["max_payload"] == "1MB"


def test_the_three_nodes_have_unique_names_one_cluster_and_routes_to_the_other_two() -> None:
    confs = {path.stem: _conf(path) for path in NATS_CLUSTER}
    assert sorted(conf["server_name"] for conf in confs.values()) == list(NODE_NAMES)
    assert {conf["cluster"]["name"] for conf in confs.values()} == {"care-contracts"}
    for name, conf in confs.items():
        assert conf["server_name"] == name, "file nats-N.conf is node nats-N"
        cluster_port = conf["cluster"]["listen"].rsplit(":", 1)[1]
        routes = conf["cluster"]["routes"]
        assert sorted(routes) == [
            f"nats://{other}:{cluster_port}" for other in NODE_NAMES if other != name
        ]


def test_the_cluster_nodes_differ_only_in_their_name_and_routes() -> None:
    def shared(path: Path) -> dict[str, Any]:
        conf = _conf(path)
        del conf["server_name"]
        del conf["cluster"]["routes"]
        return conf

    first, *others = (shared(path) for path in NATS_CLUSTER)
    assert all(other == first for other in others)


def test_compose_mounts_each_node_its_own_config_and_a_volume_at_its_store_dir() -> None:
    services = load_yaml(COMPOSE)["services"]
    for path in NATS_CLUSTER:
        node = services[path.stem]
        assert node["hostname"] == path.stem
        mounts = dict(volume.split(":")[:2] for volume in node["volumes"])
        config_dir = mounts[f"./{path.parent.relative_to(COMPOSE.parent).as_posix()}"]
        assert node["command"] == ["--config", f"{config_dir}/{path.name}"]
        store_dir = _conf(path)["jetstream"]["store_dir"]
        assert store_dir in mounts.values(), f"{path.stem}'s store_dir is not on a volume"


def test_compose_and_helm_run_the_nats_release_the_configurations_are_checked_with() -> None:
    version = _server_version()
    services = load_yaml(COMPOSE)["services"]
    images = {services[path.stem]["image"] for path in NATS_CLUSTER}
    assert images == {f"nats:{version}-alpine"}
    values = load_yaml(K8S / "nats-values.yaml")
    assert values["container"]["image"]["tag"] == f"{version}-alpine"


def _render_chart_config(values: dict[str, Any]) -> str:
    """The nats.conf the nats/nats chart (1.x) builds from these values, reduced to the parts
    the values set: the jetstream block (store, sizes, merge) and the top-level merge. The
    chart writes JSON and passes ``<< x >>`` through unquoted, as done here."""
    config = values["config"]
    jetstream = config["jetstream"]
    rendered = {
        "server_name": "nats-0",
        "port": shipped_nats_ports(NATS_CLUSTER[0]).client,  # the chart's default, as ours
        "http_port": config["monitor"]["port"],
        "jetstream": {
            "store_dir": jetstream["fileStore"]["dir"],
            "max_file_store": f"<< {jetstream['fileStore']['maxSize']} >>",
            "max_memory_store": f"<< {jetstream['memoryStore']['maxSize']} >>",
            **jetstream["merge"],
        },
        **config["merge"],
    }
    return re.sub(r'"<< (.+?) >>"', r"\1", json.dumps(rendered, indent=2))


def test_the_helm_values_give_a_three_node_jetstream_cluster_that_fsyncs(tmp_path: Path) -> None:
    values = load_yaml(K8S / "nats-values.yaml")
    config = values["config"]
    assert config["cluster"]["enabled"] is True
    assert config["cluster"]["replicas"] == 3
    assert config["jetstream"]["enabled"] is True
    assert config["jetstream"]["fileStore"]["enabled"] is True
    assert config["jetstream"]["fileStore"]["pvc"]["enabled"] is True
    assert config["jetstream"]["merge"]["sync_interval"] == "always"

    rendered = tmp_path / "chart.conf"
    rendered.write_text(_render_chart_config(values), encoding="utf-8")
    result = _check_with_server(rendered)
    assert result.returncode == 0, result.stdout + result.stderr + rendered.read_text()
