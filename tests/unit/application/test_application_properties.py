"""Properties over random command sequences, valid and invalid (brief §4.2 diagram).

Whatever officers and providers send: only the diagram's transitions happen, a refused command
records nothing and changes nothing, an approval happens exactly when no blocker is listed, and
replaying the recorded events rebuilds the live aggregate.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.states import (
    ApplicationStatus,
    AssessmentOutcome,
    IntegrityAdvice,
    Outcome,
    ReasonKind,
    RejectionReason,
)
from care_contracts.domain.errors import DomainError
from tests.unit.application.conftest import INTEGRITY, TINY_PASSING, at, submit, tiny_pack

S = ApplicationStatus
PACK = tiny_pack()
OTHER_VERSION = tiny_pack(version="1.1")

# The brief §4.2 diagram, written out independently of the aggregate's own table.
EDGES = {
    (S.RECEIVED, S.INCOMPLETE),
    (S.INCOMPLETE, S.RECEIVED),
    (S.RECEIVED, S.UNDER_ASSESSMENT),
    (S.UNDER_ASSESSMENT, S.UNDER_ASSESSMENT),
    (S.UNDER_ASSESSMENT, S.APPROVED),
    (S.UNDER_ASSESSMENT, S.REJECTED),
    (S.RECEIVED, S.REJECTED),
    (S.INCOMPLETE, S.REJECTED),
    (S.RECEIVED, S.WITHDRAWN),
    (S.INCOMPLETE, S.WITHDRAWN),
    (S.UNDER_ASSESSMENT, S.WITHDRAWN),
}

_metric_values = st.one_of(
    st.decimals(min_value=0, max_value=100_000_000, places=1, allow_nan=False),
    st.booleans(),
    st.sampled_from(["yes", "hkz"]),
    st.just(1.5),  # a float: always refused
)
_metrics = st.dictionaries(
    st.sampled_from(["fte", "licence_valid", "revenue_cents", "unknown_metric"]),
    _metric_values,
    max_size=3,
)
_motivation = st.sampled_from([None, "", "  ", "the officer's reasons"])
_reason = st.builds(
    RejectionReason,
    st.sampled_from(list(ReasonKind)),
    st.sampled_from([None, "TST-FTE", "TST-QUALITY", "TST-EXCL-TAX", INTEGRITY, "TST-NOPE"]),
)

commands = st.one_of(
    st.tuples(st.just("request")),
    st.tuples(st.just("supply")),
    st.tuples(st.just("complete")),
    st.tuples(st.just("metrics"), _metrics),
    st.tuples(
        st.just("requirement"),
        st.sampled_from(["TST-FTE", "TST-LICENCE", "TST-QUALITY", "TST-LAB-QC", "TST-NOPE"]),
        st.sampled_from([None, *Outcome]),
        _motivation,
        _metrics,
    ),
    st.tuples(
        st.just("exclusion"),
        st.sampled_from(["TST-EXCL-TAX", "TST-EXCL-IMPROPER-CARE", INTEGRITY, "TST-NOPE"]),
        st.booleans(),
        st.sampled_from([None, date(2023, 1, 1), date(2026, 1, 1)]),
    ),
    st.tuples(st.just("open")),
    st.tuples(st.just("conclude"), st.sampled_from(list(IntegrityAdvice)), _motivation),
    st.tuples(st.just("approve"), st.sampled_from(["TST-CT-BASIC", "TST-CT-ROUND", "TST-CT-X"])),
    st.tuples(st.just("reject"), st.lists(_reason, max_size=2), _motivation),
    st.tuples(
        st.just("reject"),
        st.just([RejectionReason(ReasonKind.INCOMPLETE)]),
        st.just("no answer in three months"),
    ),
    st.tuples(st.just("withdraw")),
    st.tuples(st.just("wrong_pack")),
)


def _run(app: ProviderApplication, command: tuple[Any, ...], when: datetime) -> None:
    name = command[0]
    if name == "request":
        app.request_information(request="documents", at=when)
    elif name == "supply":
        app.supply_information(note="documents", at=when)
    elif name == "complete":
        app.mark_complete(at=when)
    elif name == "metrics":
        app.record_metrics(pack=PACK, metrics=command[1], evidence="officer", at=when)
    elif name == "requirement":
        _, code, outcome, motivation, facts = command
        app.record_requirement_outcome(
            pack=PACK,
            code=code,
            outcome=outcome,
            evidence="file",
            facts=facts,
            motivation=motivation,
            at=when,
        )
    elif name == "exclusion":
        _, code, present, fact_date = command
        app.record_exclusion_finding(
            pack=PACK,
            code=code,
            present=present,
            fact_date=fact_date,
            subject="provider",
            evidence="register",
            at=when,
        )
    elif name == "open":
        app.open_integrity_investigation(reason="signal", at=when)
    elif name == "conclude":
        app.conclude_integrity_investigation(
            pack=PACK, advice=command[1], motivation=command[2], at=when
        )
    elif name == "approve":
        app.approve(pack=PACK, contract_type=command[1], at=when)
    elif name == "reject":
        app.reject(pack=PACK, reasons=command[1], motivation=command[2], at=when)
    elif name == "withdraw":
        app.withdraw(at=when)
    else:
        app.approve(pack=OTHER_VERSION, contract_type="TST-CT-BASIC", at=when)


# A well-assessed start, so that random continuations reach approval often enough to test it.
_ASSESSED_PREFIX: list[tuple[Any, ...]] = [
    ("complete",),
    ("metrics", TINY_PASSING),
    ("requirement", "TST-FTE", None, None, {}),
    ("requirement", "TST-LICENCE", None, None, {}),
    ("requirement", "TST-QUALITY", Outcome.MET, "the officer's reasons", {}),
    ("requirement", "TST-LAB-QC", Outcome.MET, "the officer's reasons", {}),
    ("exclusion", "TST-EXCL-TAX", False, None),
    ("exclusion", "TST-EXCL-IMPROPER-CARE", True, date(2023, 1, 1)),
]


def _state(app: ProviderApplication) -> dict[str, Any]:
    return {k: v for k, v in app.__dict__.items() if k != "_pending_events"}


@settings(max_examples=100, deadline=None)
@given(
    sub_type=st.sampled_from(["clinic", "lab"]),
    assessed_start=st.booleans(),
    steps=st.lists(st.tuples(commands, st.integers(1, 72 * 60)), max_size=30),
)
def test_random_commands_follow_the_diagram_and_replay_to_the_same_aggregate(
    sub_type: str, assessed_start: bool, steps: list[tuple[tuple[Any, ...], int]]
) -> None:
    app = submit(PACK, sub_type=sub_type, at=at(2027, 3, 10))
    when = at(2027, 3, 10)
    prefix = [(command, 60) for command in _ASSESSED_PREFIX] if assessed_start else []
    for command, minutes in prefix + steps:
        when += timedelta(minutes=minutes)
        before, status = copy.deepcopy(_state(app)), app.status
        pending = len(app.pending_events)
        blockers = None
        if command[0] == "approve" and status is not S.APPROVED:
            blockers = app.approval_blockers(PACK, when, command[1])
        try:
            _run(app, command, when)
        except DomainError:
            assert len(app.pending_events) == pending
            assert _state(app) == before
            assert blockers != ()  # nothing blocked it, so it must not have been refused
            continue
        assert len(app.pending_events) == pending + 1
        assert (status, app.status) in EDGES
        if blockers is not None:
            assert blockers == ()
            assert app.pending_events[-1].outcome is AssessmentOutcome.APPROVED  # type: ignore[attr-defined]

    replayed: ProviderApplication | None = None
    for recorded in app.collect_events():
        replayed = recorded.mutate(replayed)  # type: ignore[assignment]
    assert replayed is not None
    assert _state(replayed) == _state(app)
