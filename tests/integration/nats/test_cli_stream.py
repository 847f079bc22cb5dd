"""``care-contracts stream verify [--repair]`` and ``tail`` through typer's runner, real server.

A SQLite store seeded with a full lifecycle; its events published to a stream of the test's own
(deletes allowed, a one-second duplicate window so a repair can republish soon after a delete).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from typer.testing import CliRunner

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services import cli_stream
from care_contracts.services.cli import app
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from tests.integration.event_lifecycle import run_lifecycle
from tests.integration.lifecycle_steps import Steps
from tests.integration.nats.jetstream_session import jetstream, run
from tests.integration.nats.stream_seeding import deletable_stream, publish_store

pytestmark = pytest.mark.nats

runner = CliRunner()
WAIT_S = 10.0


@pytest.fixture(autouse=True)
def _nothing_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA_DIR", "POSTGRES_DSN", "POSTGRES_SCHEMA", "NATS_URL", "STREAM_NAME"):
        monkeypatch.delenv(f"CARE_CONTRACTS_{name}", raising=False)


@pytest.fixture
def published(stream_settings: Settings, catalog: PolicyCatalog) -> dict[int, str]:
    """The seeded store's events in the stream: {position: event id}."""
    store = ContractingStore(stream_settings.model_copy(update={"snapshot_interval": 0}))
    try:
        clock = SimulatedClock(datetime(2026, 10, 5, 8, 0, tzinfo=UTC))
        run_lifecycle(
            Steps(CommandBus(store, clock, catalog, all_handlers()), store, clock, catalog)
        )

        async def publish() -> dict[int, str]:
            async with jetstream(stream_settings.nats_url or "") as (_, js):
                await deletable_stream(js, stream_settings, 1.0)
                return await publish_store(js, store)

        return run(publish())
    finally:
        store.close()


def _verify(settings: Settings, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app,
        [
            "stream",
            "verify",
            *args,
            "--nats-url",
            settings.nats_url or "",
            "--stream",
            settings.stream_name,
            "--data-dir",
            str(settings.data_dir),
        ],
    )
    return result.exit_code, result.stdout, result.stderr


def _delete(settings: Settings, *sequences: int) -> None:
    async def delete() -> None:
        async with jetstream(settings.nats_url or "") as (_, js):
            for sequence in sequences:
                await js.delete_msg(settings.stream_name, sequence)

    run(delete())


def test_verify_exits_0_when_every_stored_event_is_in_the_stream_once(
    stream_settings: Settings, published: dict[int, str]
) -> None:
    code, out, err = _verify(stream_settings, "--json")

    assert code == 0, out + err
    report = json.loads(out)
    assert report["ok"] is True
    assert report["stored"] == report["messages"] == len(published)
    assert report["missing"] == report["duplicates"] == []


def test_verify_names_missing_events_and_repair_republishes_them(
    stream_settings: Settings, published: dict[int, str]
) -> None:
    _delete(stream_settings, 4, 9)

    code, out, _ = _verify(stream_settings)
    assert code == 1
    assert published[4] in out
    assert published[9] in out
    assert "2 missing" in out

    code, out, _ = _verify(stream_settings, "--json")
    report = json.loads(out)
    assert code == 1
    assert [(e["position"], e["event_id"]) for e in report["missing"]] == [
        (4, published[4]),
        (9, published[9]),
    ]

    # Until the 1 s duplicate window forgets each id (one may be forgotten before the other):
    repaired: list[int] = []
    deadline = time.monotonic() + WAIT_S
    while True:
        code, out, _ = _verify(stream_settings, "--repair", "--json")
        report = json.loads(out)
        repaired += [e["position"] for e in report["repaired"]]
        if code == 0 or time.monotonic() > deadline:
            break
        blocked = [b["event"]["position"] for b in report["blocked"]]
        assert blocked
        assert set(blocked) <= {4, 9}
        time.sleep(0.25)
    assert code == 0, out
    assert sorted(repaired) == [4, 9]

    code, out, _ = _verify(stream_settings, "--json")
    report = json.loads(out)
    assert code == 0
    assert report["messages"] == report["stored"] == len(published)
    assert report["duplicates"] == []


