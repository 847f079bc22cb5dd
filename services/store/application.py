"""The contracting event store: one eventsourcing Application, one totally ordered log.

All four aggregate types live in one application so that (a) the notification log orders every
event of the service, which the relay and the audit chain follow, and (b) a revenue-ceiling
revision and its financial-frame reservation are saved in one transaction.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import JSONTranscoder, Mapper
from eventsourcing.utils import Environment

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.services.settings import APP_NAME, Settings, eventsourcing_env
from care_contracts.services.store.mapper import ContractingMapper
from care_contracts.services.store.recorders import ChainReader

__all__ = ["AGGREGATE_TYPES", "ContractingStore"]

AGGREGATE_TYPES: tuple[type[Any], ...] = (
    ProviderApplication,
    Contract,
    RevenueCeiling,
    FinancialFrame,
)


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
