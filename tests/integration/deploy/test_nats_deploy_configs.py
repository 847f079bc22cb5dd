"""The nats-server configurations of deploy/nats, run: the single node and the three cluster
nodes start from the shipped files, the three form one JetStream cluster that fsyncs every write,
take the service's stream at 3 replicas and keep acking events with a node down.

Only what one machine forces is changed, in a copy: the compose hostnames (nats-1..3) become
127.0.0.1; each node's fixed client, route and monitoring ports (read from the files; three
containers can share them but three local processes cannot) become free loopback ports, in its
listens and in the routes naming it;
store_dir becomes a temporary folder. Names, cluster name, route topology, JetStream settings and
limits are the files' own, and the servers report them back (/varz, /routez, /jsz).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats.errors
import pytest

from care_contracts.services.nats.connect import connect_once
from care_contracts.services.nats.embedded import find_nats_server_binary
from care_contracts.services.nats.streams import ensure_stream
from care_contracts.services.settings import Settings
from tests.unit.deploy.deploy_files import NATS_CLUSTER, NATS_SINGLE, shipped_nats_ports

pytestmark = pytest.mark.nats

START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class _Ports:
    client: int
    cluster: int
    monitor: int


@dataclass
class _Node:
    name: str
    ports: _Ports
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.ports.client}"

    def monitor(self, endpoint: str) -> Any:
        url = f"http://127.0.0.1:{self.ports.monitor}/{endpoint}"
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.load(response)


def _free_ports(count: int) -> list[int]:
    """Loopback ports free right now (all bound at once, so distinct, then released)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _local_copy(path: Path, ports: dict[str, _Ports], store: Path) -> str:
    text = path.read_text(encoding="utf-8")
    shipped = shipped_nats_ports(path)
    route_port = shipped_nats_ports(NATS_CLUSTER[0]).cluster  # every node's routes name it
    for name, theirs in ports.items():
        text = text.replace(f'"nats://{name}:{route_port}"', f'"nats://127.0.0.1:{theirs.cluster}"')
    own = ports[path.stem]
    for fixed, free in (
        (shipped.client, own.client),
        (shipped.cluster, own.cluster),
        (shipped.monitor, own.monitor),
    ):
        if fixed is not None:
            text = text.replace(f'"0.0.0.0:{fixed}"', f'"127.0.0.1:{free}"')
    text = re.sub(r'store_dir: "[^"]*"', f"store_dir: {json.dumps(str(store))}", text)
    active = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    # None of the shipped ports left (never the machine's own NATS), nothing but loopback.
    fixed_ports = "|".join(str(p) for p in (shipped.client, route_port, shipped.monitor))
    leftover = re.findall(rf":(?:{fixed_ports})\b|0\.0\.0\.0|nats://nats-", active)
    assert not leftover, f"{path.name}: not rewritten for one machine: {leftover}"
    return text


def _healthy(node: _Node) -> bool:
    try:
        return str(node.monitor("healthz")["status"]) == "ok"
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return False


def _start(files: tuple[Path, ...], tmp_path: Path) -> list[_Node]:
    binary = find_nats_server_binary()
    numbers = iter(_free_ports(3 * len(files)))
    ports = {path.stem: _Ports(next(numbers), next(numbers), next(numbers)) for path in files}
    nodes = []
    for path in files:
        folder = tmp_path / path.stem
        folder.mkdir()
        config = folder / path.name
        config.write_text(_local_copy(path, ports, folder / "store"), encoding="utf-8")
        log = folder / "nats-server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(binary), "-c", str(config)], stdout=out, stderr=subprocess.STDOUT
            )
        nodes.append(_Node(path.stem, ports[path.stem], process, log))
    return nodes


def _stop(node: _Node) -> None:
    if node.process.poll() is None:
        node.process.terminate()
        try:
            node.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            node.process.kill()
            node.process.wait()


def _wait_healthy(nodes: list[_Node]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not all(_healthy(node) for node in nodes):
        for node in nodes:
            if node.process.poll() is not None:
                pytest.fail(f"{node.name} exited:\n{node.log.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {n.name}\n{n.log.read_text(errors='replace')}" for n in nodes)
            pytest.fail(f"not healthy within {START_TIMEOUT_S} s:\n{logs}")
        time.sleep(0.1)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[_Node]]:
    nodes = _start(NATS_CLUSTER, tmp_path)
    try:
        _wait_healthy(nodes)
        yield nodes
    finally:
        for node in nodes:
            _stop(node)


def test_the_single_node_config_runs_jetstream_with_fsync_on_every_write(
    tmp_path: Path,
) -> None:
    (node,) = _start((NATS_SINGLE,), tmp_path)
    try:
        _wait_healthy([node])
        varz = node.monitor("varz")
        assert varz["server_name"] == "care-contracts-nats"
        assert varz["jetstream"]["config"]["sync_always"] is True
        assert varz["max_payload"] == 1024 * 1024
    finally:
        _stop(node)


def test_the_three_nodes_form_one_cluster_that_fsyncs(cluster: list[_Node]) -> None:
    names = {node.name for node in cluster}
    for node in cluster:
        varz = node.monitor("varz")
        assert varz["server_name"] == node.name
        assert varz["cluster"]["name"] == "care-contracts"
        assert varz["jetstream"]["config"]["sync_always"] is True
        peers = {route["remote_name"] for route in node.monitor("routez")["routes"]}
        assert peers == names - {node.name}
    meta = cluster[0].monitor("jsz")["meta_cluster"]
    assert meta["cluster_size"] == 3
    assert meta["leader"] in names


async def _publish(urls: str, subject: str, body: bytes, *, within_s: float) -> int:
    """Publish and return the stream sequence, retrying while a leader is elected."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            nc = await connect_once(urls, timeout_s=2)
            try:
                ack = await nc.jetstream(timeout=2).publish(subject, body)
                return int(ack.seq)
            finally:
                await nc.close()
        except (nats.errors.Error, TimeoutError, OSError):  # no leader yet, node gone
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def test_the_service_stream_takes_three_replicas_and_survives_a_node_down(
    cluster: list[_Node], tmp_path: Path
) -> None:
    urls = ",".join(node.url for node in cluster)  # as CARE_CONTRACTS_NATS_URL lists them
    settings = Settings(
        data_dir=tmp_path / "data",
        nats_url=urls,
        stream_replicas=3,
        stream_name=f"DEPLOY_{uuid.uuid4().hex[:8].upper()}",
    )

    async def scenario() -> tuple[int, int, int]:
        nc = await connect_once(urls, timeout_s=2)
        try:
            info = await ensure_stream(nc.jetstream(timeout=5), settings)
        finally:
            await nc.close()
        assert info.config.num_replicas == 3
        assert info.cluster is not None
        assert len(info.cluster.replicas or []) == 2  # besides the leader
        first = await _publish(urls, "contracting.deploy.test._._", b"1", within_s=10)
        _stop(cluster[2])  # one node of three: still a majority
        live = ",".join(node.url for node in cluster[:2])
        second = await _publish(live, "contracting.deploy.test._._", b"2", within_s=20)
        nc = await connect_once(live, timeout_s=2)
        try:
            state = (await nc.jetstream(timeout=5).stream_info(settings.stream_name)).state
        finally:
            await nc.close()
        return first, second, state.messages

    first, second, messages = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert (first, second, messages) == (1, 2, 2)
