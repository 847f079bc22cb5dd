"""The Contract aggregate: offer, signature and the life of a signed contract (brief §4.3).

A contract comes about by an offer (``Offered``, then ``Signed``) or, for a Caresq running
multi-year contract that gets no new offer (004 §2.6), by one ``RunningContractRegistered`` event
that creates it signed; from there both are the same signed contract.

Every public method decides (time only through ``at``, every rule checked, values computed) and
then calls one private ``@event`` method that only assigns, so old histories replay after a rule
tightens. "Active", expiry, the end of the term and a dated termination are read from the
calendar by ``status_on``; the timers that record ``OfferExpired`` and ``Ended`` keep the stream
tidy but are never a condition for correctness (brief §4.5).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import Aggregate, TAggregate, event

from care_contracts.domain.application.approval import ApprovedAssessment, ProviderDetails
from care_contracts.domain.contract.errors import (
    AmendmentOutsideTerm,
    ContractNotActive,
    ContractNotInForce,
    ContractNotLive,
    ContractNotOpenForSigning,
    ContractNotSuspended,
    ContractNotTerminable,
    FactDateInFuture,
    NotATerminationGround,
    OfferLapsed,
    OfferNotOpen,
    RetroactiveTermination,
    RunningContractNeedsNoApproval,
    SigningDeadlineExtensionNotAllowed,
    SigningDeadlineExtensionNotLater,
    SigningWindowClosed,
    SigningWindowStillOpen,
    TariffAnnexAlreadyIssued,
    TariffAnnexOutsideTerm,
    TerminationAfterTermEnd,
    TermNotOver,
    VecozoReferenceRequired,
)
from care_contracts.domain.contract.guards import require_grounds, require_text
from care_contracts.domain.contract.offering import (
    decide_offer,
    decide_running_contract,
    require_same_pack,
)
from care_contracts.domain.contract.status import ContractStatus, TerminationInitiator
from care_contracts.domain.contract.views import ContractView
from care_contracts.domain.dates import local_date
from care_contracts.domain.identity import natural_id
from care_contracts.domain.immutable import StructuralCopy
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.errors import PolicyPackMismatch
from care_contracts.domain.policy.model import Route
from care_contracts.domain.values import AgbCode, KvkNumber, Postcode

__all__ = ["Contract"]

_T = "contracting.contract."
_LIVE = (ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.SUSPENDED)
_IN_FORCE = (ContractStatus.SIGNED, ContractStatus.ACTIVE)


class Contract(StructuralCopy, ContractView, Aggregate):
    """One insurer's contract with one provider for one care type and year (brief §4.3)."""

    TOPIC = "contracting.contract"

    class Created(Aggregate.Created):
        # eventsourcing re-declares its base "created" event on every aggregate and, with
        # explicit topics, needs one for it; a contract is only ever created by ``Offered`` or
        # ``RunningContractRegistered``.
        TOPIC = "contracting.contract.created"

    class RunningContractRegistered(Aggregate.Created):
        """A running contract enters the system signed: no offer, no signing deadline (004 §2.6).

        A second "created" event: ``__init__`` records ``Offered``, so this event builds the
        contract itself and ``apply`` only assigns what it recorded.
        """

        TOPIC = _T + "running_contract_registered"

        provider_name: str
        agb_enterprise: AgbCode
        agb_establishments: tuple[AgbCode, ...]
        kvk: KvkNumber
        city: str
        postcode: Postcode
        insurer: str
        year: int
        care_type: str
        sub_type: str | None
        contract_type: str
        carries_ceiling: bool
        starts_on: date
        ends_on: date
        signed_on: date
        pack_id: str
        pack_version: str
        rules: tuple[str, ...]
        listed: bool
        publish_from: date | None

        def mutate(self, aggregate: TAggregate | None) -> TAggregate | None:
            contract = Contract.__new__(Contract)
            contract.__base_init__(self.originator_id, self.originator_version, self.timestamp)
            self.apply(contract)
            return cast("TAggregate", contract)

        def apply(self, aggregate: Any) -> None:
            contract = cast("Contract", aggregate)
            contract.application_id = None
            contract.provider_name = self.provider_name
            contract.agb_enterprise = self.agb_enterprise
            contract.agb_establishments = self.agb_establishments
            contract.kvk = self.kvk
            contract.city = self.city
            contract.postcode = self.postcode
            contract.insurer = self.insurer
            contract.year = self.year
            contract.care_type = self.care_type
            contract.sub_type = self.sub_type
            contract.contract_type = self.contract_type
            contract.carries_ceiling = self.carries_ceiling
            contract.route = Route.RUNNING_CONTRACT
            contract.starts_on = self.starts_on
            contract.ends_on = self.ends_on
            contract.excluded_services = ()
            contract.exclusion_reason = None
            contract.signing_deadline = None
            contract.signing_rule = None
            contract.offered_on = None
            contract.received_on = None
            contract.pack_id = self.pack_id
            contract.pack_version = self.pack_version
            contract.rules = self.rules
            contract.listed = self.listed
            contract.publish_from = self.publish_from
            contract.status = ContractStatus.SIGNED
            contract.signed_at = None  # signed before it entered the system: only the day is known
            contract.signed_on = self.signed_on
            contract.vecozo_ref = None
            contract.termination_effective_on = None
            contract.status_before_termination = None
            contract.termination_grounds = ()
            contract.tariff_annexes = ()

    @staticmethod
    def create_id(
        application_id: UUID | None,
        insurer: str,
        agb_enterprise: AgbCode,
        pack_id: str,
        sub_type: str | None,
    ) -> UUID:
        """One contract per approved application; a running one per provider × pack × sub-type."""
        if application_id is not None:
            return natural_id("contract", application_id)
        return natural_id("contract", "running", insurer, agb_enterprise, pack_id, sub_type or "")

    # --- offering -------------------------------------------------------------------------------

    @classmethod
    def offer(
        cls,
        *,
        approval: ApprovedAssessment,
        pack: ResolvedPack,
        at: datetime,
        received_on: date | None = None,
        ends_on: date | None = None,
        excluded_services: tuple[str, ...] = (),
        exclusion_reason: str | None = None,
    ) -> Contract:
        """Offer the approved contract type under the pack version in force (brief §4.1, §4.3)."""
        if approval.route is Route.RUNNING_CONTRACT:
            raise RunningContractNeedsNoApproval(
                "a running contract is registered with register_running_contract",
                application_id=approval.application_id,
            )
        require_same_pack(pack, approval.pack)
        fields = decide_offer(
            pack,
            application_id=approval.application_id,
            provider=approval.provider,
            route=Route(approval.route),
            contract_type=approval.contract_type,
            sub_type=approval.sub_type,
            application_date=approval.application_date,
            offered_on=local_date(at),
            received_on=received_on,
            ends_on=ends_on,
            excluded_services=excluded_services,
            exclusion_reason=exclusion_reason,
        )
        return cls(**fields, timestamp=at)

    @classmethod
    def register_running_contract(
        cls,
        *,
        provider: ProviderDetails,
        contract_type: str,
        sub_type: str | None,
        pack: ResolvedPack,
        starts_on: date,
        ends_on: date | None,
        signed_on: date,
        at: datetime,
    ) -> Contract:
        """A running multi-year contract gets no new offer, only the year's tariff annex; it is
        registered signed, from its original start and signature and an explicit end (004 §2.6;
        brief §9)."""
        fields = decide_running_contract(
            pack,
            provider=provider,
            contract_type=contract_type,
            sub_type=sub_type,
            starts_on=starts_on,
            ends_on=ends_on,
            signed_on=signed_on,
            registered_on=local_date(at),
        )
        contract_id = cls.create_id(
            None, fields["insurer"], fields["agb_enterprise"], fields["pack_id"], sub_type
        )
        return cls._create(cls.RunningContractRegistered, id=contract_id, **fields, timestamp=at)

    @event("Offered", topic=_T + "offered")
    def __init__(
        self,
        *,
        application_id: UUID | None,
        provider_name: str,
        agb_enterprise: AgbCode,
        agb_establishments: tuple[AgbCode, ...],
        kvk: KvkNumber,
        city: str,
        postcode: Postcode,
        insurer: str,
        year: int,
        care_type: str,
        sub_type: str | None,
        contract_type: str,
        carries_ceiling: bool,
        route: Route,
        starts_on: date,
        ends_on: date,
        excluded_services: tuple[str, ...],
        exclusion_reason: str | None,
        signing_deadline: date,
        signing_rule: str,
        offered_on: date,
        received_on: date,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        listed: bool,
        publish_from: date | None,
        timestamp: datetime,
    ) -> None:
        self.application_id = application_id
        self.provider_name = provider_name
        self.agb_enterprise = agb_enterprise
        self.agb_establishments = agb_establishments
        self.kvk = kvk
        self.city = city
        self.postcode = postcode
        self.insurer = insurer
        self.year = year
        self.care_type = care_type
        self.sub_type = sub_type
        self.contract_type = contract_type
        self.carries_ceiling = carries_ceiling
        self.route = route
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.excluded_services = excluded_services
        self.exclusion_reason = exclusion_reason
        self.signing_deadline = signing_deadline
        self.signing_rule = signing_rule
        self.offered_on = offered_on
        self.received_on = received_on
        self.pack_id = pack_id
        self.pack_version = pack_version
        self.rules = rules
        self.listed = listed
        self.publish_from = publish_from
        self.status = ContractStatus.OFFERED
        self.signed_at = None
        self.signed_on = None
        self.vecozo_ref: str | None = None
        self.termination_effective_on = None
        self.status_before_termination = None
        self.termination_grounds: tuple[str, ...] = ()
        self.tariff_annexes: tuple[str, ...] = ()

    # --- answering the offer --------------------------------------------------------------------

    def sign(self, *, at: datetime, vecozo_ref: str) -> None:
        """Sign an open offer on or before its deadline, local date inclusive (brief §6.1-6.2)."""
        terms = self._offer_terms()
        if terms is None:
            raise ContractNotOpenForSigning(
                f"the contract is {self.status}", contract_id=self.id, status=self.status
            )
        deadline, rule = terms
        signed_on = local_date(at)
        if signed_on > deadline:
            raise SigningWindowClosed(
                f"signing closed on {deadline.isoformat()} ({rule})",
                contract_id=self.id,
                deadline=deadline,
                rule=rule,
                at=at,
            )
        if not vecozo_ref.strip():
            raise VecozoReferenceRequired("a signature carries its VECOZO reference")
        self._signed(signed_at=at, signed_on=signed_on, vecozo_ref=vecozo_ref.strip(), timestamp=at)

    @event("Signed", topic=_T + "signed")
    def _signed(
        self, *, signed_at: datetime, signed_on: date, vecozo_ref: str, timestamp: datetime
    ) -> None:
        self.status = ContractStatus.SIGNED
        self.signed_at = signed_at
        self.signed_on = signed_on
        self.vecozo_ref = vecozo_ref

    def decline(self, *, at: datetime, reason: str | None = None) -> None:
        """The provider declines an open offer (brief §4.3; 004 §2.6)."""
        self._require_open_offer(at)
        self._offer_declined(reason=(reason or "").strip() or None, timestamp=at)

    @event("OfferDeclined", topic=_T + "offer_declined")
    def _offer_declined(self, *, reason: str | None, timestamp: datetime) -> None:
        self.status = ContractStatus.DECLINED

    def withdraw_offer(self, *, at: datetime, reason: str) -> None:
        """Withdraw an open offer on an integrity finding or at discretion (000 §3.2; 001 §5.4)."""
        self._require_open_offer(at)
        text = require_text(reason, "reason", "a withdrawn offer says why")
        self._offer_withdrawn(reason=text, timestamp=at)

    @event("OfferWithdrawn", topic=_T + "offer_withdrawn")
    def _offer_withdrawn(self, *, reason: str, timestamp: datetime) -> None:
        self.status = ContractStatus.WITHDRAWN

    def expire(self, *, at: datetime) -> None:
        """An unsigned offer lapses after its signing deadline (brief §4.3, §4.5)."""
        terms = self._offer_terms()
        if terms is None:
            raise OfferNotOpen(f"the contract is {self.status}", status=self.status)
        deadline, rule = terms
        if local_date(at) <= deadline:
            raise SigningWindowStillOpen(
                f"signing is open until {deadline.isoformat()}", deadline=deadline, at=at
            )
        self._offer_expired(deadline=deadline, rule=rule, timestamp=at)

    @event("OfferExpired", topic=_T + "offer_expired")
    def _offer_expired(self, *, deadline: date, rule: str, timestamp: datetime) -> None:
        self.status = ContractStatus.EXPIRED

    def extend_signing_deadline(
        self, *, at: datetime, until: date, motivation: str, allowed: bool
    ) -> None:
        """ASSUMPTION, off by default: ``allowed`` comes from configuration (brief §4.3, §13.9)."""
        deadline, rule = self._require_open_offer(at)
        if not allowed:
            raise SigningDeadlineExtensionNotAllowed(
                "extending signing deadlines is not enabled", rule=rule
            )
        text = require_text(motivation, "motivation", "an extension is always motivated")
        if until <= deadline:
            raise SigningDeadlineExtensionNotLater(
                f"{until.isoformat()} is not after {deadline.isoformat()}",
                deadline=deadline,
                until=until,
            )
        self._signing_deadline_extended(
            previous=deadline, until=until, motivation=text, timestamp=at
        )

    @event("SigningDeadlineExtended", topic=_T + "signing_deadline_extended")
    def _signing_deadline_extended(
        self, *, previous: date, until: date, motivation: str, timestamp: datetime
    ) -> None:
        self.signing_deadline = until

    def _offer_terms(self) -> tuple[date, str] | None:
        """An open offer's signing deadline and rule; None for anything else, such as a signed
        contract or a running one that was registered signed and never had a deadline."""
        deadline, rule = self.signing_deadline, self.signing_rule
        if self.status is not ContractStatus.OFFERED or deadline is None or rule is None:
            return None
        return deadline, rule

    def _require_open_offer(self, at: datetime) -> tuple[date, str]:
        terms = self._offer_terms()
        if terms is None:
            raise OfferNotOpen(f"the contract is {self.status}", status=self.status)
        deadline, _ = terms
        if local_date(at) > deadline:
            raise OfferLapsed(
                f"signing closed on {deadline.isoformat()}; the offer can only expire",
                deadline=deadline,
                at=at,
            )
        return terms

    # --- the signed contract --------------------------------------------------------------------

    def standing(self, day: date) -> ContractStatus:
        """What commands decide by: ``status_on``, but a recorded termination counts at once."""
        if self.status is ContractStatus.TERMINATED:
            return ContractStatus.TERMINATED
        return self.status_on(day)

    def suspend(self, *, at: datetime, grounds: tuple[str, ...]) -> None:
        """Integrity findings may suspend an active contract's obligations (000 §3.2)."""
        standing = self.standing(local_date(at))
        if standing is not ContractStatus.ACTIVE:
            raise ContractNotActive(f"the contract is {standing}", status=standing)
        codes = require_grounds(grounds, "a suspension names its grounds")
        self._suspended(grounds=codes, timestamp=at)

    @event("Suspended", topic=_T + "suspended")
    def _suspended(self, *, grounds: tuple[str, ...], timestamp: datetime) -> None:
        self.status = ContractStatus.SUSPENDED

    def lift_suspension(self, *, at: datetime, motivation: str) -> None:
        """The officer lifts a suspension; the contract is active again (brief §4.3)."""
        if self.status is not ContractStatus.SUSPENDED:
            raise ContractNotSuspended(f"the contract is {self.status}", status=self.status)
        text = require_text(motivation, "motivation", "lifting a suspension is motivated")
        self._suspension_lifted(motivation=text, timestamp=at)

    @event("SuspensionLifted", topic=_T + "suspension_lifted")
    def _suspension_lifted(self, *, motivation: str, timestamp: datetime) -> None:
        self.status = ContractStatus.SIGNED

    def terminate(
        self,
        *,
        at: datetime,
        grounds: tuple[str, ...],
        effective_on: date,
        initiated_by: TerminationInitiator,
    ) -> None:
        """End a signed, active or suspended contract early, from ``effective_on`` (000 §2.2, §3.2).

        ``effective_on`` is the first day without a contract. ASSUMPTION: never before the day of
        the decision (dissolution has no retroactive effect, BW 6:269) nor after the term.
        """
        today = local_date(at)
        standing = self.standing(today)
        if standing not in _LIVE:
            raise ContractNotTerminable(f"the contract is {standing}", status=standing)
        codes = require_grounds(grounds, "a termination names its grounds")
        if effective_on < today:
            raise RetroactiveTermination(
                f"{effective_on.isoformat()} is before {today.isoformat()}",
                effective_on=effective_on,
                decided_on=today,
            )
        if effective_on > self.ends_on:
            raise TerminationAfterTermEnd(
                f"the term ends on {self.ends_on.isoformat()}",
                effective_on=effective_on,
                ends_on=self.ends_on,
            )
        self._terminated(
            grounds=codes, effective_on=effective_on, initiated_by=initiated_by, timestamp=at
        )

    @event("Terminated", topic=_T + "terminated")
    def _terminated(
        self,
        *,
        grounds: tuple[str, ...],
        effective_on: date,
        initiated_by: TerminationInitiator,
        timestamp: datetime,
    ) -> None:
        self.status_before_termination = self.status
        self.status = ContractStatus.TERMINATED
        self.termination_effective_on = effective_on

    def establish_termination_ground(
        self, *, at: datetime, pack: ResolvedPack, code: str, fact_date: date, evidence: str
    ) -> None:
        """An exclusion ground found on a live contract is a termination ground (000 §2.2).

        Recorded only: terminating is the officer's separate decision (ASSUMPTION, brief §4.3).
        """
        today = local_date(at)
        if pack.ref != self.pack:
            raise PolicyPackMismatch(
                f"the contract is pinned to {self.pack}; the command names {pack.ref}",
                pinned=str(self.pack),
                named=str(pack.ref),
            )
        standing = self.standing(today)
        if standing not in _LIVE:
            raise ContractNotLive(f"the contract is {standing}", status=standing)
        ground = pack.exclusion_ground(code)
        if ground is None or not ground.termination_ground:
            raise NotATerminationGround(f"{code} is not a termination ground of {pack.ref}")
        if fact_date > today:
            raise FactDateInFuture(f"{fact_date.isoformat()} is after {today.isoformat()}")
        text = require_text(evidence, "evidence", "a termination ground carries its evidence")
        self._termination_ground_established(
            code=ground.code,
            fact_date=fact_date,
            evidence=text,
            pack_id=self.pack_id,
            pack_version=self.pack_version,
            rules=(ground.code,),
            timestamp=at,
        )

    @event("TerminationGroundEstablished", topic=_T + "termination_ground_established")
    def _termination_ground_established(
        self,
        *,
        code: str,
        fact_date: date,
        evidence: str,
        pack_id: str,
        pack_version: str,
        rules: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        self.termination_grounds = (*self.termination_grounds, code)

    def end(self, *, at: datetime) -> None:
        """The contract ends after the last day of its term (brief §4.3, §9)."""
        if self.status is not ContractStatus.SIGNED:
            raise ContractNotInForce(f"the contract is {self.status}", status=self.status)
        if local_date(at) <= self.ends_on:
            raise TermNotOver(f"the term runs until {self.ends_on.isoformat()}")
        self._ended(ends_on=self.ends_on, timestamp=at)

    @event("Ended", topic=_T + "ended")
    def _ended(self, *, ends_on: date, timestamp: datetime) -> None:
        self.status = ContractStatus.ENDED

    def amend(self, *, at: datetime, description: str, effective_on: date) -> None:
        """Amend a signed or active contract within its term (003 §4.2-4.3; 004 §2.6)."""
        self._require_in_force(local_date(at))
        text = require_text(description, "description", "an amendment says what changes")
        if not self.starts_on <= effective_on <= self.ends_on:
            raise AmendmentOutsideTerm(
                f"{effective_on.isoformat()} is outside the term", effective_on=effective_on
            )
        self._amended(description=text, effective_on=effective_on, timestamp=at)

    @event("Amended", topic=_T + "amended")
    def _amended(self, *, description: str, effective_on: date, timestamp: datetime) -> None:
        pass

    def issue_tariff_annex(self, *, at: datetime, annex_ref: str, year: int) -> None:
        """Issue a year's tariff annex to a signed or active contract (004 §2.6)."""
        today = local_date(at)
        self._require_in_force(today)
        ref = require_text(annex_ref, "annex_ref", "a tariff annex has a reference")
        if not self.starts_on.year <= year <= self.ends_on.year:
            raise TariffAnnexOutsideTerm(f"the term does not cover {year}", year=year)
        if ref in self.tariff_annexes:
            raise TariffAnnexAlreadyIssued(f"annex {ref} was issued already", annex_ref=ref)
        self._tariff_annex_issued(annex_ref=ref, year=year, issued_on=today, timestamp=at)

    @event("TariffAnnexIssued", topic=_T + "tariff_annex_issued")
    def _tariff_annex_issued(
        self, *, annex_ref: str, year: int, issued_on: date, timestamp: datetime
    ) -> None:
        self.tariff_annexes = (*self.tariff_annexes, annex_ref)

    def _require_in_force(self, day: date) -> None:
        standing = self.standing(day)
        if standing not in _IN_FORCE:
            raise ContractNotInForce(f"the contract is {standing}", status=standing)
