"""The scope (insurer, care type) of an aggregate, recorded in each of its events' metadata.

Every aggregate of the contracting application belongs to exactly one insurer and care type, and
each records them in its created event: an application and a contract at submission or offer
(from the pack in force), a revenue ceiling from its contract's facts when agreed, a financial
frame by its natural key. The stored metadata repeats them so that the relay can put them in a
NATS subject without loading the aggregate.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.services.store.metadata import Scope

__all__ = ["UnscopedAggregate", "scope_of"]

_SCOPED = (ProviderApplication, Contract, RevenueCeiling, FinancialFrame)


class UnscopedAggregate(TypeError):
    """An aggregate type outside the contracting domain: a programming error."""


def scope_of(aggregate: Aggregate) -> Scope:
    """The insurer and care type the aggregate recorded when it was created."""
    if not isinstance(aggregate, _SCOPED):
        raise UnscopedAggregate(f"{type(aggregate).__qualname__} has no insurer and care type")
    return Scope(insurer=aggregate.insurer, care_type=aggregate.care_type)
