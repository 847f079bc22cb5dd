"""Service instances for the fault proof: ``care-contracts serve`` processes, as deployed.

Each instance is the installed console script with its settings in ``CARE_CONTRACTS_*``
environment variables, as in ``deploy/``: the shared PostgreSQL event store (one schema per
run), its own read-model schema, the cluster's nodes as the NATS URL, the stream at 3 replicas
and its own instance id (its name as a relay lease holder and in its consumers' names). The
simulated clock lets the proof move time past the offers' signing deadlines at the end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

import httpx2

from tests.fault.cluster import free_port

__all__ = ["ServiceInstance"]

_READY_TIMEOUT_S = 60.0


def _console_script() -> Path:
    """``care-contracts`` beside the running interpreter (the venv the tests run in)."""
    script = Path(sys.executable).parent / "care-contracts"
    if not script.exists():
        raise RuntimeError(f"the care-contracts console script is not installed at {script}")
    return script


@dataclass
class ServiceInstance:
    name: str
    data_dir: Path
    postgres_dsn: str
    postgres_schema: str
    read_store_schema: str
    nats_urls: str
    clock_start: datetime
    lease_ttl_s: float = 3.0
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = field(default=None, repr=False)
    starts: int = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "service.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def environment(self) -> dict[str, str]:
        return os.environ | {
            "CARE_CONTRACTS_POSTGRES_DSN": self.postgres_dsn,
            "CARE_CONTRACTS_POSTGRES_SCHEMA": self.postgres_schema,
            "CARE_CONTRACTS_READ_STORE_SCHEMA": self.read_store_schema,
            "CARE_CONTRACTS_NATS_URL": self.nats_urls,
            "CARE_CONTRACTS_STREAM_REPLICAS": "3",
            "CARE_CONTRACTS_INSTANCE_ID": self.name,
            "CARE_CONTRACTS_DATA_DIR": str(self.data_dir),
            "CARE_CONTRACTS_RELAY_LEASE_TTL_S": str(self.lease_ttl_s),
            "CARE_CONTRACTS_PROJECTION_POLL_INTERVAL_S": "0.2",
            "CARE_CONTRACTS_DEADLINE_WATCHER_INTERVAL_S": "0.5",
            "CARE_CONTRACTS_RELAY_BACKOFF_MAX_S": "1",
        }

    def start(self) -> None:
        """Start ``serve`` and wait until ``/readyz`` answers 200."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(_console_script()),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--clock",
                "simulated",
                "--clock-start",
                self.clock_start.strftime("%Y-%m-%dT%H:%M:%S%z"),
            ],
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.starts += 1
        self.wait_ready()

    def wait_ready(self, timeout_s: float = _READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        with httpx2.Client(base_url=self.api_url, timeout=2) as client:
            while time.monotonic() < deadline:
                if not self.running:
                    raise RuntimeError(f"instance {self.name} exited:\n{self.log_tail()}")
                try:
                    response = client.get("/readyz")
                    if response.status_code == 200:
                        return
                    last = response.text
                except httpx2.TransportError as error:
                    last = repr(error)
                time.sleep(0.1)
        raise RuntimeError(f"instance {self.name} not ready ({last}):\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: the process dies holding whatever it held (its relay lease included)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self._close_log()

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it; kill after 30 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_log()

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def _close_log(self) -> None:
        if self.log is not None:
            with contextlib.suppress(OSError):
                self.log.close()
            self.log = None
