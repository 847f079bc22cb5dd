"""Group commit: concurrent commands share one transaction, each keeping its own outcome.

The store's commit (an fsync on SQLite, a round trip and a table lock on PostgreSQL) is the floor
under a command's cost. When several threads save at once, the first becomes the leader: it takes
every save queued so far and writes them in one transaction, then serves what queued meanwhile;
the others wait for their own result. A lone caller is its own leader and commits at once, with
no thread hand-off. If a batch fails (one command lost a race, say), each of its saves is retried
alone, so exactly the failing command gets the error and the others commit.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.chain import CommandRecord
from care_contracts.services.store.metadata import EventMetadata, recording, recording_each

__all__ = ["GroupCommitter"]


@dataclass
class _Save:
    """One command's save. Its events are taken off the aggregates up front: eventsourcing's
    ``save`` pops pending events, and a failed batch must still be able to retry each command."""

    aggregates: Sequence[Aggregate]
    record: CommandRecord
    metadata: EventMetadata
    by_aggregate: Mapping[UUID, EventMetadata] = field(default_factory=dict)
    events: list[Any] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    positions: list[int] | None = None
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self.events = [e for a in self.aggregates for e in a.collect_events()]

    def per_event(self) -> dict[tuple[UUID, int], EventMetadata]:
        """Each event's metadata: its aggregate's own (with its scope), else the command's."""
        return {
            (e.originator_id, e.originator_version): self.by_aggregate.get(
                e.originator_id, self.metadata
            )
            for e in self.events
        }

    def objects(self) -> list[Any]:
        # The aggregates (no longer pending anything) still go along, for snapshots and cache.
        return [*self.aggregates, *self.events]


class GroupCommitter:
    def __init__(self, store: ContractingStore, *, max_batch: int = 128) -> None:
        self._store = store
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Save] = []
        self._leading = False
        self.batches = 0  # transactions written, for metrics and the benchmark
        self.saves = 0

    def save(
        self,
        aggregates: Sequence[Aggregate],
        record: CommandRecord,
        metadata: EventMetadata,
        *,
        by_aggregate: Mapping[UUID, EventMetadata] | None = None,
    ) -> list[int]:
        """Save one command's aggregates; returns the positions of its events, in order.

        ``by_aggregate`` overrides ``metadata`` for the events of the aggregates it names.
        """
        item = _Save(aggregates, record, metadata, dict(by_aggregate or {}))
        with self._lock:
            self._queue.append(item)
            lead = not self._leading
            if lead:
                self._leading = True
        if lead:
            self._lead()
        item.done.wait()
        if item.error is not None:
            raise item.error
        assert item.positions is not None
        return item.positions

    def _lead(self) -> None:
        while True:
            with self._lock:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                if not batch:
                    self._leading = False
                    return
            try:
                self._write(batch)
            finally:
                for item in batch:
                    item.done.set()

    def _write(self, batch: list[_Save]) -> None:
        self.batches += 1
        self.saves += len(batch)
        if len(batch) == 1:
            self._write_one(batch[0])
            return
        try:
            per_event: dict[tuple[UUID, int], EventMetadata] = {
                key: meta for item in batch for key, meta in item.per_event().items()
            }
            with recording_each(per_event):
                recordings = self._store.save(
                    *(a for item in batch for a in item.aggregates),
                    *(e for item in batch for e in item.events),
                    command_records=[(item.record, len(item.events)) for item in batch],
                )
        except Exception:  # one save of the batch failed: retry each alone to isolate it
            for item in batch:
                self._write_one(item)
            return
        positions = [r.notification.id for r in recordings]
        offset = 0
        for item in batch:
            count = len(item.events)
            item.positions = positions[offset : offset + count]
            offset += count

    def _write_one(self, item: _Save) -> None:
        try:
            with recording(item.metadata), recording_each(item.per_event()):
                recordings = self._store.save(*item.objects(), command_record=item.record)
            item.positions = [r.notification.id for r in recordings]
        except BaseException as error:  # handed to the command's own thread
            item.error = error
