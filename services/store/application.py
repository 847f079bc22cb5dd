"""The contracting event store: one eventsourcing Application, one totally ordered log.

All four aggregate types live in one application so that (a) the notification log orders every
event of the service, which the relay and the audit chain follow, and (b) a revenue-ceiling
revision and its financial-frame reservation are saved in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import deepcopy
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    ProjectorFunction,
    Repository,
    project_aggregate,
)
from eventsourcing.domain import (
    Aggregate,
    BaseAggregate,
    DomainEventProtocol,
    MutableOrImmutableAggregate,
    TDomainEvent,
    TMutableOrImmutableAggregate,
)
from eventsourcing.persistence import InfrastructureFactory, JSONTranscoder, Mapper, Recording
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import Environment, strtobool

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.services.settings import APP_NAME, Settings, eventsourcing_env
from care_contracts.services.store.mapper import ContractingMapper
from care_contracts.services.store.recorders import ChainReader, StatementCachingSQLitePool

__all__ = ["AGGREGATE_TYPES", "ContractingStore"]

AGGREGATE_TYPES: tuple[type[Any], ...] = (
    ProviderApplication,
    Contract,
    RevenueCeiling,
    FinancialFrame,
)


class _ProcessingEvent(ProcessingEvent[UUID]):
    """eventsourcing's, taking an aggregate's events without runtime protocol checks.

    ``ProcessingEvent.collect_events`` asks ``isinstance(obj, DomainEventProtocol)`` and then
    ``CollectEventsProtocol`` of every object saved; on Python 3.11 each such check walks the
    protocol's members (~15 µs per aggregate). An aggregate is no domain event and does collect
    events, so it takes the branch those checks would choose; anything else still goes through
    them.
    """

    def collect_events(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> None:
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            else:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


class _CopyingRepository(Repository[UUID]):
    """eventsourcing's repository, except that a cached aggregate is never changed in place.

    eventsourcing fast-forwards a cached aggregate in place, under a lock per aggregate (a lock
    table kept in two LRU caches), then deep-copies it outside that lock. Here a cache hit is
    copied first and the copy fast-forwarded from the store, as before; if that found events,
    the copy becomes the cache entry and the caller gets a copy of it. As no cached object is
    ever mutated, no lock is needed, and a copy can never catch another thread's fast-forward
    half-way. Every other case (no cache, a past version, no copy asked for) is eventsourcing's.
    """

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: ProjectorFunction[
            TMutableOrImmutableAggregate, TDomainEvent
        ] = project_aggregate,
        fastforward_skipping: bool = False,
        deepcopy_from_cache: bool = True,
    ) -> TMutableOrImmutableAggregate:
        cache = self.cache
        if (
            cache is None
            or version is not None
            or not self.fastforward
            or not (deepcopy_from_cache and self.deepcopy_from_cache)
        ):
            return super().get(
                aggregate_id,
                version=version,
                projector_func=projector_func,
                fastforward_skipping=fastforward_skipping,
                deepcopy_from_cache=deepcopy_from_cache,
            )
        try:
            cached = cache.get(aggregate_id)
        except KeyError:  # rebuilt from snapshot and events, cached, and a copy returned
            return super().get(aggregate_id, projector_func=projector_func)
        aggregate: TMutableOrImmutableAggregate = deepcopy(cast(Any, cached))
        new_events = list(self.event_store.get(aggregate_id, gt=aggregate.version))
        if not new_events:
            return aggregate
        forwarded = projector_func(aggregate, cast(list[TDomainEvent], new_events))
        if forwarded is None:
            raise AggregateNotFoundError(aggregate_id)
        cache.put(aggregate_id, forwarded)
        return deepcopy(forwarded)


class ContractingStore(Application[UUID]):
    name = APP_NAME
    log_section_size = 1000

    def __init__(self, settings: Settings, *, create_tables: bool = True) -> None:
        """Open the store; ``create_tables=False`` opens an existing one only (audit reads)."""
        if create_tables and not settings.uses_postgres:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        env = eventsourcing_env(settings)
        if not create_tables:
            env["CREATE_TABLE"] = "n"
        super().__init__(env=env)

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """``Application.save`` of eventsourcing 9.5.6, step for step, collecting faster."""
        processing_event = _ProcessingEvent()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the deprecated hook, still called by the base
        return recordings

    def cache_saved(self, aggregates: Iterable[Aggregate]) -> None:
        """Keep aggregates a command has just saved as the cached state of their ids.

        eventsourcing puts saved aggregates in its cache only without fast-forwarding; with it
        (the default, kept) the next load found the state before the command and decoded and
        applied the command's own events again. The caller hands the objects over and never
        changes them again (the command bus drops its unit of work). Loads still fast-forward
        from the store, so an event saved meanwhile by another instance, or by a racing thread
        whose put came first, is applied on the next load as before.
        """
        cache = self.repository.cache
        if cache is None:
            return
        for aggregate in aggregates:
            cache.put(aggregate.id, aggregate)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        # Every aggregate type snapshots at the configured interval (0 disables), after saving.
        interval = self.settings.snapshot_interval
        if self.snapshots is None or not interval:
            return
        for event in processing_event.events:
            if event.originator_id in processing_event.aggregates and (
                event.originator_version % interval == 0
            ):
                self.take_snapshot(event.originator_id, version=event.originator_version)

    def construct_env(self, name: str, env: Any = None) -> Environment:
        # Settings are the only source: eventsourcing would otherwise merge os.environ, where a
        # stray CONTRACTING_POSTGRES_SCHEMA would silently beat the configured schema.
        return Environment(name, dict(env or {}))

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        factory = super().construct_factory(env)
        if isinstance(factory, SQLiteFactory):
            # Before anything connects: the same pool, with a real prepared-statement cache.
            stock = factory.datastore.pool
            factory.datastore.pool = StatementCachingSQLitePool.like(stock)
            stock.close()
        return factory

    def construct_repository(self) -> Repository[UUID]:
        # eventsourcing's Application.construct_repository, with the repository above.
        cache_maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return _CopyingRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(cache_maxsize) if cache_maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(
                self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")
            ),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )

    def construct_mapper(self) -> Mapper[UUID]:
        return ContractingMapper(
            transcoder=JSONTranscoder(),
            compressor=self.factory.compressor(),
            cipher=self.factory.cipher(),
        )

    @property
    def contracting_mapper(self) -> ContractingMapper:
        return cast(ContractingMapper, self.mapper)

    @property
    def chain(self) -> ChainReader:
        return cast(ChainReader, self.recorder)
