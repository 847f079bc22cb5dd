"""The composition root: settings → policy catalog → store → clock → command bus.

Nothing is built at import time; entry points (CLI, API, benchmarks, tests) call ``build``.
"""

from __future__ import annotations

from dataclasses import dataclass

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import Clock, SystemClock
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.handlers import all_handlers
from care_contracts.services.policy.loader import load_catalog
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.group_commit import GroupCommitter

__all__ = ["Services", "build"]


@dataclass(frozen=True)
class Services:
    settings: Settings
    policies: PolicyCatalog
    store: ContractingStore
    clock: Clock
    bus: CommandBus

    def close(self) -> None:
        self.store.close()


def build(settings: Settings | None = None, *, clock: Clock | None = None) -> Services:
    settings = settings or Settings()
    policies = load_catalog(settings.policy_packs_dir)
    store = ContractingStore(settings)
    clock = clock or SystemClock()
    committer = GroupCommitter(store) if settings.group_commit else None
    bus = CommandBus(store, clock, policies, all_handlers(), committer=committer)
    return Services(settings, policies, store, clock, bus)
