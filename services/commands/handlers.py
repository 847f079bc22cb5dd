"""Every command handler, registered in one place: import this to get the full registry."""

from __future__ import annotations

from care_contracts.services.commands import applications as _applications
from care_contracts.services.commands import ceilings as _ceilings
from care_contracts.services.commands import contracts as _contracts
from care_contracts.services.commands.bus import REGISTRY, CommandRegistry

__all__ = ["all_handlers"]

_MODULES = (_applications, _contracts, _ceilings)


def all_handlers() -> CommandRegistry:
    """The registry with every handler module loaded (they register when imported)."""
    if not _MODULES:  # the imports above are what fill REGISTRY
        raise RuntimeError("no handler modules")
    return REGISTRY
