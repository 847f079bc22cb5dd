"""The repository's copy of the event data schemas matches a fresh export; the CLI exports it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from care_contracts.services.cli import app
from care_contracts.services.events.contract import by_type
from care_contracts.services.events.schemas import REFRESH_COMMAND, SCHEMA_FILE, render

runner = CliRunner()


REPOSITORY_FILE = Path(__file__).parents[3] / "services" / "events" / SCHEMA_FILE.name


def test_the_schema_file_in_the_repository_is_up_to_date() -> None:
    assert REPOSITORY_FILE.is_file(), f"missing {REPOSITORY_FILE}; run: {REFRESH_COMMAND}"
    assert REPOSITORY_FILE.read_text(encoding="utf-8") == render(), (
        f"{REPOSITORY_FILE.name} is out of date with the event models; run: {REFRESH_COMMAND}"
    )


def test_the_installed_package_ships_the_schema_file() -> None:
    assert SCHEMA_FILE.is_file(), f"{SCHEMA_FILE} is not installed with the package"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render()


def test_the_export_is_keyed_by_cloudevents_type_in_a_stable_order() -> None:
    document = json.loads(render())

    assert list(document["$defs"]) == sorted(by_type())
    assert render() == render()


def test_schemas_export_prints_the_document_to_stdout() -> None:
    result = runner.invoke(app, ["schemas", "export"])

    assert result.exit_code == 0, result.output
    assert result.stdout == render()


def test_schemas_export_writes_the_document_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "events.schema.json"

    result = runner.invoke(app, ["schemas", "export", "--output", str(target)])

    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == render()
