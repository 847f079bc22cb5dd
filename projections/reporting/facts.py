"""What each event adds to the reporting model (pure): dated facts, never running totals.

Procurement officers and management ask the same questions "as of now" and "as of" a past
instant, so the model keeps no counters: every event adds rows that carry the event's decision
time (``at``) and its id (the key that makes a replay change nothing), and every report counts the
rows with ``at`` at or before the instant asked about.

- ``Transition``: an application's or a contract's recorded state after the event (brief §4.2,
  §4.3). The state of an entity as of T is its highest-version transition at or before T; a
  contract's transitions carry its signing deadline and term, so a report can read ``active``,
  ``ended`` and a lapsed offer off the day as the domain's ``status_on`` does.
- ``OfferOutcome``: how an offer ended (signed, declined, withdrawn, expired), with when it was
  offered, for durations and "signed within the deadline first offered".
- ``CeilingNotice``: an overrun notice on time or late (brief §4.4, §10).
- ``RevisionDecision``: a revision granted, refused (either possibly late) or flagged overdue.
- ``Rejection``: one reason of a rejected application, by kind and rule code.

Insurer and care type are on the event that creates an entity (``application.submitted``,
``contract.offered`` / ``running_contract_registered``, ``revenue_ceiling.agreed``); the later
events of the entity get them from the ``Entity`` the caller passes in, which also keeps the offer
facts (when offered, the deadline first offered and the one in force). Financial frames add
nothing. The fields read come from small tolerant models (``extra="ignore"``); a field whose value
the model interprets (an assessment outcome, a notice's rejection reason) is a closed ``Literal``,
so a value this code has not decided about stops the projection instead of being miscounted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal, TypeAlias, assert_never
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from care_contracts.projections.base import ProjectionError
from care_contracts.projections.events import ProjectedEvent

__all__ = [
    "TRACKED",
    "ApplicationState",
    "CeilingNotice",
    "ContractState",
    "Entity",
    "EntityKind",
    "Fact",
    "OfferOutcome",
    "OfferResult",
    "Rejection",
    "RevisionDecision",
    "RevisionResult",
    "Transition",
    "facts",
]

EntityKind = Literal["application", "contract", "revenue_ceiling"]
TRACKED: frozenset[str] = frozenset({"application", "contract", "revenue_ceiling"})
ApplicationState = Literal[
    "received", "incomplete", "under_assessment", "approved", "rejected", "withdrawn"
]
ContractState = Literal[
    "offered", "signed", "declined", "expired", "withdrawn", "suspended", "terminated", "ended"
]
OfferResult = Literal["signed", "declined", "withdrawn", "expired"]
RevisionResult = Literal["granted", "refused", "overdue"]


@dataclass(frozen=True)
class Entity:
    """What later events of an application, contract or ceiling need from its earlier ones."""

    entity_id: UUID
    kind: EntityKind
    version: int
    insurer: str
    care_type: str
    provider_name: str | None = None
    agb_enterprise: str | None = None
    offered_at: datetime | None = None
    original_deadline: date | None = None
    signing_deadline: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None


@dataclass(frozen=True)
class Transition:
    """An application or contract in ``state`` from ``at`` (``version``: the event's)."""

    event_id: str
    entity_kind: Literal["application", "contract"]
    entity_id: UUID
    version: int
    insurer: str
    care_type: str
    state: ApplicationState | ContractState
    at: datetime
    signing_deadline: date | None
    starts_on: date | None
    ends_on: date | None


@dataclass(frozen=True)
class OfferOutcome:
    """How an offer ended; ``within_original_deadline``: signed by the deadline first offered."""

    event_id: str
    contract_id: UUID
    insurer: str
    care_type: str
    outcome: OfferResult
    offered_at: datetime
    at: datetime
    signing_deadline: date
    within_original_deadline: bool


@dataclass(frozen=True)
class CeilingNotice:
    """An expected-overrun notice: on time (reported, possibly amending one) or late (rejected)."""

    event_id: str
    ceiling_id: UUID
    insurer: str
    care_type: str
    late: bool
    amends: bool
    received_at: datetime
    notice_deadline: date
    at: datetime


@dataclass(frozen=True)
class RevisionDecision:
    """A revision granted or refused (``late``: after the decision deadline), or flagged overdue."""

    event_id: str
    ceiling_id: UUID
    insurer: str
    care_type: str
    decision: RevisionResult
    late: bool
    decision_deadline: date
    at: datetime


@dataclass(frozen=True)
class Rejection:
    """Reason number ``ordinal`` of a rejected application (``rule``: its code, when it has one)."""

    event_id: str
    ordinal: int
    application_id: UUID
    insurer: str
    care_type: str
    kind: str
    rule: str | None
    at: datetime


Fact: TypeAlias = Transition | OfferOutcome | CeilingNotice | RevisionDecision | Rejection


class _Tolerant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Scoped(_Tolerant):
    insurer: str
    care_type: str


class _Made(_Scoped):
    provider_name: str
    agb_enterprise: str
    starts_on: date
    ends_on: date


class _Offered(_Made):
    signing_deadline: date


class _Signed(_Tolerant):
    signed_on: date


class _Extended(_Tolerant):
    until: date


class _Reason(_Tolerant):
    kind: str
    rule: str | None = None


class _Assessed(_Tolerant):
    outcome: Literal["approved", "rejected"]
    reasons: tuple[_Reason, ...] = ()


class _Notice(_Tolerant):
    received_at: datetime
    notice_deadline: date
    amends: bool = False


class _RejectedNotice(_Notice):
    reason: Literal["NOTICE_DEADLINE_PASSED"]  # the only ground; a new one needs a decision here


class _Decided(_Tolerant):
    decision_deadline: date
    late: bool


class _Overdue(_Tolerant):
    decision_deadline: date


Result: TypeAlias = tuple[Entity | None, tuple[Fact, ...]]


def facts(entity: Entity | None, event: ProjectedEvent) -> Result:
    """The entity after ``event`` and the rows it adds (``entity``: the aggregate's so far).

    A financial-frame event adds nothing. An event of an application, contract or ceiling must be
    the next version of its entity (an already applied one adds nothing), or the projection stops
    on it: a gap, or an entity first seen mid-life, is a broken stream.
    """
    if event.aggregate not in TRACKED:
        return entity, ()
    if entity is not None and event.version <= entity.version:
        return entity, ()  # already applied
    expected = 1 if entity is None else entity.version + 1
    if event.version != expected:
        raise ProjectionError(event, f"expected version {expected} of the {event.aggregate}")
    kind = event.type
    match kind:
        case "application.submitted.v1":
            created = _scoped(event, "application")
            return created, (_transition(created, event, "received"),)
        case "application.information_requested.v1":
            return _moved(entity, event, "incomplete")
        case "application.information_supplied.v1":
            return _moved(entity, event, "received")
        case "application.completed.v1":
            return _moved(entity, event, "under_assessment")
        case "application.assessed.v1":
            return _assessed(_known(entity, event), event)
        case "application.withdrawn.v1":
            return _moved(entity, event, "withdrawn")
        case "contract.offered.v1":
            created = _contract(event, _Offered.model_validate(event.data))
            return created, (_transition(created, event, "offered"),)
        case "contract.running_contract_registered.v1":
            created = _contract(event, _Made.model_validate(event.data))
            return created, (_transition(created, event, "signed"),)
        case "contract.signed.v1":
            signed_on = _Signed.model_validate(event.data).signed_on
            return _offer_ended(_known(entity, event), event, "signed", signed_on)
        case "contract.offer_declined.v1":
            return _offer_ended(_known(entity, event), event, "declined", None)
        case "contract.offer_withdrawn.v1":
            return _offer_ended(_known(entity, event), event, "withdrawn", None)
        case "contract.offer_expired.v1":
            return _offer_ended(_known(entity, event), event, "expired", None)
        case "contract.signing_deadline_extended.v1":
            until = _Extended.model_validate(event.data).until
            return _moved(replace(_known(entity, event), signing_deadline=until), event, "offered")
        case "contract.suspended.v1":
            return _moved(entity, event, "suspended")
        case "contract.suspension_lifted.v1":
            return _moved(entity, event, "signed")  # the recorded status; active is by the day
        case "contract.terminated.v1":
            return _moved(entity, event, "terminated")  # counts from the decision, as commands do
        case "contract.ended.v1":
            return _moved(entity, event, "ended")
        case "revenue_ceiling.agreed.v1":
            return _scoped(event, "revenue_ceiling"), ()
        case "revenue_ceiling.overrun_reported.v1":
            return _noticed(entity, event, _Notice.model_validate(event.data), late=False)
        case "revenue_ceiling.overrun_notice_rejected.v1":
            return _noticed(entity, event, _RejectedNotice.model_validate(event.data), late=True)
        case "revenue_ceiling.revised.v1":
            return _decided(entity, event, "granted", _Decided.model_validate(event.data))
        case "revenue_ceiling.revision_refused.v1":
            return _decided(entity, event, "refused", _Decided.model_validate(event.data))
        case "revenue_ceiling.decision_overdue.v1":
            return _decided(entity, event, "overdue", _Overdue.model_validate(event.data))
        case (
            "application.metrics_recorded.v1"
            | "application.requirement_assessed.v1"
            | "application.exclusion_ground_assessed.v1"
            | "application.integrity_investigation_opened.v1"
            | "application.integrity_investigation_concluded.v1"
            | "contract.termination_ground_established.v1"
            | "contract.amended.v1"
            | "contract.tariff_annex_issued.v1"
            | "revenue_ceiling.revision_ground_assessed.v1"
        ):
            return _seen(_known(entity, event), event), ()
        case (
            "financial_frame.opened.v1"
            | "financial_frame.adjusted.v1"
            | "financial_frame.reserved.v1"
            | "financial_frame.released.v1"
        ):
            return entity, ()  # not tracked (returned above); listed for exhaustiveness
        case _:
            assert_never(kind)


def _known(entity: Entity | None, event: ProjectedEvent) -> Entity:
    if entity is None:
        raise ProjectionError(event, f"a {event.aggregate} event before the one that creates it")
    return entity


def _seen(entity: Entity, event: ProjectedEvent) -> Entity:
    return replace(entity, version=event.version)


def _scoped(event: ProjectedEvent, kind: EntityKind) -> Entity:
    scope = _Scoped.model_validate(event.data)
    return Entity(event.aggregate_id, kind, event.version, scope.insurer, scope.care_type)


def _contract(event: ProjectedEvent, made: _Made) -> Entity:
    """A contract offered (with its deadline) or registered as a running one (without)."""
    deadline = made.signing_deadline if isinstance(made, _Offered) else None
    return Entity(
        entity_id=event.aggregate_id,
        kind="contract",
        version=event.version,
        insurer=made.insurer,
        care_type=made.care_type,
        provider_name=made.provider_name,
        agb_enterprise=made.agb_enterprise,
        offered_at=event.time if deadline is not None else None,
        original_deadline=deadline,
        signing_deadline=deadline,
        starts_on=made.starts_on,
        ends_on=made.ends_on,
    )


def _transition(
    entity: Entity, event: ProjectedEvent, state: ApplicationState | ContractState
) -> Transition:
    kind: Literal["application", "contract"] = (
        "application" if entity.kind == "application" else "contract"
    )
    return Transition(
        event_id=event.id,
        entity_kind=kind,
        entity_id=entity.entity_id,
        version=event.version,
        insurer=entity.insurer,
        care_type=entity.care_type,
        state=state,
        at=event.time,
        signing_deadline=entity.signing_deadline,
        starts_on=entity.starts_on,
        ends_on=entity.ends_on,
    )


def _moved(
    entity: Entity | None, event: ProjectedEvent, state: ApplicationState | ContractState
) -> Result:
    after = _seen(_known(entity, event), event)
    return after, (_transition(after, event, state),)


def _assessed(entity: Entity, event: ProjectedEvent) -> Result:
    assessed = _Assessed.model_validate(event.data)
    after, rows = _moved(entity, event, assessed.outcome)
    if assessed.outcome == "approved":
        return after, rows
    reasons = tuple(
        Rejection(
            event_id=event.id,
            ordinal=ordinal,
            application_id=entity.entity_id,
            insurer=entity.insurer,
            care_type=entity.care_type,
            kind=reason.kind,
            rule=reason.rule,
            at=event.time,
        )
        for ordinal, reason in enumerate(assessed.reasons)
    )
    return after, rows + reasons


def _offer_ended(
    entity: Entity, event: ProjectedEvent, outcome: OfferResult, signed_on: date | None
) -> Result:
    offered_at, deadline, first = (
        entity.offered_at,
        entity.signing_deadline,
        entity.original_deadline,
    )
    if offered_at is None or deadline is None or first is None:
        raise ProjectionError(event, "an offer's outcome on a contract that was never offered")
    after, rows = _moved(entity, event, outcome)
    ended = OfferOutcome(
        event_id=event.id,
        contract_id=entity.entity_id,
        insurer=entity.insurer,
        care_type=entity.care_type,
        outcome=outcome,
        offered_at=offered_at,
        at=event.time,
        signing_deadline=deadline,
        within_original_deadline=signed_on is not None and signed_on <= first,
    )
    return after, (*rows, ended)


def _noticed(
    entity: Entity | None, event: ProjectedEvent, notice: _Notice, *, late: bool
) -> Result:
    known = _known(entity, event)
    row = CeilingNotice(
        event_id=event.id,
        ceiling_id=known.entity_id,
        insurer=known.insurer,
        care_type=known.care_type,
        late=late,
        amends=notice.amends,
        received_at=notice.received_at,
        notice_deadline=notice.notice_deadline,
        at=event.time,
    )
    return _seen(known, event), (row,)


def _decided(
    entity: Entity | None,
    event: ProjectedEvent,
    decision: RevisionResult,
    decided: _Decided | _Overdue,
) -> Result:
    """A decision (late when the event says so) or an overdue flag (late by definition)."""
    known = _known(entity, event)
    row = RevisionDecision(
        event_id=event.id,
        ceiling_id=known.entity_id,
        insurer=known.insurer,
        care_type=known.care_type,
        decision=decision,
        late=decided.late if isinstance(decided, _Decided) else True,
        decision_deadline=decided.decision_deadline,
        at=event.time,
    )
    return _seen(known, event), (row,)
