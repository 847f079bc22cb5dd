"""Reports for procurement officers and management, as of now or as of any past instant.

Every report counts the fact rows whose decision time is at or before ``as_of`` (an aware
instant), so the same question asked of a past instant gets the answer the model would have given
then, whatever was decided since. Days (a lapsed offer, a started contract, days left to sign)
are Europe/Amsterdam calendar days of that instant, with the deadline semantics of brief §6.1.

- ``pipeline``: applications and contracts by insurer × care type × state. A contract's state is
  read off the day as the domain's ``status_on`` does: a signed contract is ``active`` from its
  start date and ``ended`` after its term, an offer past its deadline ``expired`` even before the
  deadline timer records it (brief §4.5); a termination counts from its decision.
- ``offer_outcomes``: offers signed within the deadline first offered, signed after an extension,
  expired (as recorded by the timer), declined and withdrawn.
- ``time_to_signature``: offer to signature, median and 90th percentile (linear interpolation
  between closest ranks, as Excel's PERCENTILE.INC), overall and per insurer × care type.
- ``offers_expiring_within``: offers open at ``now`` whose deadline is today or within N days.
- ``ceiling_notices``: overrun notices on time (and how many amended a pending one) and late.
- ``revision_decisions``: revisions granted and refused (and how many of those late), and
  ceilings flagged overdue that are still undecided.
- ``rejection_reasons``: reasons of rejected applications by kind and rule code.
- ``report``: all of them from one read snapshot.

Results are sorted in Python (by insurer, care type, then the row's own keys), so both backends
return the same order whatever their text collation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import floor
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from care_contracts.domain.dates import local_date
from care_contracts.projections.base import Tables
from care_contracts.projections.database import Cursor, ReadDatabase, Row
from care_contracts.projections.reporting.projection import ReportingProjection, at_key
from care_contracts.projections.state import active_state

__all__ = [
    "CeilingNoticeCounts",
    "ExpiringOffer",
    "OfferOutcomeCounts",
    "Pipeline",
    "PipelineCount",
    "RejectionReasonCount",
    "Report",
    "RevisionDecisionCounts",
    "SignatureTime",
    "SignatureTimes",
    "ceiling_notices",
    "offer_outcomes",
    "offers_expiring_within",
    "pipeline",
    "rejection_reasons",
    "report",
    "revision_decisions",
    "time_to_signature",
]

_NAME = ReportingProjection.name


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class PipelineCount(_Result):
    kind: Literal["application", "contract"]
    insurer: str
    care_type: str
    state: str
    count: int


class Pipeline(_Result):
    as_of: datetime
    counts: tuple[PipelineCount, ...]

    def count(
        self,
        kind: Literal["application", "contract"],
        state: str,
        *,
        insurer: str | None = None,
        care_type: str | None = None,
    ) -> int:
        """How many ``kind`` were in ``state``, for one insurer and/or care type or all."""
        return sum(
            c.count
            for c in self.counts
            if c.kind == kind
            and c.state == state
            and insurer in (None, c.insurer)
            and care_type in (None, c.care_type)
        )


class OfferOutcomeCounts(_Result):
    insurer: str
    care_type: str
    signed_within_deadline: int  # on or before the deadline first offered
    signed_after_extension: int  # after it, before an extended one
    expired: int
    declined: int
    withdrawn: int


class SignatureTime(_Result):
    """Offer to signature for ``signed`` contracts; no insurer and care type: all of them."""

    insurer: str | None
    care_type: str | None
    signed: int
    median: timedelta
    p90: timedelta


class SignatureTimes(_Result):
    overall: SignatureTime | None  # None while no offer is signed
    by_scope: tuple[SignatureTime, ...]


class ExpiringOffer(_Result):
    contract_id: UUID
    insurer: str
    care_type: str
    provider_name: str | None
    agb_enterprise: str | None
    offered_at: datetime
    signing_deadline: date
    days_left: int  # 0: the deadline is today


class CeilingNoticeCounts(_Result):
    insurer: str
    care_type: str
    on_time: int
    amending: int  # on-time notices that amended a pending one
    late: int


class RevisionDecisionCounts(_Result):
    insurer: str
    care_type: str
    granted: int
    granted_late: int
    refused: int
    refused_late: int
    overdue: int  # flagged overdue and not decided


class RejectionReasonCount(_Result):
    insurer: str
    care_type: str
    kind: str
    rule: str | None
    count: int


class Report(_Result):
    as_of: datetime
    pipeline: Pipeline
    offer_outcomes: tuple[OfferOutcomeCounts, ...]
    time_to_signature: SignatureTimes
    expiring_within_days: int
    expiring_offers: tuple[ExpiringOffer, ...]
    ceiling_notices: tuple[CeilingNoticeCounts, ...]
    revision_decisions: tuple[RevisionDecisionCounts, ...]
    rejection_reasons: tuple[RejectionReasonCount, ...]


@dataclass(frozen=True)
class _Reader:
    """A read snapshot and the live generation's tables (None before the first run)."""

    cur: Cursor
    tables: Tables | None

    def rows(self, sql: str, params: Sequence[object]) -> list[Row]:
        """``sql`` with ``{base}`` table names filled in; no rows while there are no tables."""
        if self.tables is None:
            return []
        tables = self.tables
        names = {base: tables[base] for base in ReportingProjection.table_names}
        return self.cur.execute(sql.format(**names), params).fetchall()


