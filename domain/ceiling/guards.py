"""The revenue ceiling's rule checks as pure functions: each returns or raises typed errors.

``RevenueCeiling`` calls these before it records anything, so a failed check leaves the aggregate
untouched. Checks that can fail together return lists, raised at once (``errors.raise_all``).
"""

from __future__ import annotations

from datetime import date

from care_contracts.domain.ceiling.errors import (
    CeilingAmountNotPositive,
    CeilingNotCarried,
    CeilingYearOutsideContract,
    ContractNotLive,
    ContractNotSigned,
    FrameExhausted,
    GroundEvidenceMissing,
    GroundPredatesSigning,
    LateReasonMissing,
    NoCeilingPolicy,
    NoGroundEstablished,
    RefusalUnreasoned,
    RevisionNotAnIncrease,
    UnknownCeilingGround,
)
from care_contracts.domain.ceiling.outcomes import RefusalReason, RefuseRevision
from care_contracts.domain.contract.facts import ContractFacts
from care_contracts.domain.dates import local_date
from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.errors import PolicyPackMismatch
from care_contracts.domain.policy.model import (
    CeilingGround,
    CeilingPolicy,
    ContractTypeSpec,
    PackRef,
)
from care_contracts.domain.values import Money

__all__ = [
    "agreement_violations",
    "approval_violations",
    "ceiling_policy",
    "ground_spec",
    "late_violations",
    "refusal_rules",
    "refusal_violations",
    "require_ground_after_signing",
    "require_live",
    "require_pinned",
    "require_positive",
]


def ceiling_policy(pack: ResolvedPack) -> CeilingPolicy:
    """The pack's ceiling policy; a pack without one has no ceilings (brief §4.4)."""
    if pack.pack.ceiling is None:
        raise NoCeilingPolicy(f"pack {pack.ref} has no ceiling policy", pack=str(pack.ref))
    return pack.pack.ceiling


def ground_spec(policy: CeilingPolicy, code: str) -> CeilingGround:
    spec = next((g for g in policy.grounds if g.code == code), None)
    if spec is None:
        raise UnknownCeilingGround(
            f"no revision ground {code}; the pack knows {[g.code for g in policy.grounds]}",
            ground=code,
        )
    return spec


def require_pinned(pack: ResolvedPack, pinned: PackRef) -> None:
    """Decide by the pack version the contract (and so its ceiling) is pinned to (brief §3)."""
    if pack.ref != pinned:
        raise PolicyPackMismatch(
            f"pinned to {pinned}, not {pack.ref}", expected=str(pinned), given=str(pack.ref)
        )


def require_live(contract: ContractFacts) -> date:
    """Signed and not declined, expired, terminated or ended; returns the local signing day."""
    if contract.signed_at is None:
        raise ContractNotSigned(
            f"contract {contract.contract_id} is not signed", contract_id=contract.contract_id
        )
    if not contract.live:
        raise ContractNotLive(
            f"contract {contract.contract_id} is no longer live", contract_id=contract.contract_id
        )
    return local_date(contract.signed_at)


def require_positive(amount: Money, what: str) -> None:
    if amount.cents <= 0:
        raise CeilingAmountNotPositive(f"{what} of {amount} is not positive", amount=amount)


def agreement_violations(
    spec: ContractTypeSpec, contract: ContractFacts, year: int, amount: Money
) -> list[DomainError]:
    found: list[DomainError] = []
    if not (spec.carries_ceiling and contract.carries_ceiling):
        found.append(
            CeilingNotCarried(
                f"contract type {spec.code} carries no revenue ceiling", rule=spec.code
            )
        )
    if year != contract.year:
        found.append(
            CeilingYearOutsideContract(
                f"a ceiling for {year} on a {contract.year} contract",
                year=year,
                contract_year=contract.year,
            )
        )
    if amount.cents <= 0:
        found.append(CeilingAmountNotPositive(f"a ceiling of {amount}", amount=amount))
    return found


def require_ground_after_signing(
    spec: CeilingGround,
    *,
    evidence: str,
    established: bool,
    occurred_on: date | None,
    signed_on: date,
) -> None:
    """Evidence always; an established post-signing ground arose after the signing day."""
    if not evidence.strip():
        raise GroundEvidenceMissing(f"ground {spec.code} has no evidence", ground=spec.code)
    if not (established and spec.occurred_after_signing):
        return
    if occurred_on is None or occurred_on <= signed_on:
        raise GroundPredatesSigning(
            f"ground {spec.code} occurred on {occurred_on}, not after signing on {signed_on}",
            ground=spec.code,
            occurred_on=occurred_on,
            signed_on=signed_on,
        )


def late_violations(
    policy: CeilingPolicy, *, late: bool, late_reason: str | None
) -> list[DomainError]:
    if late and not (late_reason or "").strip():
        return [
            LateReasonMissing(
                f"decided after {policy.decision_deadline} without a reason",
                deadline=policy.decision_deadline,
                rule=policy.decision_rule,
            )
        ]
    return []


def approval_violations(
    policy: CeilingPolicy,
    *,
    old: Money,
    new: Money,
    established: tuple[str, ...],
    frame_remaining: Money,
) -> list[DomainError]:
    """Ground rule, increase only (ASSUMPTION §14.8) and frame rule (001/002 §6.2)."""
    found: list[DomainError] = []
    if not established:
        found.append(
            NoGroundEstablished("no revision ground is established", rule=policy.ground_rule)
        )
    if new.cents <= 0:
        found.append(CeilingAmountNotPositive(f"a ceiling of {new}", amount=new))
    if policy.increase_only and new <= old:
        found.append(
            RevisionNotAnIncrease(f"{new} does not raise the ceiling of {old}", old=old, new=new)
        )
    increase = new - old
    if increase > frame_remaining:
        found.append(
            FrameExhausted(
                f"an increase of {increase} exceeds the {frame_remaining} left in the frame",
                requested=increase,
                remaining=frame_remaining,
                rule=policy.frame_rule,
            )
        )
    return found


def refusal_violations(decision: RefuseRevision) -> list[DomainError]:
    """Reasons always; a discretionary refusal is motivated (brief §12)."""
    if not decision.reasons:
        return [RefusalUnreasoned("a refusal names at least one reason")]
    if RefusalReason.DISCRETION in decision.reasons and not (decision.motivation or "").strip():
        return [RefusalUnreasoned("a discretionary refusal needs a motivation")]
    return []


def refusal_rules(policy: CeilingPolicy, reasons: tuple[RefusalReason, ...]) -> tuple[str, ...]:
    """The decision rule, plus the ground or frame rule a refusal reason invokes."""
    rules = [policy.decision_rule]
    if RefusalReason.NO_GROUND_DEMONSTRATED in reasons:
        rules.append(policy.ground_rule)
    if RefusalReason.FRAME_EXHAUSTED in reasons:
        rules.append(policy.frame_rule)
    return tuple(rules)
