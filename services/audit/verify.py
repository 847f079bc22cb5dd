"""Verify the store against its hash chain: walk the event rows and the chain rows in step.

At every position the event row's hash is recomputed with ``link_hash(prev, position, row)`` and
compared with its chain row; each chain row must continue from its predecessor's hash; each
aggregate's versions must come in order and run 1..n. Findings name the position and the damage:

- ``edited``: the event row no longer hashes to its chain row (its state, topic or ids changed);
- ``deleted``: a chain row whose event row is gone;
- ``inserted``: an event row without a chain row (forged, or its chain row removed);
- ``reordered``: the event row at a position is another event than the chain recorded there, or an
  aggregate's versions come out of order;
- ``chain_broken``: a chain row was rewritten (its hash is not what its successor chained to, or its
  prev_hash is not its predecessor's hash) or rows of the chain are missing;
- ``version_gap``: versions of an aggregate are missing (a deleted event and its chain row).

Whether a hash mismatch is an edited event or an edited chain row is told by the successor chain
row: it chained to the stored hash (the event changed) or to the recomputed one (the chain row
changed). The newest row has no successor, so there it is reported as ``edited``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from eventsourcing.persistence import Notification
from pydantic import BaseModel, ConfigDict

from care_contracts.services.audit.log import PAGE_SIZE, LogRow, originator_of, walk
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.chain import GENESIS, ChainLink, link_hash

__all__ = ["Finding", "FindingKind", "VerifyReport", "verify"]


class FindingKind(StrEnum):
    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    CHAIN_BROKEN = "chain_broken"
    VERSION_GAP = "version_gap"


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    position: int
    kind: FindingKind
    aggregate_id: UUID | None
    version: int | None
    detail: str


class VerifyReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    events: int
    chain_rows: int
    aggregates: int
    head_position: int | None
    head_hash: str | None
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings


def verify(store: ContractingStore, *, page_size: int = PAGE_SIZE) -> VerifyReport:
    """Walk the whole log and chain once (a page at a time) and report every inconsistency."""
    checker = _Checker()
    for row in walk(store, page_size=page_size):
        checker.check(row)
    findings: dict[tuple[int, FindingKind, UUID | None, int | None], Finding] = {}
    for finding in checker.finish():
        key = (finding.position, finding.kind, finding.aggregate_id, finding.version)
        if key not in findings and not _committed_meanwhile(store, finding):
            findings[key] = finding  # one finding per damage, whichever check saw it first
    head = checker.prev_link
    return VerifyReport(
        events=checker.events,
        chain_rows=checker.chain_rows,
        aggregates=len(checker.aggregates),
        head_position=head.position if head else None,
        head_hash=head.hash if head else None,
        findings=tuple(sorted(findings.values(), key=lambda f: (f.position, f.kind))),
    )


@dataclass(slots=True)
class _Versions:
    """What the walk has seen of one aggregate: enough to tell order and gaps, not the events."""

    highest: int = 0
    count: int = 0
    skips: list[tuple[int, int, int]] = field(default_factory=list)  # position, missing from..to


@dataclass(frozen=True, slots=True)
class _Suspect:
    """A chain row whose event does not hash to it; its successor tells which of the two changed."""

    link: ChainLink
    recomputed: str


@dataclass(slots=True)
class _Checker:
    events: int = 0
    chain_rows: int = 0
    prev_link: ChainLink | None = None
    suspect: _Suspect | None = None
    aggregates: dict[UUID, _Versions] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def report(
        self,
        position: int,
        kind: FindingKind,
        aggregate: UUID | None,
        version: int | None,
        why: str,
    ) -> None:
        self.findings.append(
            Finding(
                position=position, kind=kind, aggregate_id=aggregate, version=version, detail=why
            )
        )

    def check(self, row: LogRow) -> None:
        event, link = row.event, row.link
        matched = None
        if event is not None and link is not None:
            if (originator_of(event), event.originator_version) == (
                link.originator_id,
                link.originator_version,
            ):
                matched = event
            else:
                self.report(
                    row.position,
                    FindingKind.REORDERED,
                    originator_of(event),
                    event.originator_version,
                    f"the chain recorded {link.originator_id} v{link.originator_version} here",
                )
        elif event is not None:
            self.report(
                row.position,
                FindingKind.INSERTED,
                originator_of(event),
                event.originator_version,
                "an event row without a chain row",
            )
        elif link is not None:
            self.report(
                row.position,
                FindingKind.DELETED,
                link.originator_id,
                link.originator_version,
                "the chain records an event whose row is gone",
            )
        if link is not None:
            self.chain_rows += 1
            self._link(row.position, link, matched)
        if event is not None:
            self.events += 1
            self._order(row.position, event)

    def _link(self, position: int, link: ChainLink, event: Notification | None) -> None:
        expected = self.prev_link.hash if self.prev_link else GENESIS
        continuous = link.prev_hash == expected
        if self.suspect is not None:
            continuous = self._settle(self.suspect, link) or continuous
            self.suspect = None
        own = link_hash(link.prev_hash, position, event) if event is not None else None
        own_hash_ok = own is None or own == link.hash
        if not continuous:
            if event is not None and link_hash(expected, position, event) == link.hash:
                why = "its prev_hash was rewritten (the row hashes from its true predecessor)"
                own_hash_ok = True
            else:
                why = "its prev_hash is not its predecessor's hash (chain rows gone or rewritten)"
            self.report(
                position, FindingKind.CHAIN_BROKEN, link.originator_id, link.originator_version, why
            )
        if not own_hash_ok and own is not None:
            self.suspect = _Suspect(link, own)
        self.prev_link = link

    def _settle(self, suspect: _Suspect, successor: ChainLink) -> bool:
        """Decide the suspect's finding; True when the successor's link to it is explained."""
        link = suspect.link
        if successor.prev_hash == link.hash:
            why = "the event row no longer hashes to its chain row (state, topic or ids changed)"
            self.report(
                link.position, FindingKind.EDITED, link.originator_id, link.originator_version, why
            )
            return True
        if successor.prev_hash == suspect.recomputed:
            why = "its chain row's hash was rewritten (the event row still hashes to the original)"
            self.report(
                link.position,
                FindingKind.CHAIN_BROKEN,
                link.originator_id,
                link.originator_version,
                why,
            )
            return True
        why = "neither the event row nor the chain row agrees with the next chain row"
        self.report(
            link.position, FindingKind.EDITED, link.originator_id, link.originator_version, why
        )
        return False

    def _order(self, position: int, event: Notification) -> None:
        originator = originator_of(event)
        seen = self.aggregates.setdefault(originator, _Versions())
        version = event.originator_version
        if version <= seen.highest:
            why = f"v{version} comes after v{seen.highest} of the same aggregate"
            self.report(position, FindingKind.REORDERED, originator, version, why)
        elif version > seen.highest + 1:
            seen.skips.append((position, seen.highest + 1, version - 1))
        seen.count += 1
        seen.highest = max(seen.highest, version)

    def finish(self) -> list[Finding]:
        if self.suspect is not None:
            link = self.suspect.link
            why = "the newest event row does not hash to its chain row (one of the two changed)"
            self.report(
                link.position, FindingKind.EDITED, link.originator_id, link.originator_version, why
            )
            self.suspect = None
        for originator, seen in self.aggregates.items():
            if seen.count == seen.highest:
                continue  # versions 1..n, each once (the primary key forbids duplicates)
            for position, first, last in seen.skips:
                missing = f"v{first}" if first == last else f"v{first} to v{last}"
                why = f"{missing} missing: {seen.count} of {seen.highest} versions recorded"
                self.report(position, FindingKind.VERSION_GAP, originator, first, why)
        return self.findings


def _committed_meanwhile(store: ContractingStore, finding: Finding) -> bool:
    """A row half-seen at the end of the walk because a command committed during it: now whole."""
    if finding.kind not in (FindingKind.DELETED, FindingKind.INSERTED):
        return False
    position = finding.position
    events = store.recorder.select_notifications(position, 1, stop=position)
    links = [x for x in store.chain.select_chain(position - 1, 1) if x.position == position]
    if not events or not links:
        return False
    event, link = events[0], links[0]
    same = (originator_of(event), event.originator_version) == (
        link.originator_id,
        link.originator_version,
    )
    return same and link_hash(link.prev_hash, position, event) == link.hash
