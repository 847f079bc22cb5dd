"""The ``care-contracts packs`` commands: list, show and validate policy packs."""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path

from typer.testing import CliRunner

from care_contracts.services.cli import app

runner = CliRunner()


def _shipped_packs(tmp_path: Path) -> Path:
    target = tmp_path / "packs"
    target.mkdir()
    for entry in files("care_contracts.services.policy.packs").iterdir():
        if entry.name.endswith(".toml"):
            shutil.copyfile(str(entry), target / entry.name)
    return target


def test_validate_reports_every_shipped_pack_version() -> None:
    result = runner.invoke(app, ["packs", "validate"])
    assert result.exit_code == 0, result.output
    assert "8 policy pack versions are valid" in result.output


def test_list_names_each_pack_with_its_validity_and_parent() -> None:
    result = runner.invoke(app, ["packs", "list"])
    assert result.exit_code == 0, result.output
    assert "zz-2027-msz" in result.output
    assert "2026-06-01" in result.output
    assert "zz-2027-general@1.0" in result.output


def test_show_prints_the_pack_with_its_inherited_rules() -> None:
    result = runner.invoke(app, ["packs", "show", "zz-2027-msz"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["id"] == "zz-2027-msz"
    assert document["version"] == "1.1"
    assert "ZZ-MIN-KVK" in document["effective_requirements"]  # inherited from the general policy
    assert "ZZ-MSZ-ZBC-SPECIALIST-FTE" in document["effective_requirements"]
    assert "ZZ-EXCL-PRIOR-CONTRACT-ENDED" in document["effective_exclusion_grounds"]


def test_show_refuses_an_unknown_pack_and_names_the_known_ones() -> None:
    result = runner.invoke(app, ["packs", "show", "zz-2099-nothing"])
    assert result.exit_code == 1
    assert "no pack zz-2099-nothing" in result.output
    assert "zz-2027-gzsp" in result.output


def test_validate_names_the_file_pack_and_field_of_a_broken_pack(tmp_path: Path) -> None:
    folder = _shipped_packs(tmp_path)
    broken = folder / "zz-2027-gzsp@1.0.toml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace(
            "valid_from = 2026-04-01", 'valid_from = "soon"'
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["packs", "validate", "--dir", str(folder)])
    assert result.exit_code == 1
    assert "zz-2027-gzsp@1.0.toml" in result.output
    assert "valid_from" in result.output


def test_validate_accepts_an_intact_copy_of_the_packs(tmp_path: Path) -> None:
    result = runner.invoke(app, ["packs", "validate", "--dir", str(_shipped_packs(tmp_path))])
    assert result.exit_code == 0, result.output
