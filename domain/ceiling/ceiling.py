"""The revenue ceiling (omzetplafond) of one contract year and its interim revision (brief §4.4).

Agreed for a signed, live contract whose type carries a ceiling; pinned to the contract's policy
pack. A provider expecting an overrun gives notice by the pack's notice deadline; an officer
assesses the grounds and decides once per year (brief §10 ASSUMPTION), within the financial frame.
Approving goes through ``revision.revise_ceiling`` so the frame reservation is recorded with it.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from care_contracts.domain.ceiling.errors import (
    ContractMismatch,
    NoPendingOverrunReport,
    RevisionAlreadyDecided,
    raise_all,
)
from care_contracts.domain.ceiling.guards import (
    agreement_violations,
    approval_violations,
    ceiling_policy,
    ground_spec,
    late_violations,
    refusal_rules,
    refusal_violations,
    require_ground_after_signing,
    require_live,
    require_pinned,
    require_positive,
)
from care_contracts.domain.ceiling.outcomes import (
    ApproveRevision,
    CeilingStatus,
    NoticeOutcome,
    NoticeRejection,
    RefusalReason,
    RevisionDecision,
)
from care_contracts.domain.contract.facts import ContractFacts
from care_contracts.domain.dates import is_on_or_before
from care_contracts.domain.identity import natural_id
from care_contracts.domain.immutable import StructuralCopy
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.model import CeilingPolicy, PackRef
from care_contracts.domain.values import Money

__all__ = ["RevenueCeiling"]


class RevenueCeiling(StructuralCopy, Aggregate):
    """One contract's revenue ceiling for one year, and its one revision decision."""

    TOPIC = "contracting.revenue_ceiling"

    class Created(Aggregate.Created):
        # Never recorded (the created event is ``Agreed``), but eventsourcing redefines the
        # inherited base "created" class on every aggregate and requires an explicit topic on it.
        TOPIC = "contracting.revenue_ceiling.created"

    @staticmethod
    def create_id(contract_id: UUID, year: int) -> UUID:
        return natural_id("revenue_ceiling", contract_id, year)

    @classmethod
    def agree(
        cls, *, contract: ContractFacts, pack: ResolvedPack, year: int, amount: Money, at: datetime
    ) -> RevenueCeiling:
        """Only a signed, live contract whose type carries a ceiling (GZSP §5.2; brief §14.7)."""
        require_pinned(pack, contract.pack)
        ceiling_policy(pack)
        signed_on = require_live(contract)
        spec = pack.contract_type(contract.contract_type)
        raise_all(
            "the ceiling cannot be agreed", agreement_violations(spec, contract, year, amount)
        )
        return cls(
            contract_id=contract.contract_id,
            year=year,
            amount=amount,
            insurer=contract.insurer,
            care_type=contract.care_type,
            contract_type=contract.contract_type,
            signed_on=signed_on,
            pack_id=pack.ref.id,
            pack_version=pack.ref.version,
            rules=(spec.code,),
            timestamp=at,
        )

    @event("Agreed", topic="contracting.revenue_ceiling.agreed")
    def __init__(
        self,
        *,
        contract_id: UUID,
        year: int,
        amount: Money,
        insurer: str,
        care_type: str,
        contract_type: str,
        signed_on: date,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        self.contract_id = contract_id
        self.year = year
        self.amount = amount
        self.insurer = insurer
        self.care_type = care_type
        self.contract_type = contract_type
        self.signed_on = signed_on
        self.pack_id = pack_id
        self.pack_version = pack_version
        self.status = CeilingStatus.AGREED
        self.expected_amount: Money | None = None
        self.grounds_claimed: tuple[str, ...] = ()
        self.notices = 0
        self.assessments: dict[str, bool] = {}
        self.overdue_flagged = False

    # --- notice ------------------------------------------------------------------------------

    def report_expected_overrun(
        self,
        *,
        contract: ContractFacts,
        pack: ResolvedPack,
        received_at: datetime,
        channel: str,
        expected_amount: Money,
        grounds_claimed: tuple[str, ...],
        at: datetime,
    ) -> NoticeOutcome:
        """Notice by the pack's deadline, local date inclusive (MSZ/GZSP §6.3; brief §6.4).

        A late notice is recorded as ``OverrunNoticeRejected`` and returns ``REJECTED_LATE``, so
        the insurer sees it; it raises nothing. The channel is recorded, never judged (§13.14).
        """
        policy = self._policy(pack)
        self._require_open_year()
        if contract.contract_id != self.contract_id:
            raise ContractMismatch(
                f"facts of contract {contract.contract_id} for the ceiling of {self.contract_id}",
                contract_id=contract.contract_id,
                expected=self.contract_id,
            )
        require_live(contract)
        require_positive(expected_amount, "an expected revenue")
        for code in grounds_claimed:
            ground_spec(policy, code)
        if not is_on_or_before(received_at, policy.notice_deadline):
            self._notice_rejected(
                received_at=received_at,
                channel=channel,
                expected_amount=expected_amount,
                grounds_claimed=grounds_claimed,
                notice_deadline=policy.notice_deadline,
                reason=NoticeRejection.NOTICE_DEADLINE_PASSED,
                pack_id=pack.ref.id,
                pack_version=pack.ref.version,
                rules=(policy.notice_rule,),
                timestamp=at,
            )
            return NoticeOutcome.REJECTED_LATE
        amends = self.status is CeilingStatus.OVERRUN_REPORTED
        self._overrun_reported(
            received_at=received_at,
            channel=channel,
            expected_amount=expected_amount,
            grounds_claimed=grounds_claimed,
            notice_deadline=policy.notice_deadline,
            amends=amends,
            pack_id=pack.ref.id,
            pack_version=pack.ref.version,
            rules=(policy.notice_rule,),
            timestamp=at,
        )
        return NoticeOutcome.AMENDED if amends else NoticeOutcome.REPORTED

    @event("OverrunReported", topic="contracting.revenue_ceiling.overrun_reported")
    def _overrun_reported(
        self,
        *,
        received_at: datetime,
        channel: str,
        expected_amount: Money,
        grounds_claimed: tuple[str, ...],
        notice_deadline: date,
        amends: bool,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        self.status = CeilingStatus.OVERRUN_REPORTED
        self.expected_amount = expected_amount
        self.grounds_claimed += tuple(g for g in grounds_claimed if g not in self.grounds_claimed)
        self.notices += 1

    @event("OverrunNoticeRejected", topic="contracting.revenue_ceiling.overrun_notice_rejected")
    def _notice_rejected(
        self,
        *,
        received_at: datetime,
        channel: str,
        expected_amount: Money,
        grounds_claimed: tuple[str, ...],
        notice_deadline: date,
        reason: NoticeRejection,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        pass  # a fact for the insurer's records; the ceiling's state does not change

    # --- grounds -----------------------------------------------------------------------------

    def record_ground_evidence(
        self,
        *,
        pack: ResolvedPack,
        ground: str,
        evidence: str,
        established: bool,
        occurred_on: date | None,
        at: datetime,
    ) -> None:
        """An officer's finding on a revision ground; "unforeseen" must postdate signing (§6.2)."""
        policy = self._policy(pack)
        self._require_pending()
        require_ground_after_signing(
            ground_spec(policy, ground),
            evidence=evidence,
            established=established,
            occurred_on=occurred_on,
            signed_on=self.signed_on,
        )
        self._ground_assessed(
            ground=ground,
            evidence=evidence,
            established=established,
            occurred_on=occurred_on,
            pack_id=pack.ref.id,
            pack_version=pack.ref.version,
            rules=(policy.ground_rule, ground),
            timestamp=at,
        )

    @event("RevisionGroundAssessed", topic="contracting.revenue_ceiling.revision_ground_assessed")
    def _ground_assessed(
        self,
        *,
        ground: str,
        evidence: str,
        established: bool,
        occurred_on: date | None,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        self.assessments[ground] = established

    @property
    def established_grounds(self) -> tuple[str, ...]:
        return tuple(code for code, established in self.assessments.items() if established)

    # --- decision ----------------------------------------------------------------------------

    def decide_revision(
        self,
        decision: RevisionDecision,
        *,
        pack: ResolvedPack,
        frame_remaining: Money,
        at: datetime,
    ) -> None:
        """Approve within grounds and frame, or refuse with reasons (001/002 §6.2-6.3).

        Approving here does not reserve the frame: call ``revision.revise_ceiling``.
        """
        policy = self._policy(pack)
        self._require_pending()
        late = not is_on_or_before(at, policy.decision_deadline)
        violations = late_violations(policy, late=late, late_reason=decision.late_reason)
        if isinstance(decision, ApproveRevision):
            violations += approval_violations(
                policy,
                old=self.amount,
                new=decision.new_amount,
                established=self.established_grounds,
                frame_remaining=frame_remaining,
            )
            raise_all("the revision cannot be approved", violations)
            self._revised(
                old=self.amount,
                new=decision.new_amount,
                grounds=self.established_grounds,
                frame_remaining_before=frame_remaining,
                decision_deadline=policy.decision_deadline,
                late=late,
                late_reason=decision.late_reason,
                pack_id=pack.ref.id,
                pack_version=pack.ref.version,
                rules=(policy.ground_rule, policy.frame_rule, policy.decision_rule),
                timestamp=at,
            )
            return
        violations += refusal_violations(decision)
        raise_all("the revision cannot be refused", violations)
        self._refused(
            reasons=decision.reasons,
            motivation=decision.motivation,
            frame_remaining=frame_remaining,
            decision_deadline=policy.decision_deadline,
            late=late,
            late_reason=decision.late_reason,
            pack_id=pack.ref.id,
            pack_version=pack.ref.version,
            rules=refusal_rules(policy, decision.reasons),
            timestamp=at,
        )

    @event("Revised", topic="contracting.revenue_ceiling.revised")
    def _revised(
        self,
        *,
        old: Money,
        new: Money,
        grounds: tuple[str, ...],
        frame_remaining_before: Money,
        decision_deadline: date,
        late: bool,
        late_reason: str | None,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        self.amount = new
        self.status = CeilingStatus.REVISED

    @event("RevisionRefused", topic="contracting.revenue_ceiling.revision_refused")
    def _refused(
        self,
        *,
        reasons: tuple[RefusalReason, ...],
        motivation: str | None,
        frame_remaining: Money,
        decision_deadline: date,
        late: bool,
        late_reason: str | None,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        self.status = CeilingStatus.REFUSED

    # --- overdue flag ------------------------------------------------------------------------

    def flag_decision_overdue(self, *, pack: ResolvedPack, at: datetime) -> bool:
        """Flag a pending report undecided after the decision deadline; a flag, never an approval.

        Safe for a timer to call repeatedly: returns False and records nothing when no report is
        pending, the deadline has not passed, or the flag was raised already (brief §4.5).
        """
        policy = self._policy(pack)
        if (
            self.status is not CeilingStatus.OVERRUN_REPORTED
            or self.overdue_flagged
            or is_on_or_before(at, policy.decision_deadline)
        ):
            return False
        self._decision_overdue(
            decision_deadline=policy.decision_deadline,
            pack_id=pack.ref.id,
            pack_version=pack.ref.version,
            rules=(policy.decision_rule,),
            timestamp=at,
        )
        return True

    @event("DecisionOverdue", topic="contracting.revenue_ceiling.decision_overdue")
    def _decision_overdue(
        self,
        *,
        decision_deadline: date,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        self.overdue_flagged = True

    # --- helpers -----------------------------------------------------------------------------

    def _policy(self, pack: ResolvedPack) -> CeilingPolicy:
        require_pinned(pack, PackRef(id=self.pack_id, version=self.pack_version))
        return ceiling_policy(pack)

    def _require_open_year(self) -> None:
        if self.status in (CeilingStatus.REVISED, CeilingStatus.REFUSED):
            raise RevisionAlreadyDecided(
                f"the {self.year} revision of ceiling {self.id} was {self.status}",
                status=self.status,
            )

    def _require_pending(self) -> None:
        self._require_open_year()
        if self.status is not CeilingStatus.OVERRUN_REPORTED:
            raise NoPendingOverrunReport(
                f"ceiling {self.id} has no pending overrun report", status=self.status
            )
