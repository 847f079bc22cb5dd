"""revise_ceiling: a revision and its frame reservation are decided and recorded together."""

from __future__ import annotations

from copy import deepcopy
from datetime import UTC, datetime

import pytest

from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.errors import (
    FrameExhausted,
    FrameScopeMismatch,
    NoGroundEstablished,
)
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.ceiling.outcomes import (
    ApproveRevision,
    CeilingStatus,
    RefusalReason,
    RefuseRevision,
)
from care_contracts.domain.ceiling.revision import revise_ceiling
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.values import Money

AT = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)
OLD = Money.euros(1_000_000)


def test_an_approval_reserves_the_increase_on_the_frame(
    grounded: RevenueCeiling, frame: FinancialFrame, msz: ResolvedPack
) -> None:
    revise_ceiling(
        grounded, frame, ApproveRevision(new_amount=OLD + Money.euros(80_000)), pack=msz, at=AT
    )

    [revised] = grounded.collect_events()
    [reserved] = frame.collect_events()
    assert isinstance(revised, RevenueCeiling.Revised)
    assert isinstance(reserved, FinancialFrame.Reserved)
    assert revised.frame_remaining_before == reserved.remaining_before == Money.euros(200_000)
    assert reserved.amount == Money.euros(80_000)
    assert (reserved.ceiling_id, reserved.ceiling_version) == (grounded.id, grounded.version)
    assert frame.remaining == Money.euros(120_000)


def test_an_increase_of_exactly_the_remaining_frame_empties_it(
    grounded: RevenueCeiling, frame: FinancialFrame, msz: ResolvedPack
) -> None:
    revise_ceiling(
        grounded, frame, ApproveRevision(new_amount=OLD + frame.remaining), pack=msz, at=AT
    )

    assert frame.remaining == Money(0)
    assert grounded.status is CeilingStatus.REVISED


def test_one_cent_over_the_frame_records_nothing_on_either_aggregate(
    grounded: RevenueCeiling, frame: FinancialFrame, msz: ResolvedPack
) -> None:
    with pytest.raises(FrameExhausted) as refused:
        revise_ceiling(
            grounded,
            frame,
            ApproveRevision(new_amount=OLD + frame.remaining + Money(1)),
            pack=msz,
            at=AT,
        )
    assert refused.value.facts["remaining"] == Money.euros(200_000)
    assert grounded.collect_events() == []
    assert frame.collect_events() == []
    assert (grounded.status, frame.remaining) == (
        CeilingStatus.OVERRUN_REPORTED,
        Money.euros(200_000),
    )


def test_a_second_revision_that_would_overspend_the_frame_is_refused(
    grounded: RevenueCeiling,
    other_grounded: RevenueCeiling,
    frame: FinancialFrame,
    msz: ResolvedPack,
) -> None:
    revise_ceiling(
        grounded, frame, ApproveRevision(new_amount=OLD + Money.euros(150_000)), pack=msz, at=AT
    )
    grounded.collect_events()
    frame.collect_events()

    with pytest.raises(FrameExhausted) as refused:
        revise_ceiling(
            other_grounded,
            frame,
            ApproveRevision(new_amount=OLD + Money.euros(60_000)),
            pack=msz,
            at=AT,
        )
    assert (refused.value.facts["requested"], refused.value.facts["remaining"]) == (
        Money.euros(60_000),
        Money.euros(50_000),
    )
    assert other_grounded.collect_events() == []
    assert frame.collect_events() == []
    assert frame.reserved == Money.euros(150_000)


def test_concurrent_revisions_write_the_same_frame_version_so_only_one_can_commit(
    grounded: RevenueCeiling,
    other_grounded: RevenueCeiling,
    frame: FinancialFrame,
    msz: ResolvedPack,
) -> None:
    # Two services load the same frame version; each alone fits, together they would overspend.
    copy_a, copy_b = deepcopy(frame), deepcopy(frame)
    revise_ceiling(
        grounded, copy_a, ApproveRevision(new_amount=OLD + Money.euros(150_000)), pack=msz, at=AT
    )
    revise_ceiling(
        other_grounded,
        copy_b,
        ApproveRevision(new_amount=OLD + Money.euros(60_000)),
        pack=msz,
        at=AT,
    )

    [a] = copy_a.collect_events()
    [b] = copy_b.collect_events()
    # The store's (originator_id, originator_version) key rejects the second save as a conflict.
    assert (a.originator_id, a.originator_version) == (b.originator_id, b.originator_version)


def test_a_refusal_leaves_the_frame_untouched(
    reported: RevenueCeiling, frame: FinancialFrame, msz: ResolvedPack
) -> None:
    revise_ceiling(
        reported,
        frame,
        RefuseRevision(reasons=(RefusalReason.NO_GROUND_DEMONSTRATED,)),
        pack=msz,
        at=AT,
    )

    [refused] = reported.collect_events()
    assert isinstance(refused, RevenueCeiling.RevisionRefused)
    assert refused.frame_remaining == Money.euros(200_000)
    assert frame.collect_events() == []


def test_a_refused_approval_leaves_both_aggregates_without_new_events(
    reported: RevenueCeiling, frame: FinancialFrame, msz: ResolvedPack
) -> None:
    with pytest.raises(NoGroundEstablished):
        revise_ceiling(reported, frame, ApproveRevision(new_amount=OLD + Money(1)), pack=msz, at=AT)
    assert reported.collect_events() == []
    assert frame.collect_events() == []


def test_a_ceiling_draws_only_on_its_own_care_types_frame(
    gzsp_grounded: RevenueCeiling, frame: FinancialFrame, gzsp: ResolvedPack
) -> None:
    with pytest.raises(FrameScopeMismatch):
        revise_ceiling(
            gzsp_grounded, frame, ApproveRevision(new_amount=OLD + Money(1)), pack=gzsp, at=AT
        )
    assert gzsp_grounded.collect_events() == []
    assert frame.collect_events() == []
