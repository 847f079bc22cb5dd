"""Immutable values copy as themselves; aggregates copied from the cache stay independent."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

from care_contracts.domain.application.approval import ProviderDetails
from care_contracts.domain.immutable import StructuralCopy, immutable_value
from care_contracts.domain.values import AgbCode, KvkNumber, Money, Period, Postcode


def test_frozen_values_are_their_own_copies() -> None:
    provider = ProviderDetails(
        agb_enterprise=AgbCode("06123456"),
        kvk=KvkNumber("12345678"),
        name="Kliniek Zeeland",
        city="Goes",
        postcode=Postcode("4461 AB"),
        agb_establishments=(AgbCode("06123457"),),
    )
    for value in (provider, Money(5), Period(date(2027, 1, 1)), AgbCode("06123456")):
        assert copy.deepcopy(value) is value
        assert copy.copy(value) is value


def test_a_container_of_immutable_values_is_still_copied() -> None:
    state = {"ceiling": Money(100), "days": [date(2027, 1, 1)]}
    copied = copy.deepcopy(state)
    copied["days"].append(date(2027, 1, 2))
    assert state["days"] == [date(2027, 1, 1)]
    assert copied["ceiling"] is state["ceiling"]


def test_only_marked_types_skip_copying() -> None:
    class Plain:
        def __init__(self) -> None:
            self.at = datetime(2027, 1, 1, tzinfo=UTC)

    @immutable_value
    class Marked(Plain):
        pass

    plain = Plain()
    assert copy.deepcopy(plain) is not plain
    marked = Marked()
    assert copy.deepcopy(marked) is marked


def test_a_structural_copy_equals_a_generic_deep_copy_and_shares_no_container() -> None:
    class Holder(StructuralCopy):
        pass

    original = Holder()
    original.__dict__.update(
        {
            "at": datetime(2027, 1, 1, tzinfo=UTC),
            "ceiling": Money(100),
            "records": {"ZZ-MIN-KVK": (date(2027, 1, 1), Money(5))},
            "days": [date(2027, 1, 1)],
            "nested": {"inner": [1, 2]},
            "tags": {"a", "b"},
        }
    )

    structural = copy.deepcopy(original)
    generic = copy.deepcopy(original.__dict__)

    assert structural.__dict__ == generic
    assert structural.days is not original.days
    assert structural.nested["inner"] is not original.nested["inner"]
    assert structural.tags is not original.tags
    assert structural.ceiling is original.ceiling  # immutable values are shared
    structural.days.append(date(2027, 1, 2))
    structural.nested["inner"].append(3)
    assert original.days == [date(2027, 1, 1)]
    assert original.nested == {"inner": [1, 2]}
