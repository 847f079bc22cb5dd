"""Metadata every stored event carries: who did it, under which command and correlation id.

The command handler binds it for the duration of one save; the mapper writes it into each event's
stored envelope. eventsourcing 9.5.6 has no metadata of its own, hence this context variable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Actor", "EventMetadata", "Role", "current_metadata", "recording"]


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


class EventMetadata(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: str = Field(min_length=1)
    command: str = Field(min_length=1, description="the command type, e.g. SignContract")
    correlation_id: str = Field(min_length=1)
    actor: Actor


_current: ContextVar[EventMetadata | None] = ContextVar(
    "care_contracts_event_metadata", default=None
)


def current_metadata() -> EventMetadata | None:
    return _current.get()


@contextmanager
def recording(metadata: EventMetadata) -> Iterator[EventMetadata]:
    """Bind the metadata that events saved inside this block carry."""
    token = _current.set(metadata)
    try:
        yield metadata
    finally:
        _current.reset(token)
