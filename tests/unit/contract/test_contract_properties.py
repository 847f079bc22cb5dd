"""Random command sequences keep to the §4.3 diagram, refuse without recording, and replay:
from an offer, a signed offer, or a running contract registered signed (004 §2.6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.contract.status import ContractStatus, TerminationInitiator
from care_contracts.domain.dates import AMSTERDAM, local_date
from care_contracts.domain.errors import DomainError

from .contract_builders import ContractBuilder

S = ContractStatus
# Recorded status → recorded statuses one accepted command may lead to (brief §4.3 diagram;
# "active" is derived from SIGNED, so active → suspended is recorded as SIGNED → SUSPENDED).
ALLOWED: dict[ContractStatus, frozenset[ContractStatus]] = {
    S.OFFERED: frozenset({S.OFFERED, S.SIGNED, S.DECLINED, S.EXPIRED, S.WITHDRAWN}),
    S.SIGNED: frozenset({S.SIGNED, S.SUSPENDED, S.TERMINATED, S.ENDED}),
    S.SUSPENDED: frozenset({S.SUSPENDED, S.SIGNED, S.TERMINATED}),
    S.DECLINED: frozenset(),
    S.EXPIRED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.TERMINATED: frozenset(),
    S.ENDED: frozenset(),
}
OFFERED_AT = datetime(2026, 10, 20, 9, tzinfo=AMSTERDAM)

COMMANDS = (
    "sign",
    "decline",
    "withdraw",
    "expire",
    "extend",
    "suspend",
    "lift",
    "terminate",
    "ground",
    "end",
    "amend",
    "annex",
)
step = st.tuples(
    st.sampled_from(("sign", *COMMANDS)),  # signing twice as often: most contracts get signed
    st.sampled_from((0, 1, 6, 30, 75, 200, 400)),  # days after the previous command
    st.integers(min_value=0, max_value=23),  # local hour
    st.integers(min_value=-3, max_value=400),  # a day offset the command may need
    st.booleans(),
)


def _run(
    contract: Contract, contracts: ContractBuilder, name: str, at: datetime, offset: int, flag: bool
) -> None:
    today = local_date(at)
    later = today + timedelta(days=offset)
    if name == "sign":
        contract.sign(at=at, vecozo_ref="VZ-1" if flag or offset > 0 else " ")
    elif name == "decline":
        contract.decline(at=at)
    elif name == "withdraw":
        contract.withdraw_offer(at=at, reason="discretion")
    elif name == "expire":
        contract.expire(at=at)
    elif name == "extend":
        contract.extend_signing_deadline(at=at, until=later, motivation="quote", allowed=flag)
    elif name == "suspend":
        contract.suspend(at=at, grounds=("ZZ-EXCL-TAX",))
    elif name == "lift":
        contract.lift_suspension(at=at, motivation="closed")
    elif name == "terminate":
        initiator = TerminationInitiator.INSURER if flag else TerminationInitiator.PROVIDER
        contract.terminate(
            at=at, grounds=("ZZ-EXCL-TAX",), effective_on=later, initiated_by=initiator
        )
    elif name == "ground":
        pack = contracts.catalog.get(contract.pack)
        code = "ZZ-EXCL-TAX" if flag else "ZZ-NOT-A-GROUND"
        contract.establish_termination_ground(
            at=at, pack=pack, code=code, fact_date=today, evidence="statement"
        )
    elif name == "end":
        contract.end(at=at)
    elif name == "amend":
        contract.amend(at=at, description="tasks", effective_on=later)
    else:
        contract.issue_tariff_annex(at=at, annex_ref=f"T-{offset}", year=later.year)


def _state(contract: Contract) -> dict[str, Any]:
    return {k: v for k, v in vars(contract).items() if k != "_pending_events"}


@settings(max_examples=100, deadline=None)
@given(
    start=st.sampled_from(("offered", "signed", "running")),
    steps=st.lists(step, min_size=2, max_size=16),
)
def test_random_commands_keep_to_the_diagram_record_nothing_when_refused_and_replay(
    contracts: ContractBuilder, start: str, steps: list[tuple[str, int, int, int, bool]]
) -> None:
    if start == "running":  # Caresq pharmacy 2025-2028, registered signed: no offer
        contract = contracts.caresq_running(at=OFFERED_AT)
        assert contract.status is S.SIGNED
    else:
        contract = contracts.msz_application(applied=date(2026, 10, 5), at=OFFERED_AT)
    if start == "signed":  # explore the signed contract's life, not only the offer
        contract.sign(at=OFFERED_AT + timedelta(days=1), vecozo_ref="VZ-0")
    day = OFFERED_AT.date() + timedelta(days=1)
    for name, advance, hour, offset, flag in steps:
        day += timedelta(days=advance)
        at = datetime(day.year, day.month, day.day, hour, tzinfo=AMSTERDAM)
        before_status, before_state = contract.status, _state(contract)
        before_events = len(contract.pending_events)
        was_active = contract.is_active(day)
        try:
            _run(contract, contracts, name, at, offset, flag)
        except DomainError:
            assert _state(contract) == before_state
            assert len(contract.pending_events) == before_events
            continue
        assert len(contract.pending_events) == before_events + 1
        assert contract.pending_events[-1].timestamp == at
        assert contract.status in ALLOWED[before_status]
        if contract.status is S.SIGNED and before_status is S.OFFERED:
            assert day <= contract.signing_deadline
        if contract.status is S.SUSPENDED and before_status is S.SIGNED:
            assert was_active
        if contract.status is S.ENDED:
            assert day > contract.ends_on
        assert contract.status is not S.ACTIVE  # derived, never recorded

    event(f"{start}, ends {contract.status.value}")
    replayed: Contract | None = None
    for recorded in contract.collect_events():
        replayed = recorded.mutate(replayed)
    assert replayed is not None
    assert _state(replayed) == _state(contract)
