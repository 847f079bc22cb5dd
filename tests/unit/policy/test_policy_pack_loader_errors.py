"""A malformed or inconsistent pack file fails with a PackFileError naming file, pack and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from care_contracts.services.policy.loader import PackFileError, load_catalog, load_pack_file

GENERAL = """
id = "zz-2027-general"
version = "1.0"
valid_from = 2026-04-01
title = "General"
insurer = "zorg-en-zekerheid"
insurer_name = "Zorg en Zekerheid"
year = 2027
care_type = "general"
general = true
document = "test"

[[metrics]]
name = "kvk_registered"
kind = "bool"
title = "KvK"

[[requirements]]
code = "ZZ-MIN-KVK"
title = "KvK"
kind = "hard"
predicate = { metric = "kvk_registered", op = "==", value = true }
"""

CARE_TYPE = """
id = "zz-2027-msz"
version = "1.1"
valid_from = 2026-06-01
title = "MSZ"
insurer = "zorg-en-zekerheid"
insurer_name = "Zorg en Zekerheid"
year = 2027
care_type = "msz"
parent = { id = "zz-2027-general", version = "1.0" }
document = "test"

[[metrics]]
name = "specialist_fte"
kind = "decimal"
title = "FTE"

[[requirements]]
code = "ZZ-MSZ-ZBC-SPECIALIST-FTE"
title = "FTE"
kind = "hard"
predicate = { metric = "specialist_fte", op = ">=", value = 1.2 }

[[contract_types]]
code = "ZZ-MSZ-CT-MAATWERK"
title = "Maatwerk"
negotiated = true
term = { start = 2027-01-01, end = 2027-12-31 }

[[signing_rules]]
code = "ZZ-MSZ-SIGN-ANNUAL"
routes = ["annual_round"]
anchor = "fixed_date"
deadline = 2026-11-11

