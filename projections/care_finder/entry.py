"""The care finder's entry for one contract, and how each event changes it (pure).

Policy brief §11: a contract is listed from ``max(signing date, the pack's publication date)``
until the day its term ends or its termination takes effect, hidden while suspended; offers
(open, declined, expired, withdrawn) never appear; the pack decides whether a care type is listed
at all (``listed`` and ``publish_from`` travel on the offer or registration event, decided by the
pack when the contract was made). The entry keeps the facts; ``visible_on`` decides for a day, so
the date boundaries need no event.

Never here: tariffs, ceilings, revenue, assessment details, exclusion findings. Only contract
events are read, and of them only the public fields.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal, assert_never
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from care_contracts.projections.base import ProjectionError
from care_contracts.projections.events import ProjectedEvent

__all__ = ["CareFinderEntry", "EntryStatus", "evolve", "name_key", "postcode_area"]

EntryStatus = Literal[
    "offered", "signed", "declined", "withdrawn", "expired", "terminated", "ended"
]


class _Tolerant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Made(_Tolerant):
    """The public facts of an offered or registered running contract."""

    provider_name: str
    agb_enterprise: str
    agb_establishments: tuple[str, ...]
    city: str
    postcode: str
    insurer: str
    year: int
    care_type: str
    sub_type: str | None
    contract_type: str
    starts_on: date
    ends_on: date
    excluded_services: tuple[str, ...] = ()
    listed: bool
    publish_from: date | None


class _Signed(_Tolerant):
    signed_on: date


class _Registered(_Made):
    signed_on: date


class _Terminated(_Tolerant):
    effective_on: date


@dataclass(frozen=True)
class CareFinderEntry:
    """One contract as the care finder knows it (``version``: the last contract event applied)."""

    contract_id: UUID
    version: int
    status: EntryStatus
    suspended: bool
    listed: bool
    publish_from: date | None
    insurer: str
    year: int
    care_type: str
    sub_type: str | None
    contract_type: str
    provider_name: str
    agb_enterprise: str
    agb_establishments: tuple[str, ...]
    city: str
    postcode: str
    starts_on: date
    ends_on: date
    excluded_services: tuple[str, ...]
    signed_on: date | None
    terminated_from: date | None

    @property
    def partially_contracted(self) -> bool:
        return bool(self.excluded_services)

    @property
    def visible_from(self) -> date | None:
        """The first day listed, or None while it never can be (not signed, or not listed)."""
        if not self.listed or self.signed_on is None:
            return None
        return max(self.signed_on, self.publish_from or self.signed_on)

    @property
    def hidden_from(self) -> date:
        """The first day no longer listed: the day after the term, or the termination's day."""
        after_term = self.ends_on + timedelta(days=1)
        if self.terminated_from is None:
            return after_term
        return min(after_term, self.terminated_from)

    @property
    def listable(self) -> bool:
        """Whether any day can show it now: signed (or terminated later), listed, not suspended."""
        return (
            self.status in ("signed", "terminated")
            and not self.suspended
            and self.visible_from is not None
        )

    def visible_on(self, day: date) -> bool:
        visible_from = self.visible_from
        return self.listable and visible_from is not None and visible_from <= day < self.hidden_from


