"""The states of a contract (brief §4.3) and who may end one early."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ContractStatus", "TerminationInitiator"]


class ContractStatus(StrEnum):
    """A contract's status. ``ACTIVE`` is derived (signed and the start date reached), never
    recorded; ``status_on`` also derives expiry, the end of the term and a dated termination."""

    OFFERED = "offered"
    SIGNED = "signed"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    TERMINATED = "terminated"
    ENDED = "ended"


class TerminationInitiator(StrEnum):
    INSURER = "insurer"
    PROVIDER = "provider"