def test_tail_prints_the_events_of_a_subject_filter_from_the_start(
    stream_settings: Settings, published: dict[int, str]
) -> None:
    result = runner.invoke(
        app,
        [
            "tail",
            "--subject",
            "contracting.contract.>",
            "--from-start",
            "--limit",
            "3",
            "--json",
            "--nats-url",
            stream_settings.nats_url or "",
            "--stream",
            stream_settings.stream_name,
        ],
    )

    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(events) == 3
    assert all(e["type"].startswith("nl.care-contracts.contract.") for e in events)
    positions = [e["position"] for e in events]
    assert positions == sorted(positions)
    assert [e["id"] for e in events] == [published[p] for p in positions]


def test_tail_from_a_sequence_prints_readable_lines(
    stream_settings: Settings, published: dict[int, str]
) -> None:
    result = runner.invoke(
        app,
        [
            "tail",
            "--from-seq",
            "5",
            "--limit",
            "2",
            "--nats-url",
            stream_settings.nats_url or "",
            "--stream",
            stream_settings.stream_name,
        ],
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["5", "6"]
    assert f"id={published[5]}" in lines[0]
    assert "position=5" in lines[0]


def test_tail_from_now_prints_what_is_published_after_it_starts(
    stream_settings: Settings, published: dict[int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    async def tail_and_publish() -> None:
        async with jetstream(stream_settings.nats_url or "") as (_, js):
            tail = asyncio.create_task(
                cli_stream._tail(
                    stream_settings.nats_url or "",
                    stream_settings.stream_name,
                    "contracting.>",
                    ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
                    limit=1,
                    as_json=False,
                )
            )
            while (await js.stream_info(stream_settings.stream_name)).state.consumer_count < 1:
                await asyncio.sleep(0.02)  # the tail's consumer exists: publish after it
            await js.publish("contracting.contract.signed.x.y", b'{"id": "fresh"}')
            await tail

    run(tail_and_publish())

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{len(published) + 1} contracting.contract.signed.x.y ")
    assert "id=fresh" in lines[0]


def test_unreachable_nats_exits_2_with_a_clear_message(stream_settings: Settings) -> None:
    Path(stream_settings.data_dir).mkdir(parents=True)
    ContractingStore(stream_settings).close()
    unreachable = stream_settings.model_copy(update={"nats_url": "nats://127.0.0.1:1"})

    code, _, err = _verify(unreachable)
    tail = runner.invoke(app, ["tail", "--limit", "1", "--nats-url", "nats://127.0.0.1:1"])

    assert code == 2
    assert "cannot reach NATS at nats://127.0.0.1:1" in err
    assert tail.exit_code == 2
    assert "cannot reach NATS" in tail.stderr


def test_a_missing_stream_exits_2_naming_it(stream_settings: Settings) -> None:
    ContractingStore(stream_settings).close()

    code, _, err = _verify(stream_settings)
    tail = runner.invoke(
        app,
        [
            "tail",
            "--limit",
            "1",
            "--nats-url",
            stream_settings.nats_url or "",
            "--stream",
            stream_settings.stream_name,
        ],
    )

    assert code == 2
    assert f"no stream '{stream_settings.stream_name}'" in err
    assert tail.exit_code == 2
    assert stream_settings.stream_name in tail.stderr


def test_verify_without_a_nats_url_or_store_exits_2(tmp_path: Path) -> None:
    no_url = runner.invoke(app, ["stream", "verify", "--data-dir", str(tmp_path)])
    no_store = runner.invoke(
        app, ["stream", "verify", "--data-dir", str(tmp_path), "--nats-url", "nats://127.0.0.1:1"]
    )

    assert no_url.exit_code == 2
    assert "--nats-url" in no_url.stderr
    assert no_store.exit_code == 2
    assert "no event store" in no_store.stderr