[application]
channel = "web_form"
address = "form"
received_from = 2026-01-01
received_until = 2027-12-31
window_rule = "ZZ-MSZ-APPLICATION-WINDOW"
"""


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _catalog_error(directory: Path, care_type_text: str = CARE_TYPE) -> PackFileError:
    _write(directory, "zz-2027-general@1.0.toml", GENERAL)
    _write(directory, "zz-2027-msz@1.1.toml", care_type_text)
    with pytest.raises(PackFileError) as caught:
        load_catalog(directory)
    return caught.value


def test_the_small_valid_packs_load(tmp_path: Path) -> None:
    _write(tmp_path, "zz-2027-general@1.0.toml", GENERAL)
    _write(tmp_path, "zz-2027-msz@1.1.toml", CARE_TYPE)
    catalog = load_catalog(tmp_path)
    assert len(catalog) == 2


def test_a_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "zz-2027-msz@1.1.toml", CARE_TYPE + "\nbroken = [\n")
    with pytest.raises(PackFileError, match=r"^zz-2027-msz@1\.1\.toml: TOML syntax error"):
        load_pack_file(path)


def test_a_bad_date_names_file_pack_and_field_path(tmp_path: Path) -> None:
    text = CARE_TYPE.replace("deadline = 2026-11-11", 'deadline = "2026-11-31"')
    path = _write(tmp_path, "zz-2027-msz@1.1.toml", text)
    with pytest.raises(PackFileError) as caught:
        load_pack_file(path)
    message = str(caught.value)
    assert message.startswith(
        "zz-2027-msz@1.1.toml: pack zz-2027-msz: signing_rules.0.deadline: invalid date"
    )
    assert caught.value.field == "signing_rules.0.deadline"
    assert caught.value.pack_id == "zz-2027-msz"
    assert caught.value.file == "zz-2027-msz@1.1.toml"


def test_a_toml_datetime_where_a_date_belongs_is_an_invalid_date(tmp_path: Path) -> None:
    text = CARE_TYPE.replace("valid_from = 2026-06-01", "valid_from = 2026-06-01T12:30:00")
    path = _write(tmp_path, "zz-2027-msz@1.1.toml", text)
    with pytest.raises(PackFileError, match=r"pack zz-2027-msz: valid_from: invalid date"):
        load_pack_file(path)


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    text = CARE_TYPE.replace('title = "MSZ"\n', "")
    path = _write(tmp_path, "zz-2027-msz@1.1.toml", text)
    with pytest.raises(PackFileError, match=r"pack zz-2027-msz: title: Field required"):
        load_pack_file(path)


def test_an_unknown_field_is_named(tmp_path: Path) -> None:
    text = CARE_TYPE.replace('kind = "hard"', 'kind = "hard"\nseverity = "high"', 1)
    path = _write(tmp_path, "zz-2027-msz@1.1.toml", text)
    with pytest.raises(PackFileError, match=r"requirements\.0\.severity: Extra inputs"):
        load_pack_file(path)


def test_a_file_without_a_readable_id_names_only_the_file(tmp_path: Path) -> None:
    text = CARE_TYPE.replace('id = "zz-2027-msz"\n', "", 1)
    path = _write(tmp_path, "zz-2027-msz@1.1.toml", text)
    with pytest.raises(PackFileError, match=r"^zz-2027-msz@1\.1\.toml: id: Field required"):
        load_pack_file(path)


def test_a_duplicate_rule_code_is_named(tmp_path: Path) -> None:
    text = CARE_TYPE.replace('code = "ZZ-MSZ-CT-MAATWERK"', 'code = "ZZ-MSZ-SIGN-ANNUAL"')
    path = _write(tmp_path, "zz-2027-msz@1.1.toml", text)
    with pytest.raises(
        PackFileError,
        match=r"^zz-2027-msz@1\.1\.toml: pack zz-2027-msz: duplicate rule codes: "
        r"ZZ-MSZ-SIGN-ANNUAL",
    ):
        load_pack_file(path)


def test_an_id_that_disagrees_with_the_file_name_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "zz-2027-gzsp@1.1.toml", CARE_TYPE)
    with pytest.raises(PackFileError, match=r"file name must be zz-2027-msz@1\.1\.toml"):
        load_pack_file(path)


def test_a_version_that_disagrees_with_the_file_name_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "zz-2027-msz@1.0.toml", CARE_TYPE)
    with pytest.raises(
        PackFileError, match=r"^zz-2027-msz@1\.0\.toml: pack zz-2027-msz: file name must be"
    ):
        load_pack_file(path)


def test_an_unknown_parent_names_the_file(tmp_path: Path) -> None:
    text = CARE_TYPE.replace('version = "1.0" }', 'version = "2.0" }')
    error = _catalog_error(tmp_path, text)
    assert str(error).startswith("zz-2027-msz@1.1.toml: pack zz-2027-msz@1.1: unknown parent")
    assert error.pack_id == "zz-2027-msz"


def test_a_child_repeating_a_parent_code_without_replacing_it_is_refused(
    tmp_path: Path,
) -> None:
    text = CARE_TYPE.replace('code = "ZZ-MSZ-ZBC-SPECIALIST-FTE"', 'code = "ZZ-MIN-KVK"')
    error = _catalog_error(tmp_path, text)
    assert "zz-2027-msz@1.1.toml" in str(error)
    assert "ZZ-MIN-KVK repeats a parent code" in str(error)


def test_an_undeclared_metric_is_refused(tmp_path: Path) -> None:
    text = CARE_TYPE.replace('metric = "specialist_fte"', 'metric = "specialist_count"')
    error = _catalog_error(tmp_path, text)
    assert "zz-2027-msz@1.1.toml" in str(error)
    assert "ZZ-MSZ-ZBC-SPECIALIST-FTE reads undeclared metric specialist_count" in str(error)


def test_a_metric_compared_against_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    text = CARE_TYPE.replace('op = ">=", value = 1.2', 'op = "==", value = true')
    error = _catalog_error(tmp_path, text)
    assert "specialist_fte (decimal) cannot be compared == True" in str(error)


def test_a_pack_id_and_version_defined_twice_names_both_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _write(tmp_path, "zz-2027-general@1.0.toml", GENERAL)
    _write(tmp_path / "a", "zz-2027-msz@1.1.toml", CARE_TYPE)
    _write(tmp_path / "b", "zz-2027-msz@1.1.toml", CARE_TYPE)
    with pytest.raises(
        PackFileError,
        match=r"^a/zz-2027-msz@1\.1\.toml, b/zz-2027-msz@1\.1\.toml: pack zz-2027-msz@1\.1 is "
        r"defined twice",
    ):
        load_catalog(tmp_path)


def test_an_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackFileError, match="no pack files"):
        load_catalog(tmp_path)
