"""What the audit functions refuse: a version or instant the aggregate never had, an unreadable row,
a store that is not there.

An unknown aggregate id is the command layer's ``AggregateNotFound``: one error for "no such
aggregate" wherever it is asked.
"""

from __future__ import annotations

from care_contracts.domain.errors import DomainError

__all__ = [
    "EventStoreUnavailable",
    "NoEventStore",
    "NotYetCreated",
    "UnreadableEvent",
    "UnreadableEventStore",
    "VersionNotRecorded",
]


class VersionNotRecorded(DomainError):
    code = "aggregate_version_not_recorded"
    title = "The aggregate never had this version"


class NotYetCreated(DomainError):
    code = "aggregate_not_yet_created"
    title = "The aggregate did not exist yet at that instant"


class UnreadableEvent(DomainError):
    code = "stored_event_unreadable"
    title = "A stored event's state is not a readable event envelope"


class EventStoreUnavailable(RuntimeError):
    """The configured store cannot be opened for reading (the CLI exits with code 2)."""


class NoEventStore(EventStoreUnavailable):
    """Nothing was ever stored at the configured place; audit commands never create a store."""


class UnreadableEventStore(EventStoreUnavailable):
    """Something is there, but it is not a readable event store (corrupt file, no access)."""
