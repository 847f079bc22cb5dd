"""The financial frame: set, reserved by revisions, released; never overspent (brief §4.4, §10)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from care_contracts.domain.ceiling.errors import (
    FrameAmountNegative,
    FrameBelowReserved,
    FrameExhausted,
    FrameScopeMismatch,
    ReleaseExceedsReservation,
    ReservationNotPositive,
)
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.identity import natural_id
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.values import Money

AT = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)
CEILING_A = UUID(int=1)
CEILING_B = UUID(int=2)


def _reserve(frame: FinancialFrame, pack: ResolvedPack, amount: Money, ceiling: UUID) -> None:
    frame.reserve(amount=amount, ceiling_id=ceiling, ceiling_version=4, pack=pack, at=AT)


def test_opening_a_frame_records_its_figure_under_a_natural_id() -> None:
    frame = FinancialFrame.open(
        insurer="zorg-en-zekerheid", year=2027, care_type="msz", amount=Money.euros(5), at=AT
    )

    [opened] = frame.collect_events()
    assert isinstance(opened, FinancialFrame.Opened)
    assert opened.TOPIC == "contracting.financial_frame.opened"
    assert frame.id == natural_id("financial_frame", "zorg-en-zekerheid", 2027, "msz")
    assert frame.remaining == Money.euros(5)
    assert opened.timestamp == AT


def test_a_frame_is_never_negative() -> None:
    with pytest.raises(FrameAmountNegative):
        FinancialFrame.open(
            insurer="zorg-en-zekerheid", year=2027, care_type="msz", amount=Money(-1), at=AT
        )


def test_reserving_exactly_the_remainder_exhausts_the_frame(
    frame: FinancialFrame, msz: ResolvedPack
) -> None:
    _reserve(frame, msz, frame.remaining, CEILING_A)

    [reserved] = frame.collect_events()
    assert isinstance(reserved, FinancialFrame.Reserved)
    assert reserved.TOPIC == "contracting.financial_frame.reserved"
    assert reserved.remaining_before == Money.euros(200_000)
    assert msz.pack.ceiling is not None
    assert reserved.rules == (msz.pack.ceiling.frame_rule,)
    assert (reserved.pack_id, reserved.pack_version) == (msz.ref.id, msz.ref.version)
    assert frame.remaining == Money(0)


def test_reserving_one_cent_over_the_remainder_is_refused_with_both_figures(
    frame: FinancialFrame, msz: ResolvedPack
) -> None:
    _reserve(frame, msz, Money.euros(150_000), CEILING_A)
    frame.collect_events()

    with pytest.raises(FrameExhausted) as refused:
        _reserve(frame, msz, Money.euros(50_000) + Money(1), CEILING_B)
    assert refused.value.facts["requested"] == Money.euros(50_000) + Money(1)
    assert refused.value.facts["remaining"] == Money.euros(50_000)
    assert frame.collect_events() == []
    assert frame.remaining == Money.euros(50_000)


def test_a_reservation_is_positive(frame: FinancialFrame, msz: ResolvedPack) -> None:
    with pytest.raises(ReservationNotPositive):
        _reserve(frame, msz, Money(0), CEILING_A)
    assert frame.collect_events() == []


def test_only_a_pack_for_the_frames_scope_can_reserve(
    frame: FinancialFrame, gzsp: ResolvedPack
) -> None:
    with pytest.raises(FrameScopeMismatch):
        _reserve(frame, gzsp, Money(1), CEILING_A)
    assert frame.collect_events() == []


def test_the_frame_cannot_be_set_below_what_is_reserved(
    frame: FinancialFrame, msz: ResolvedPack
) -> None:
    _reserve(frame, msz, Money.euros(120_000), CEILING_A)
    frame.collect_events()

    with pytest.raises(FrameBelowReserved):
        frame.set_frame(amount=Money.euros(120_000) - Money(1), at=AT)
    assert frame.collect_events() == []

    frame.set_frame(amount=Money.euros(120_000), at=AT)
    [adjusted] = frame.collect_events()
    assert isinstance(adjusted, FinancialFrame.Adjusted)
    assert (adjusted.old, adjusted.new) == (Money.euros(200_000), Money.euros(120_000))
    assert frame.remaining == Money(0)


def test_a_release_returns_no_more_than_the_ceiling_reserved(
    frame: FinancialFrame, msz: ResolvedPack
) -> None:
    _reserve(frame, msz, Money.euros(30_000), CEILING_A)
    frame.collect_events()

    with pytest.raises(ReleaseExceedsReservation):
        frame.release(amount=Money(1), ceiling_id=CEILING_B, reason="annulled", at=AT)
    with pytest.raises(ReleaseExceedsReservation):
        frame.release(
            amount=Money.euros(30_000) + Money(1), ceiling_id=CEILING_A, reason="annulled", at=AT
        )
    assert frame.collect_events() == []

    frame.release(amount=Money.euros(30_000), ceiling_id=CEILING_A, reason="annulled", at=AT)
    [released] = frame.collect_events()
    assert isinstance(released, FinancialFrame.Released)
    assert released.TOPIC == "contracting.financial_frame.released"
    assert frame.remaining == Money.euros(200_000)
    assert frame.reserved_by_ceiling == {}