@contextmanager
def _reading(db: ReadDatabase) -> Iterator[_Reader]:
    with db.reading() as cur:
        state = active_state(cur, _NAME)
        yield _Reader(cur, None if state is None else state.tables)


def pipeline(db: ReadDatabase, as_of: datetime) -> Pipeline:
    with _reading(db) as reader:
        return _pipeline(reader, as_of)


def offer_outcomes(db: ReadDatabase, as_of: datetime) -> tuple[OfferOutcomeCounts, ...]:
    with _reading(db) as reader:
        return _offer_outcomes(reader, as_of)


def time_to_signature(db: ReadDatabase, as_of: datetime) -> SignatureTimes:
    with _reading(db) as reader:
        return _time_to_signature(reader, as_of)


def offers_expiring_within(db: ReadDatabase, now: datetime, days: int) -> tuple[ExpiringOffer, ...]:
    with _reading(db) as reader:
        return _expiring(reader, now, days)


def ceiling_notices(db: ReadDatabase, as_of: datetime) -> tuple[CeilingNoticeCounts, ...]:
    with _reading(db) as reader:
        return _ceiling_notices(reader, as_of)


def revision_decisions(db: ReadDatabase, as_of: datetime) -> tuple[RevisionDecisionCounts, ...]:
    with _reading(db) as reader:
        return _revision_decisions(reader, as_of)


def rejection_reasons(db: ReadDatabase, as_of: datetime) -> tuple[RejectionReasonCount, ...]:
    with _reading(db) as reader:
        return _rejection_reasons(reader, as_of)


def report(db: ReadDatabase, as_of: datetime, *, expiring_within_days: int = 14) -> Report:
    """Every report as of one instant, from one snapshot (the figures agree with each other)."""
    with _reading(db) as reader:
        return Report(
            as_of=as_of,
            pipeline=_pipeline(reader, as_of),
            offer_outcomes=_offer_outcomes(reader, as_of),
            time_to_signature=_time_to_signature(reader, as_of),
            expiring_within_days=expiring_within_days,
            expiring_offers=_expiring(reader, as_of, expiring_within_days),
            ceiling_notices=_ceiling_notices(reader, as_of),
            revision_decisions=_revision_decisions(reader, as_of),
            rejection_reasons=_rejection_reasons(reader, as_of),
        )


