"""A copy of a ceiling (as the repository's cache hands out) is independent of the original."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.values import Money


def test_a_command_on_a_copy_leaves_the_original_as_it_was(
    reported: RevenueCeiling, msz: ResolvedPack, growth: str
) -> None:
    reported.collect_events()
    before = dict(reported.__dict__)
    working = copy.deepcopy(reported)

    working.record_ground_evidence(
        pack=msz,
        ground=growth,
        evidence="insured persons +12 % (Vektis)",
        established=True,
        occurred_on=None,
        at=datetime(2027, 10, 5, 9, tzinfo=UTC),
    )

    assert working.version == reported.version + 1
    assert reported.__dict__ == before
    assert working.expected_amount == reported.expected_amount
    assert isinstance(working.expected_amount, Money)
