"""What a contract's recorded state means on a given day: status, liveness, care-finder listing.

A plain mixin over the attributes the ``Contract`` events assign, so the aggregate module keeps
to commands and events. Nothing here records or raises.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from care_contracts.domain.contract.facts import ContractFacts
from care_contracts.domain.contract.status import ContractStatus
from care_contracts.domain.dates import local_date, start_of_day
from care_contracts.domain.policy.model import PackRef

__all__ = ["ContractView"]

_LIVE = frozenset({ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.SUSPENDED})
_LISTABLE = frozenset({ContractStatus.SIGNED, ContractStatus.ACTIVE})


class ContractView:
    """Derived, calendar-dependent readings of a contract (brief §4.3, §11)."""

    id: UUID
    insurer: str
    year: int
    care_type: str
    contract_type: str
    carries_ceiling: bool
    status: ContractStatus
    starts_on: date
    ends_on: date
    signing_deadline: date | None  # None: a running contract, registered signed (004 §2.6)
    signing_rule: str | None
    offered_on: date | None
    received_on: date | None
    signed_at: datetime | None
    signed_on: date | None
    termination_effective_on: date | None
    status_before_termination: ContractStatus | None
    excluded_services: tuple[str, ...]
    listed: bool
    publish_from: date | None
    pack_id: str
    pack_version: str

    def status_on(self, day: date) -> ContractStatus:
        """Recorded status, read on ``day``: active from the start date (brief §4.3 diagram),
        expired after the deadline and ended after the term even before a timer records it
        (§4.5), terminated from the termination's effective date.

        Meant for days on or after the newest event: it is not a history of past days.
        """
        status = self.status
        if status is ContractStatus.TERMINATED:
            effective = self.termination_effective_on
            if effective is None or day >= effective:
                return ContractStatus.TERMINATED
            status = self.status_before_termination or ContractStatus.SIGNED
        deadline = self.signing_deadline
        if status is ContractStatus.OFFERED and deadline is not None and day > deadline:
            return ContractStatus.EXPIRED
        if status is ContractStatus.SIGNED:
            if day > self.ends_on:
                return ContractStatus.ENDED
            if day >= self.starts_on:
                return ContractStatus.ACTIVE
        return status

    def is_active(self, day: date) -> bool:
        return self.status_on(day) is ContractStatus.ACTIVE

    def is_live(self, day: date) -> bool:
        """Signed, active or suspended on ``day``; not after termination or the term's end.

        A suspension never outlives the term: the diagram has no suspended → ended step, but a
        contract past its last day is not live whatever its recorded status.
        """
        return self.status_on(day) in _LIVE and day <= self.ends_on

    @property
    def pack(self) -> PackRef:
        return PackRef(id=self.pack_id, version=self.pack_version)

    @property
    def partially_contracted(self) -> bool:
        """An offer that leaves services out is "partially contracted" (brief §11; 001 §5.4)."""
        return bool(self.excluded_services)

    def care_finder_visible(self, on: date) -> bool:
        """Listed from max(signing day, publication day) while signed or active (brief §11).

        Uses the listing and publication date recorded on the offer, so a later pack version
        never changes what an existing contract shows. Hidden while suspended and from the day
        a termination takes effect or the day after the term ends; never shown for offers.
        """
        if not self.listed or self.publish_from is None or self.signed_on is None:
            return False
        if on < max(self.signed_on, self.publish_from):
            return False
        return self.status_on(on) in _LISTABLE

    def facts(self, at: datetime) -> ContractFacts:
        """What the revenue ceiling reads: ceiling flag recorded at offer, liveness on ``at``.

        A running contract was signed before it was registered and only its signing day is
        known; it reads as signed at that day's first instant.
        """
        signed_at = self.signed_at
        if signed_at is None and self.signed_on is not None:
            signed_at = start_of_day(self.signed_on)
        return ContractFacts(
            contract_id=self.id,
            pack=self.pack,
            insurer=self.insurer,
            year=self.year,
            care_type=self.care_type,
            contract_type=self.contract_type,
            carries_ceiling=self.carries_ceiling,
            signed_at=signed_at,
            live=self.is_live(local_date(at)),
            start=self.starts_on,
            end=self.ends_on,
        )
