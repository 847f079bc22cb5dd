"""Handling one command: replay check, load, one domain call, one atomic save.

Idempotency: the command id (a client's ``Idempotency-Key`` or a generated id) and a hash of the
command's type and payload are written to the command log in the same transaction as its events.
A repeated id with the same payload returns the first outcome and appends nothing; with another
payload it is refused (``IdempotencyKeyReused``). Two racing deliveries of one command both run,
but only one commits: the other hits the command log's primary key, rolls back, and returns the
winner's outcome. Rejected commands record nothing, so retrying one re-runs it on fresh state.

Concurrency: the target's version is checked against the expected version when one is given, and
every save is optimistic (the aggregate version is part of the events' primary key): a concurrent
write surfaces as ``ConcurrentWriteConflict``, never as a lost update.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic
from pydantic import JsonValue

from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import Clock
from care_contracts.services.commands.access import authorize_aggregates, authorize_command
from care_contracts.services.commands.base import Command, CommandContext, CommandOutcome, EventRef
from care_contracts.services.commands.errors import (
    ConcurrentWriteConflict,
    IdempotencyKeyReused,
    StoreRefusedWrite,
)
from care_contracts.services.commands.scope import scope_of
from care_contracts.services.commands.unit_of_work import UnitOfWork
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.chain import CommandRecord
from care_contracts.services.store.group_commit import GroupCommitter
from care_contracts.services.store.mapper import dumps_canonical
from care_contracts.services.store.metadata import (
    Actor,
    EventMetadata,
    recording,
    recording_each,
)

__all__ = ["REGISTRY", "CommandBus", "CommandRegistry", "HandlerContext", "payload_hash"]

HandlerResult = dict[str, JsonValue] | None
C = TypeVar("C", bound=Command)


@dataclass(frozen=True)
class HandlerContext:
    at: datetime
    policies: PolicyCatalog
    actor: Actor
    settings: Settings  # configuration switches a rule reads (e.g. signing-deadline extensions)


Handler = Callable[[UnitOfWork, Any, HandlerContext], HandlerResult]


class UnknownCommand(LookupError):
    """A command type without a handler: a programming error, not a client error."""


class CommandRegistry:
    def __init__(self) -> None:
        self._handlers: dict[type[Command], Handler] = {}

    def handles(
        self, command_type: type[C]
    ) -> Callable[[Callable[[UnitOfWork, C, HandlerContext], HandlerResult]], Handler]:
        def register(handler: Callable[[UnitOfWork, C, HandlerContext], HandlerResult]) -> Handler:
            if command_type in self._handlers:
                raise ValueError(f"{command_type.__name__} already has a handler")
            self._handlers[command_type] = handler
            return handler

        return register

    def handler_for(self, command_type: type[Command]) -> Handler:
        try:
            return self._handlers[command_type]
        except KeyError:
            raise UnknownCommand(command_type.__name__) from None

    @property
    def command_types(self) -> tuple[type[Command], ...]:
        return tuple(self._handlers)


REGISTRY = CommandRegistry()


def payload_hash(command: Command) -> str:
    document = {"command": type(command).__name__, "payload": command.model_dump(mode="json")}
    return sha256(dumps_canonical(document)).hexdigest()


class CommandBus:
    def __init__(
        self,
        store: ContractingStore,
        clock: Clock,
        policies: PolicyCatalog,
        registry: CommandRegistry = REGISTRY,
        *,
        committer: GroupCommitter | None = None,
        settings: Settings | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._policies = policies
        self._registry = registry
        self._committer = committer
        self._settings = settings if settings is not None else store.settings

    def execute(self, command: Command, context: CommandContext) -> CommandOutcome:
        handler = self._registry.handler_for(type(command))
        authorize_command(context.actor, command)
        digest = payload_hash(command)
        # A generated command id is new by construction: only a client's key can repeat.
        if "command_id" in context.model_fields_set:
            replay = self._replay(context.command_id, digest)
            if replay is not None:
                return replay
        at = self._clock.now()
        actor = context.actor

        def authorize(aggregate: Aggregate) -> None:
            authorize_aggregates(actor, [aggregate], lambda i: uow.find(Contract, i))

        uow = UnitOfWork(self._store, context.expected_version, authorize=authorize)
        handler_context = HandlerContext(at, self._policies, context.actor, self._settings)
        result = handler(uow, command, handler_context)
        authorize_aggregates(context.actor, uow.touched, lambda i: uow.find(Contract, i))
        target = uow.target
        if target is None:
            raise RuntimeError(f"handler of {type(command).__name__} named no target aggregate")
        changed = uow.changed
        events = [e for aggregate in changed for e in aggregate.pending_events]
        outcome = CommandOutcome(
            command_id=context.command_id,
            command=type(command).__name__,
            aggregate_type=type(target).__name__,
            aggregate_id=target.id,
            version=target.version,
            events=tuple(
                EventRef(aggregate_id=e.originator_id, version=e.originator_version, type=_type(e))
                for e in events
            ),
            accepted_at=at,
            result=result,
        )
        if not events:
            return outcome  # nothing changed (e.g. an overdue flag already set): nothing to record
        record = CommandRecord(
            command_id=context.command_id,
            command=outcome.command,
            payload_hash=digest,
            outcome=outcome.model_dump_json(),
            recorded_at=at.isoformat(),
        )
        metadata = EventMetadata(
            command_id=context.command_id,
            command=outcome.command,
            correlation_id=context.correlation_id,
            actor=context.actor,
        )
        # Each event carries its own aggregate's scope (a revision saves a ceiling and a frame).
        by_aggregate = {a.id: metadata.model_copy(update={"scope": scope_of(a)}) for a in changed}
        first_versions = {a.id: a.pending_events[0].originator_version for a in changed}
        try:
            positions = self._save(changed, record, metadata, by_aggregate)
        except IntegrityError as error:
            replay = self._replay(context.command_id, digest)
            if replay is not None:
                return replay
            raise self._refusal(outcome, first_versions) from error
        self._store.cache_saved(changed)
        return outcome.with_positions(positions)

    def _save(
        self,
        changed: list[Aggregate],
        record: CommandRecord,
        metadata: EventMetadata,
        by_aggregate: dict[UUID, EventMetadata],
    ) -> list[int]:
        if self._committer is not None:
            return self._committer.save(changed, record, metadata, by_aggregate=by_aggregate)
        per_event = {
            (e.originator_id, e.originator_version): by_aggregate[a.id]
            for a in changed
            for e in a.pending_events
        }
        with recording(metadata), recording_each(per_event):
            recordings = self._store.save(*changed, command_record=record)
        return [r.notification.id for r in recordings]

    def _refusal(self, outcome: CommandOutcome, first_versions: dict[UUID, int]) -> DomainError:
        """Tell a lost race from a store that refuses a write for another reason."""
        for aggregate_id, version in first_versions.items():
            if self._store.recorder.select_events(aggregate_id, gt=version - 1, limit=1):
                return ConcurrentWriteConflict(
                    f"{outcome.aggregate_type} {outcome.aggregate_id} was changed concurrently",
                    id=str(outcome.aggregate_id),
                )
        return StoreRefusedWrite(
            "the event store refused the write although no other command changed these"
            " aggregates; run `care-contracts verify`",
            id=str(outcome.aggregate_id),
        )

    def _replay(self, command_id: str, digest: str) -> CommandOutcome | None:
        record = self._store.chain.select_command(command_id)
        if record is None:
            return None
        if record.payload_hash != digest:
            raise IdempotencyKeyReused(
                f"command id {command_id} was used for another {record.command} request",
                command_id=command_id,
                first_command=record.command,
            )
        outcome = CommandOutcome.model_validate_json(record.outcome)
        positions: list[int] = [int(p) for p in json.loads(record.positions)]
        return outcome.with_positions(positions).as_replay()


def _type(event: object) -> str:
    return get_topic(type(event))
