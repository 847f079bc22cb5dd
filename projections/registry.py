"""Every read model the service keeps, by name (the CLI, the service and the tests use it)."""

from __future__ import annotations

from collections.abc import Mapping

from care_contracts.projections.base import Projection
from care_contracts.projections.care_finder.projection import CareFinderProjection
from care_contracts.projections.reporting.projection import ReportingProjection
from care_contracts.projections.timeline.projection import TimelineProjection

__all__ = ["all_projections", "projection_named"]


def all_projections() -> Mapping[str, Projection]:
    projections: tuple[Projection, ...] = (
        CareFinderProjection(),
        ReportingProjection(),
        TimelineProjection(),
    )
    return {p.name: p for p in projections}


def projection_named(name: str) -> Projection:
    """The projection called ``name``; ``KeyError`` naming the known ones otherwise."""
    known = all_projections()
    if name not in known:
        raise KeyError(f"no projection {name!r}; known: {', '.join(sorted(known))}")
    return known[name]