# Each entity's highest-version transition at or before the instant (the last placeholder).
_LATEST = (
    "SELECT entity_id, entity_kind, insurer, care_type, state, signing_deadline, starts_on,"
    " ends_on, ROW_NUMBER() OVER (PARTITION BY entity_id ORDER BY version DESC) AS recency"
    " FROM {reporting_transitions} WHERE at <= ?"
)
_PIPELINE = (
    "SELECT entity_kind, insurer, care_type, shown, COUNT(*) FROM ("
    " SELECT entity_kind, insurer, care_type, CASE"
    "  WHEN state = 'offered' AND signing_deadline < ? THEN 'expired'"
    "  WHEN state = 'signed' AND ends_on < ? THEN 'ended'"
    "  WHEN state = 'signed' AND starts_on <= ? THEN 'active'"
    "  ELSE state END AS shown"
    f" FROM ({_LATEST}) AS latest WHERE recency = 1"
    ") AS shown_states GROUP BY entity_kind, insurer, care_type, shown"
)


def _pipeline(reader: _Reader, as_of: datetime) -> Pipeline:
    day = local_date(as_of).isoformat()
    rows = reader.rows(_PIPELINE, (day, day, day, at_key(as_of)))
    counts = sorted(
        (
            PipelineCount(kind=r[0], insurer=r[1], care_type=r[2], state=r[3], count=int(r[4]))
            for r in rows
        ),
        key=lambda c: (c.kind, c.insurer, c.care_type, c.state),
    )
    return Pipeline(as_of=as_of, counts=tuple(counts))


def _offer_outcomes(reader: _Reader, as_of: datetime) -> tuple[OfferOutcomeCounts, ...]:
    rows = reader.rows(
        "SELECT insurer, care_type,"
        " SUM(CASE WHEN outcome = 'signed' AND within_original_deadline = 1 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN outcome = 'signed' AND within_original_deadline = 0 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN outcome = 'expired' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN outcome = 'declined' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN outcome = 'withdrawn' THEN 1 ELSE 0 END)"
        " FROM {reporting_offer_outcomes} WHERE at <= ? GROUP BY insurer, care_type",
        (at_key(as_of),),
    )
    return tuple(
        OfferOutcomeCounts(
            insurer=r[0],
            care_type=r[1],
            signed_within_deadline=int(r[2]),
            signed_after_extension=int(r[3]),
            expired=int(r[4]),
            declined=int(r[5]),
            withdrawn=int(r[6]),
        )
        for r in sorted(rows, key=_scope)
    )


def _time_to_signature(reader: _Reader, as_of: datetime) -> SignatureTimes:
    rows = reader.rows(
        "SELECT insurer, care_type, offered_at, at FROM {reporting_offer_outcomes}"
        " WHERE outcome = 'signed' AND at <= ?",
        (at_key(as_of),),
    )
    by_scope: defaultdict[tuple[str, str], list[timedelta]] = defaultdict(list)
    for insurer, care_type, offered_at, signed_at in rows:
        took = datetime.fromisoformat(signed_at) - datetime.fromisoformat(offered_at)
        by_scope[(insurer, care_type)].append(took)
    everything = [took for durations in by_scope.values() for took in durations]
    return SignatureTimes(
        overall=_signature_time(None, None, everything) if everything else None,
        by_scope=tuple(
            _signature_time(insurer, care_type, durations)
            for (insurer, care_type), durations in sorted(by_scope.items())
        ),
    )


def _signature_time(
    insurer: str | None, care_type: str | None, durations: Sequence[timedelta]
) -> SignatureTime:
    ordered = sorted(durations)
    return SignatureTime(
        insurer=insurer,
        care_type=care_type,
        signed=len(ordered),
        median=_percentile(ordered, 0.5),
        p90=_percentile(ordered, 0.9),
    )


