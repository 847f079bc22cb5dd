"""Where each projection stands: position, lag in events and seconds, state, error.

Lag in events is the stream's last sequence minus the projection's (the stream holds only
events). Lag in seconds is the age of the oldest event not yet applied (0 when caught up), so an
idle stream does not look like a slow projection.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime

import nats.js.errors
from nats.js import JetStreamContext
from pydantic import BaseModel, ConfigDict

from care_contracts.projections.base import Projection
from care_contracts.projections.database import ReadDatabase
from care_contracts.projections.runner import SUBJECTS
from care_contracts.projections.state import ProjectionState, states

__all__ = ["ProjectionStatus", "projection_statuses"]


class ProjectionStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    generation: int | None
    status: str  # live, building, failed, not_started
    last_sequence: int
    stream_last_sequence: int
    lag_events: int
    lag_seconds: float
    applied_events: int
    last_event_time: datetime | None
    error: str | None
    rebuilding_generation: int | None


async def projection_statuses(
    projections: Sequence[Projection],
    db: ReadDatabase,
    js: JetStreamContext,
    stream: str,
    now: datetime,
) -> list[ProjectionStatus]:
    """The status of each projection against the stream's current end."""
    info = await js.stream_info(stream)
    last = int(info.state.last_seq)
    rows = await asyncio.to_thread(states, db)
    result = []
    for projection in projections:
        own = [r for r in rows if r.name == projection.name]
        live = next((r for r in own if r.active), None)
        building = next((r for r in own if not r.active), None)
        result.append(
            await _status(
                projection.name,
                live,
                building=building,
                last=last,
                js=js,
                stream=stream,
                now=now,
            )
        )
    return result


async def _status(
    name: str,
    live: ProjectionState | None,
    *,
    building: ProjectionState | None,
    last: int,
    js: JetStreamContext,
    stream: str,
    now: datetime,
) -> ProjectionStatus:
    position = live.last_sequence if live else 0
    behind = max(0, last - position)
    seconds = 0.0
    if behind:
        oldest = await _time_after(js, stream, position)
        seconds = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
    return ProjectionStatus(
        name=name,
        generation=live.generation if live else None,
        status=live.status if live else "not_started",
        last_sequence=position,
        stream_last_sequence=last,
        lag_events=behind,
        lag_seconds=seconds,
        applied_events=live.applied_events if live else 0,
        last_event_time=live.last_event_time if live else None,
        error=live.error if live else None,
        rebuilding_generation=building.generation if building else None,
    )


async def _time_after(js: JetStreamContext, stream: str, sequence: int) -> datetime | None:
    """The decision time of the first event after ``sequence``."""
    try:
        message = await js.get_msg(stream, seq=sequence + 1, subject=SUBJECTS, next=True)
        return datetime.fromisoformat(json.loads(message.data or b"{}")["time"])
    except (nats.js.errors.NotFoundError, KeyError, ValueError):
        return None
