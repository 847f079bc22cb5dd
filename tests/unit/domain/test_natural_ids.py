"""Aggregate ids derived from natural keys: a repeated command finds the same aggregate."""

from __future__ import annotations

from uuid import UUID

from care_contracts.domain.identity import natural_id


def test_the_same_natural_key_always_gives_the_same_id() -> None:
    assert natural_id("contract", "12345678", 2027) == natural_id("contract", "12345678", 2027)


def test_a_released_id_never_changes() -> None:
    # Stored aggregates are found by these ids: a new namespace or key format would orphan them.
    assert natural_id("contract", "12345678", 2027) == UUID("45ff4912-39cd-5073-af34-6a087bb3ce1e")


def test_ids_differ_by_kind_and_by_every_key_part() -> None:
    ids = {
        natural_id("contract", "12345678", 2027),
        natural_id("application", "12345678", 2027),
        natural_id("contract", "12345679", 2027),
        natural_id("contract", "12345678", 2028),
        natural_id("contract", "12345678"),
    }
    assert len(ids) == 5


def test_key_parts_cannot_run_into_each_other() -> None:
    assert natural_id("contract", "a/b") != natural_id("contract", "a", "b")
    assert natural_id("contract/a", "b") != natural_id("contract", "a", "b")


def test_a_natural_id_is_a_name_based_uuid() -> None:
    assert natural_id("contract", "12345678", 2027).version == 5