def _percentile(ordered: Sequence[timedelta], fraction: float) -> timedelta:
    """Linear interpolation between the closest ranks of a sorted, non-empty sample."""
    position = (len(ordered) - 1) * fraction
    low = floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _expiring(reader: _Reader, now: datetime, days: int) -> tuple[ExpiringOffer, ...]:
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    today = local_date(now)
    last = today + timedelta(days=days)
    rows = reader.rows(
        "SELECT latest.entity_id, latest.insurer, latest.care_type, entity.provider_name,"
        " entity.agb_enterprise, entity.offered_at, latest.signing_deadline"
        f" FROM ({_LATEST}) AS latest"
        " JOIN {reporting_entities} AS entity ON entity.entity_id = latest.entity_id"
        " WHERE latest.recency = 1 AND latest.entity_kind = 'contract'"
        " AND latest.state = 'offered'"
        " AND latest.signing_deadline >= ? AND latest.signing_deadline <= ?",
        (at_key(now), today.isoformat(), last.isoformat()),
    )
    offers = (
        ExpiringOffer(
            contract_id=UUID(r[0]),
            insurer=r[1],
            care_type=r[2],
            provider_name=r[3],
            agb_enterprise=r[4],
            offered_at=datetime.fromisoformat(r[5]),
            signing_deadline=date.fromisoformat(r[6]),
            days_left=(date.fromisoformat(r[6]) - today).days,
        )
        for r in rows
    )
    return tuple(sorted(offers, key=lambda o: (o.signing_deadline, str(o.contract_id))))


def _ceiling_notices(reader: _Reader, as_of: datetime) -> tuple[CeilingNoticeCounts, ...]:
    rows = reader.rows(
        "SELECT insurer, care_type,"
        " SUM(CASE WHEN late = 0 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN late = 0 AND amends = 1 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN late = 1 THEN 1 ELSE 0 END)"
        " FROM {reporting_ceiling_notices} WHERE at <= ? GROUP BY insurer, care_type",
        (at_key(as_of),),
    )
    return tuple(
        CeilingNoticeCounts(
            insurer=r[0], care_type=r[1], on_time=int(r[2]), amending=int(r[3]), late=int(r[4])
        )
        for r in sorted(rows, key=_scope)
    )


def _revision_decisions(reader: _Reader, as_of: datetime) -> tuple[RevisionDecisionCounts, ...]:
    at = at_key(as_of)
    rows = reader.rows(
        "SELECT insurer, care_type,"
        " SUM(CASE WHEN decision = 'granted' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN decision = 'granted' AND late = 1 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN decision = 'refused' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN decision = 'refused' AND late = 1 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN decision = 'overdue' AND NOT EXISTS ("
        "  SELECT 1 FROM {reporting_revision_decisions} AS decided"
        "  WHERE decided.ceiling_id = flagged.ceiling_id AND decided.decision <> 'overdue'"
        "  AND decided.at <= ?) THEN 1 ELSE 0 END)"
        " FROM {reporting_revision_decisions} AS flagged WHERE flagged.at <= ?"
        " GROUP BY insurer, care_type",
        (at, at),
    )
    return tuple(
        RevisionDecisionCounts(
            insurer=r[0],
            care_type=r[1],
            granted=int(r[2]),
            granted_late=int(r[3]),
            refused=int(r[4]),
            refused_late=int(r[5]),
            overdue=int(r[6]),
        )
        for r in sorted(rows, key=_scope)
    )


def _rejection_reasons(reader: _Reader, as_of: datetime) -> tuple[RejectionReasonCount, ...]:
    rows = reader.rows(
        "SELECT insurer, care_type, kind, rule, COUNT(*) FROM {reporting_rejection_reasons}"
        " WHERE at <= ? GROUP BY insurer, care_type, kind, rule",
        (at_key(as_of),),
    )
    counts = (
        RejectionReasonCount(insurer=r[0], care_type=r[1], kind=r[2], rule=r[3], count=int(r[4]))
        for r in rows
    )
    return tuple(sorted(counts, key=lambda c: (c.insurer, c.care_type, c.kind, c.rule or "")))


def _scope(row: Row) -> tuple[str, str]:
    return (str(row[0]), str(row[1]))
