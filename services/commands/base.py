"""Commands as typed, immutable requests, and what handling one returns.

A command's fields are plain JSON-friendly values validated by pydantic (so the API names the
bad field); handlers turn them into domain values. The context carries who asks, the command id
(the client's idempotency key or a generated one), the correlation id and an optional expected
aggregate version for optimistic concurrency.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from care_contracts.services.store.metadata import Actor

__all__ = ["Command", "CommandContext", "CommandOutcome", "EventRef"]


class Command(BaseModel):
    """Base of every command: imperative name, frozen, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    aggregate: ClassVar[str]  # the aggregate type the command targets, for logs and metrics


class CommandContext(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: Actor
    command_id: str = Field(default_factory=lambda: str(uuid4()), min_length=1, max_length=200)
    correlation_id: str = Field(default_factory=lambda: str(uuid4()), min_length=1, max_length=200)
    expected_version: int | None = Field(default=None, ge=1)


class EventRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    aggregate_id: UUID
    version: int
    type: str
    position: int | None = None


class CommandOutcome(BaseModel):
    """What an accepted command did; a repeated command id returns the first outcome."""

    model_config = ConfigDict(frozen=True)

    command_id: str
    command: str
    aggregate_type: str
    aggregate_id: UUID
    version: int
    events: tuple[EventRef, ...]
    accepted_at: datetime
    result: dict[str, JsonValue] | None = None
    replayed: bool = False

    def with_positions(self, positions: list[int]) -> CommandOutcome:
        events = tuple(
            e.model_copy(update={"position": p})
            for e, p in zip(self.events, positions, strict=False)
        )
        return self.model_copy(update={"events": events})

    def as_replay(self) -> CommandOutcome:
        return self.model_copy(update={"replayed": True})

    def payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
