"""The deadline watcher: issues the date-driven commands once their day has passed (brief §4.5).

Each round (``run_once``) reads the notification log after the last position it read into a
``DeadlineIndex`` (only the topics that move a deadline, up to the log's head at the start of the
round; from position 0 after a start), then issues every deadline due at ``clock.now()`` through
the command bus as the ``system`` actor ``deadline-watcher``: ``ExpireOffer``, ``EndContract``,
``FlagCeilingDecisionOverdue``. Time is read from the clock every round, never slept towards, so a
``SimulatedClock`` moved forward by an officer makes the next round act.

Idempotent and safe with several instances: a deadline's command id is derived from it
(``deadline:expire:<contract id>:<deadline>``), so the bus returns a repeat (by another instance
that had not yet read the event, or after a restart) as a replay of the first outcome and appends
nothing; two racing first deliveries commit once, the loser gets the winner's outcome or, having
loaded the new state, a refusal. A refusal (someone acted on the aggregate after the round read
the log, a concurrent write) is counted in the round and logged at info when it first appears,
never raised: the next round reads the events that explain it. Correctness never depends on the
watcher: every command re-checks its deadline against the command's own time. An event the index
cannot read (a ceiling pinned to a pack missing from the catalog) fails the round at that event,
every round and loudly, rather than let a deadline pass unseen.

``run_forever`` runs a round in a worker thread every ``interval_s`` until ``stop`` is set, counts
rounds by result in the service metrics and logs once per state change
(``deadline_watcher.watching``, ``deadline_watcher.failing``, ``deadline_watcher.stopped``). Each
appended command is counted and logged (``deadline_watcher.appended``) as it is accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

import structlog

from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.api.metrics import DEADLINE_WATCHER_APPENDED, DEADLINE_WATCHER_RUNS
from care_contracts.services.clock import Clock
from care_contracts.services.commands.base import Command, CommandContext
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.ceilings import FlagCeilingDecisionOverdue
from care_contracts.services.commands.contracts import EndContract, ExpireOffer
from care_contracts.services.commands.errors import StoreRefusedWrite
from care_contracts.services.deadlines.index import TOPICS, Deadline, DeadlineIndex, DeadlineKind
from care_contracts.services.policy.loader import load_catalog
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.metadata import Actor, Role

__all__ = ["WATCHER", "DeadlineWatcher", "WatchRound"]

WATCHER = Actor(role=Role.SYSTEM, subject="deadline-watcher")

log = structlog.get_logger("care_contracts.deadlines")

_COMMANDS: Mapping[DeadlineKind, Callable[[UUID], Command]] = {
    DeadlineKind.EXPIRE_OFFER: lambda i: ExpireOffer(contract_id=i),
    DeadlineKind.END_CONTRACT: lambda i: EndContract(contract_id=i),
    DeadlineKind.FLAG_CEILING_DECISION_OVERDUE: lambda i: FlagCeilingDecisionOverdue(ceiling_id=i),
}


class _Result(StrEnum):
    APPENDED = "appended"  # the command stored its event
    REPLAYED = "replayed"  # issued before (by any instance): the first outcome, nothing stored
    UNCHANGED = "unchanged"  # accepted with nothing to store (a ceiling flag not yet due)
    REFUSED = "refused"  # a domain refusal: nothing stored, the next round reads why


@dataclass(frozen=True)
class WatchRound:
    """What one round read and did; each due deadline is in exactly one of the four groups."""

    at: datetime  # the clock's instant the round judged deadlines by
    read: int  # events read into the index (deadline topics only)
    position: int  # the notification log position read up to
    pending: int  # deadlines known after reading, due or not
    appended: tuple[Deadline, ...] = ()
    replayed: tuple[Deadline, ...] = ()
    unchanged: tuple[Deadline, ...] = ()
    refused: tuple[Deadline, ...] = ()


class DeadlineWatcher:
    """Follows one store's log and issues due deadlines through ``bus`` (see the module doc)."""

    def __init__(
        self,
        store: ContractingStore,
        bus: CommandBus,
        clock: Clock,
        *,
        batch: int = 500,
        policies: PolicyCatalog | None = None,
    ) -> None:
        """``policies`` gives the ceilings' decision deadlines; by default the packs the store's
        settings name, as the service's composition root loads them."""
        if batch < 1:
            raise ValueError("a batch reads at least one event")
        self._store = store
        self._bus = bus
        self._clock = clock
        self._batch = batch
        if policies is None:
            policies = load_catalog(store.settings.policy_packs_dir)
        self._index = DeadlineIndex(policies)
        self._position = 0
        self._refusals: dict[str, str] = {}  # command id → error code, to log each only once
        self._state: str | None = None

    @property
    def position(self) -> int:
        """The notification log position the index has read up to."""
        return self._position

    @property
    def state(self) -> str | None:
        """None before ``run_forever``'s first round, then watching, failing or stopped."""
        return self._state

    def run_once(self) -> WatchRound:
        """Read the new events, then issue every deadline due now (blocking: run it in a thread)."""
        read = self._catch_up()
        at = self._clock.now()
        pending = self._index.pending()
        due = [d for d in pending if d.is_due(at)]
        last_round, self._refusals = self._refusals, {}
        results = {r: list[Deadline]() for r in _Result}
        for deadline in due:
            results[self._issue(deadline, last_round)].append(deadline)
        return WatchRound(
            at=at,
            read=read,
            position=self._position,
            pending=len(pending),
            appended=tuple(results[_Result.APPENDED]),
            replayed=tuple(results[_Result.REPLAYED]),
            unchanged=tuple(results[_Result.UNCHANGED]),
            refused=tuple(results[_Result.REFUSED]),
        )

    async def run_forever(self, stop: asyncio.Event, interval_s: float) -> None:
        """A round every ``interval_s`` seconds until ``stop`` is set; a failed round is retried."""
        while not stop.is_set():
            try:
                done = await asyncio.to_thread(self.run_once)
            except Exception as error:
                DEADLINE_WATCHER_RUNS.labels("failed").inc()
                self._change(
                    "failing", error=f"{type(error).__name__}: {error}", retry_in_s=interval_s
                )
            else:
                DEADLINE_WATCHER_RUNS.labels("ok").inc()
                self._change("watching", position=done.position)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
        self._change("stopped", position=self._position)

    def _catch_up(self) -> int:
        """Read the deadline topics up to the head as it is now; the position moves to the head.

        PostgreSQL and SQLite commit notification ids in order, so every event up to the head
        read first is visible to the reads after it, and none is skipped by moving past it.
        """
        head = self._store.recorder.max_notification_id() or 0
        read = 0
        while self._position < head:
            page = self._store.recorder.select_notifications(
                start=self._position + 1, limit=self._batch, stop=head, topics=TOPICS
            )
            for notification in page:
                body = self._store.contracting_mapper.read_body(notification)
                self._index.apply(
                    notification.topic, UUID(str(notification.originator_id)), body["data"]
                )
                self._position = notification.id
            read += len(page)
            if len(page) < self._batch:
                self._position = head
        return read

    def _issue(self, deadline: Deadline, last_round: Mapping[str, str]) -> _Result:
        command = _COMMANDS[deadline.kind](deadline.aggregate_id)
        context = CommandContext(
            actor=WATCHER, command_id=deadline.command_id, correlation_id=deadline.command_id
        )
        try:
            outcome = self._bus.execute(command, context)
        except DomainError as refusal:
            self._refused(deadline, command, refusal, last_round.get(deadline.command_id))
            return _Result.REFUSED
        if outcome.replayed:
            return _Result.REPLAYED
        if not outcome.events:
            return _Result.UNCHANGED
        DEADLINE_WATCHER_APPENDED.labels(outcome.command).inc()
        log.info(
            "deadline_watcher.appended",
            command=outcome.command,
            aggregate_id=str(deadline.aggregate_id),
            deadline=deadline.deadline.isoformat(),
            events=[e.type for e in outcome.events],
        )
        return _Result.APPENDED

    def _refused(
        self, deadline: Deadline, command: Command, refusal: DomainError, before: str | None
    ) -> None:
        self._refusals[deadline.command_id] = refusal.code
        if before == refusal.code:
            return  # refused the same way last round: logged then
        # A store refusing a write without a competing command is no domain answer: say so louder.
        log_line = log.warning if isinstance(refusal, StoreRefusedWrite) else log.info
        log_line(
            "deadline_watcher.refused",
            command=type(command).__name__,
            aggregate_id=str(deadline.aggregate_id),
            deadline=deadline.deadline.isoformat(),
            code=refusal.code,
            detail=refusal.detail,
        )

    def _change(self, state: str, **values: object) -> None:
        if self._state == state:
            return
        self._state = state
        log_line = log.error if state == "failing" else log.info
        log_line(f"deadline_watcher.{state}", **values)
