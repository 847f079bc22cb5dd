"""Metadata every stored event carries: who did it, under which command and correlation id.

It also names the scope (insurer, care type) of the event's own aggregate, so a reader of the
notification log (the relay building NATS subjects) needs no aggregate state to filter by them.

The command handler binds it for the duration of one save; the mapper writes it into each event's
stored envelope. eventsourcing 9.5.6 has no metadata of its own, hence this context variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar, Token
from enum import StrEnum
from typing import Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Actor",
    "EventMetadata",
    "Role",
    "Scope",
    "current_metadata",
    "recording",
    "recording_each",
]


class Role(StrEnum):
    PROVIDER = "provider"
    OFFICER = "officer"
    AUDITOR = "auditor"
    PUBLIC = "public"
    OPERATOR = "operator"
    SYSTEM = "system"  # the deadline watcher and other timers


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    subject: str = Field(min_length=1, description="AGB code, officer id, or the system job name")
    insurer: str | None = None  # an officer acts for one insurer


class Scope(BaseModel):
    """Whose contracting an aggregate belongs to: one insurer and one care type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    insurer: str = Field(min_length=1)
    care_type: str = Field(min_length=1)


class EventMetadata(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: str = Field(min_length=1)
    command: str = Field(min_length=1, description="the command type, e.g. SignContract")
    correlation_id: str = Field(min_length=1)
    actor: Actor
    scope: Scope | None = None  # the event's own aggregate; None outside the command bus


T = TypeVar("T")

_current: ContextVar[EventMetadata | None] = ContextVar(
    "care_contracts_event_metadata", default=None
)


_per_event: ContextVar[Mapping[tuple[UUID, int], EventMetadata] | None] = ContextVar(
    "care_contracts_event_metadata_per_event", default=None
)


def current_metadata(
    originator_id: UUID | None = None, version: int | None = None
) -> EventMetadata | None:
    """The metadata bound for this event: per event in a group commit, else for the block."""
    per_event = _per_event.get()
    if per_event is not None and originator_id is not None and version is not None:
        found = per_event.get((originator_id, version))
        if found is not None:
            return found
    return _current.get()


class _Binding(Generic[T]):
    """A context variable set for a ``with`` block (a class: every save enters two of these, and a
    generator-based context manager costs several times as much)."""

    __slots__ = ("_token", "_value", "_variable")
    _token: Token[T]

    def __init__(self, variable: ContextVar[T], value: T) -> None:
        self._variable = variable
        self._value = value

    def __enter__(self) -> T:
        self._token = self._variable.set(self._value)
        return self._value

    def __exit__(self, *_: object) -> None:
        self._variable.reset(self._token)


def recording_each(
    metadata: Mapping[tuple[UUID, int], EventMetadata],
) -> AbstractContextManager[Mapping[tuple[UUID, int], EventMetadata] | None]:
    """Bind metadata per event (aggregate id, version): several commands saved in one go."""
    return _Binding(_per_event, metadata)


def recording(metadata: EventMetadata) -> AbstractContextManager[EventMetadata | None]:
    """Bind the metadata that events saved inside this block carry."""
    return _Binding(_current, metadata)
