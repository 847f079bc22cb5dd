"""``care-contracts history | verify | export`` on a seeded SQLite store, through typer's runner."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.cli import app
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore

from .audit_rows import Rows, Seeded, seed

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_store_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA_DIR", "POSTGRES_DSN", "POSTGRES_SCHEMA"):
        monkeypatch.delenv(f"CARE_CONTRACTS_{name}", raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def seeded(data_dir: Path, catalog: PolicyCatalog) -> Seeded:
    store = ContractingStore(Settings(data_dir=data_dir, snapshot_interval=0))
    try:
        clock = SimulatedClock(datetime(2026, 10, 5, 8, 0, tzinfo=UTC))
        return seed(CommandBus(store, clock, catalog, all_handlers()), clock)
    finally:
        store.close()


def _run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)])
    return result.exit_code, result.stdout, result.stderr


def test_history_lists_the_events_with_position_command_and_actor(
    data_dir: Path, seeded: Seeded
) -> None:
    code, out, _ = _run(data_dir, "history", str(seeded.a))

    assert code == 0, out
    assert f"ProviderApplication {seeded.a}" in out
    for command in (
        "SubmitApplication",
        "RequestApplicationInformation",
        "MarkApplicationComplete",
    ):
        assert command in out
    assert "officer:officer-7 (zorg-en-zekerheid)" in out
    assert "state at version 4" in out


def test_history_as_json_gives_positions_metadata_and_the_state(
    data_dir: Path, seeded: Seeded
) -> None:
    code, out, _ = _run(data_dir, "history", str(seeded.b), "--json")

    assert code == 0
    document = json.loads(out)
    assert [e["position"] for e in document["events"]] == [2, 4, 6, 8]
    assert [e["correlation_id"] for e in document["events"]] == [
        "corr-2",
        "corr-4",
        "corr-6",
        "corr-8",
    ]
    assert document["state"]["version"] == 4
    assert document["state"]["state"]["status"] == "under_assessment"


def test_history_as_of_a_version_stops_there(data_dir: Path, seeded: Seeded) -> None:
    code, out, _ = _run(data_dir, "history", str(seeded.a), "--version", "2", "--json")

    assert code == 0
    document = json.loads(out)
    assert [e["version"] for e in document["events"]] == [1, 2]
    assert document["state"]["state"]["status"] == "incomplete"


def test_history_as_of_an_instant_stops_at_the_last_event_decided_by_then(
    data_dir: Path, seeded: Seeded
) -> None:
    # A's v2 at 2026-10-07T08:00Z, v3 at 2026-10-09T08:00Z: noon in Amsterdam on the 8th is between.
    code, out, _ = _run(
        data_dir, "history", str(seeded.a), "--as-of", "2026-10-08T12:00:00+02:00", "--json"
    )

    assert code == 0
    assert json.loads(out)["state"]["version"] == 2


def test_history_of_an_unknown_aggregate_exits_1_naming_it(data_dir: Path, seeded: Seeded) -> None:
    unknown = "5b0c3a4e-0000-4000-8000-000000000000"

    code, _, err = _run(data_dir, "history", unknown)

    assert code == 1
    assert f"no aggregate {unknown}" in err


def test_history_before_the_aggregate_existed_exits_1(data_dir: Path, seeded: Seeded) -> None:
    code, _, err = _run(data_dir, "history", str(seeded.a), "--as-of", "2026-01-01T00:00:00Z")

    assert code == 1
    assert "was created at 2026-10-05T08:00:00+00:00" in err


@pytest.mark.parametrize(
    "options",
    [
        ["--as-of", "2026-10-08T12:00:00+02:00", "--version", "2"],
        ["--as-of", "2026-10-08T12:00:00"],
        ["--as-of", "tomorrow"],
        ["--version", "0"],
    ],
)
def test_history_refuses_bad_usage_with_exit_code_2(
    data_dir: Path, seeded: Seeded, options: list[str]
) -> None:
    code, _, _ = _run(data_dir, "history", str(seeded.a), *options)

    assert code == 2


def test_history_refuses_an_id_that_is_not_a_uuid(data_dir: Path, seeded: Seeded) -> None:
    code, _, err = _run(data_dir, "history", "07011ef4")

    assert code == 2
    assert "must be a UUID" in err


def test_verify_passes_an_untouched_store(data_dir: Path, seeded: Seeded) -> None:
    code, out, _ = _run(data_dir, "verify")

    assert code == 0
    assert "verified: 8 events of 2 aggregates, chain intact" in out
    assert "head at position 8" in out


def test_verify_exits_1_listing_each_finding_of_a_tampered_store(
    data_dir: Path, seeded: Seeded
) -> None:
    rows = Rows(Settings(data_dir=data_dir))
    body = rows.body(3)
    body["data"]["request"] = "nothing needed"
    rows.set_body(3, body)
    rows.delete_event(6)

    code, out, _ = _run(data_dir, "verify", "--json")
    human_code, human, _ = _run(data_dir, "verify")

    assert code == human_code == 1
    document = json.loads(out)
    assert document["ok"] is False
    assert [
        (f["position"], f["kind"], f["aggregate_id"], f["version"]) for f in document["findings"]
    ] == [
        (3, "edited", str(seeded.a), 2),
        (6, "deleted", str(seeded.b), 3),
        (8, "version_gap", str(seeded.b), 3),
    ]
    assert "edited" in human
    assert "deleted" in human
    assert "3 findings" in human


def test_export_writes_json_lines_to_stdout_in_position_order(
    data_dir: Path, seeded: Seeded
) -> None:
    code, out, _ = _run(data_dir, "export")

    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["position"] for r in records] == list(range(1, 9))
    assert _run(data_dir, "export")[1] == out


def test_export_of_one_aggregate_to_a_file(data_dir: Path, seeded: Seeded, tmp_path: Path) -> None:
    target = tmp_path / "b.jsonl"

    code, out, err = _run(data_dir, "export", "--aggregate", str(seeded.b), "--output", str(target))

    assert code == 0
    assert out == ""
    assert f"exported 4 events to {target}" in err
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["position"] for line in lines] == [2, 4, 6, 8]
    whole = _run(data_dir, "export")[1].splitlines()
    assert lines == [whole[i] for i in (1, 3, 5, 7)]


def test_export_of_an_unknown_aggregate_exits_1_and_leaves_no_file(
    data_dir: Path, seeded: Seeded, tmp_path: Path
) -> None:
    target = tmp_path / "x.jsonl"

    code, _, err = _run(
        data_dir, "export", "--aggregate", "5b0c3a4e-0000-4000-8000-000000000000", "-o", str(target)
    )

    assert code == 1
    assert "no aggregate" in err
    assert list(tmp_path.glob("x.jsonl*")) == []


@pytest.mark.parametrize(
    "command", [["history", "5b0c3a4e-0000-4000-8000-000000000000"], ["verify"], ["export"]]
)
def test_a_missing_store_exits_2_and_creates_nothing(tmp_path: Path, command: list[str]) -> None:
    data_dir = tmp_path / "nowhere"

    code, _, err = _run(data_dir, *command)

    assert code == 2
    assert f"no event store at {data_dir / 'events.sqlite'}" in err
    assert not data_dir.exists()


def test_a_corrupt_store_file_exits_2(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "events.sqlite").write_bytes(b"these are not the pages of a database" * 200)

    code, _, err = _run(data_dir, "verify")

    assert code == 2
    assert f"cannot read the event store at {data_dir / 'events.sqlite'}" in err


def test_a_database_file_without_the_event_tables_exits_2_and_is_left_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    path = data_dir / "events.sqlite"
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")

    code, _, err = _run(data_dir, "verify")

    assert code == 2
    assert "no event store at" in err
    with closing(sqlite3.connect(path)) as connection:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
    assert tables == {"notes"}


def test_verify_and_export_read_the_store_the_options_name_on_either_backend(
    settings: Settings, bus: CommandBus, clock: SimulatedClock
) -> None:
    seed(bus, clock)
    options = ["--data-dir", str(settings.data_dir)]
    if settings.postgres_dsn is not None:
        dsn = settings.postgres_dsn.get_secret_value()
        options += ["--postgres-dsn", dsn, "--postgres-schema", settings.postgres_schema]

    verified = runner.invoke(app, ["verify", "--json", *options])
    exported = runner.invoke(app, ["export", *options])

    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["events"] == 8
    assert exported.exit_code == 0
    assert len(exported.stdout.splitlines()) == 8