def evolve(entry: CareFinderEntry | None, event: ProjectedEvent) -> CareFinderEntry | None:
    """The entry after ``event`` (``entry`` is the contract's entry so far, None before any).

    Events of other aggregates leave it alone; a contract event must be the next version of the
    entry's contract (an already applied version returns the entry unchanged), or the projection
    stops on it: a gap or a contract first seen mid-life is a broken stream, not a detail.
    """
    if event.aggregate != "contract":
        return entry
    if entry is not None and event.version <= entry.version:
        return entry  # already applied
    expected = 1 if entry is None else entry.version + 1
    if event.version != expected:
        raise ProjectionError(event, f"expected version {expected} of the contract")
    kind = event.type
    match kind:
        case "contract.offered.v1":
            made = _Made.model_validate(event.data)
            return _entry(event, made, "offered", signed_on=None)
        case "contract.running_contract_registered.v1":
            registered = _Registered.model_validate(event.data)
            return _entry(event, registered, "signed", signed_on=registered.signed_on)
        case _ if entry is None:
            raise ProjectionError(event, "a contract event before the contract was offered")
        case "contract.signed.v1":
            signed = _Signed.model_validate(event.data)
            return replace(
                entry, version=event.version, status="signed", signed_on=signed.signed_on
            )
        case "contract.offer_declined.v1":
            return replace(entry, version=event.version, status="declined")
        case "contract.offer_withdrawn.v1":
            return replace(entry, version=event.version, status="withdrawn")
        case "contract.offer_expired.v1":
            return replace(entry, version=event.version, status="expired")
        case "contract.suspended.v1":
            return replace(entry, version=event.version, suspended=True)
        case "contract.suspension_lifted.v1":
            return replace(entry, version=event.version, suspended=False)
        case "contract.terminated.v1":
            terminated = _Terminated.model_validate(event.data)
            return replace(
                entry,
                version=event.version,
                status="terminated",
                terminated_from=terminated.effective_on,
            )
        case "contract.ended.v1":
            return replace(entry, version=event.version, status="ended")
        case (
            "contract.signing_deadline_extended.v1"
            | "contract.termination_ground_established.v1"
            | "contract.amended.v1"
            | "contract.tariff_annex_issued.v1"
        ):
            return replace(entry, version=event.version)
        case (
            "application.submitted.v1"
            | "application.information_requested.v1"
            | "application.information_supplied.v1"
            | "application.completed.v1"
            | "application.metrics_recorded.v1"
            | "application.requirement_assessed.v1"
            | "application.exclusion_ground_assessed.v1"
            | "application.integrity_investigation_opened.v1"
            | "application.integrity_investigation_concluded.v1"
            | "application.assessed.v1"
            | "application.withdrawn.v1"
            | "revenue_ceiling.agreed.v1"
            | "revenue_ceiling.overrun_reported.v1"
            | "revenue_ceiling.overrun_notice_rejected.v1"
            | "revenue_ceiling.revision_ground_assessed.v1"
            | "revenue_ceiling.revised.v1"
            | "revenue_ceiling.revision_refused.v1"
            | "revenue_ceiling.decision_overdue.v1"
            | "financial_frame.opened.v1"
            | "financial_frame.adjusted.v1"
            | "financial_frame.reserved.v1"
            | "financial_frame.released.v1"
        ):
            return entry  # not a contract's event (returned above); listed for exhaustiveness
        case _:
            assert_never(kind)


def _entry(
    event: ProjectedEvent, made: _Made, status: EntryStatus, *, signed_on: date | None
) -> CareFinderEntry:
    return CareFinderEntry(
        contract_id=event.aggregate_id,
        version=event.version,
        status=status,
        suspended=False,
        listed=made.listed,
        publish_from=made.publish_from,
        insurer=made.insurer,
        year=made.year,
        care_type=made.care_type,
        sub_type=made.sub_type,
        contract_type=made.contract_type,
        provider_name=made.provider_name,
        agb_enterprise=made.agb_enterprise,
        agb_establishments=made.agb_establishments,
        city=made.city,
        postcode=made.postcode,
        starts_on=made.starts_on,
        ends_on=made.ends_on,
        excluded_services=made.excluded_services,
        signed_on=signed_on,
        terminated_from=None,
    )


def name_key(text: str) -> str:
    """Case- and accent-insensitive search form: ``Zorggroep  Ëlst`` → ``zorggroep elst``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def postcode_area(postcode: str) -> str:
    """The 4-digit area of a Dutch postcode (``1234 AB`` → ``1234``)."""
    return postcode.replace(" ", "")[:4]
