"""One published event as a line of the auditors' timeline (pure, no database).

The issue: "Every event of a contract and its application and ceiling, with actor, decision time,
policy pack and rule codes, readable by a person." ``describe`` turns one event into a
``TimelineEntry``: its envelope facts (who decided, when, under which policy pack, in which
correlation), the rule codes that decided it and a one-line English summary.

Rule codes are the event's ``rules`` plus the decisive codes its data names where they are not
in ``rules``: a requirement's or exclusion ground's ``code``, the rules of an application's
rejection reasons, the integrity ground a concluded investigation establishes, the grounds of a
suspension or termination (the domain's ground codes), and the ceiling grounds claimed, assessed
or revised on. Decisive codes come first, duplicates are dropped, order is kept.

Links: an application, a ceiling and a frame reservation do not carry their contract's id, and
an application's events come before its contract exists. So an entry records the link only as
the event states it (an offer names its application, an agreed ceiling its contract, a frame
reservation or release its ceiling) and the query joins the links when it reads: no stored line
is ever rewritten when a link arrives later, and a rebuild gives the same rows.

Data is read through one small tolerant model per event type (``readers.py``,
``extra="ignore"``; ``rules`` optional), never the producer's strict models. Data the model
cannot read stops the projection with a ``ProjectionError`` naming the event.
"""

from __future__ import annotations

from datetime import datetime
from typing import get_args
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from care_contracts.projections.base import ProjectionError
from care_contracts.projections.events import EventType, ProjectedEvent
from care_contracts.projections.timeline.readers import TimelineLink, reader_of

__all__ = ["TimelineEntry", "TimelineLink", "describe"]


class TimelineEntry(BaseModel):
    """One event on the timeline: who decided what, when, under which rules, in one line.

    ``time`` is the decision time (the CloudEvents ``time``, UTC); ``sequence`` the JetStream
    stream sequence (0 when read from the store); ``position`` the store's log position, the
    order of the timeline. ``link`` and ``ceiling_id`` are the link facts the event states.
    """

    model_config = ConfigDict(frozen=True)

    event_id: str
    aggregate: str
    aggregate_id: UUID
    version: int
    sequence: int
    position: int
    time: datetime
    event_type: EventType
    actor_role: str
    actor_id: str
    correlation_id: str
    policy_pack: str | None
    rule_codes: tuple[str, ...]
    summary: str
    link: TimelineLink | None = None
    ceiling_id: UUID | None = None


_READERS = {kind: reader_of(kind) for kind in get_args(EventType)}  # reader_of, looked up once


def describe(event: ProjectedEvent) -> TimelineEntry:
    """The timeline entry of ``event``; ``ProjectionError`` when its data cannot be read."""
    reader = _READERS[event.type]
    try:
        data = reader.model_validate(event.data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        raise ProjectionError(event, f"unreadable data ({problems})") from error
    codes = (*data.decisive_codes(), *data.rules)
    return TimelineEntry(
        event_id=event.id,
        aggregate=event.aggregate,
        aggregate_id=event.aggregate_id,
        version=event.version,
        sequence=event.sequence,
        position=event.position,
        time=event.time,
        event_type=event.type,
        actor_role=event.actor_role,
        actor_id=event.actor_id,
        correlation_id=event.correlation_id,
        policy_pack=event.policy_pack,
        rule_codes=tuple(dict.fromkeys(code for code in codes if code)),
        summary=" ".join(data.summary().split()),  # free text may hold line breaks
        link=data.link_to(event.aggregate_id),
        ceiling_id=data.concerns_ceiling(),
    )
