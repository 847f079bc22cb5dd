"""Plays a season through the HTTP API, as the insurers' officers and the providers would.

``play_season`` creates bearer tokens in the service's own token store (an officer per insurer, a
provider per AGB code, an operator who moves the simulated clock), then plays every step: the
clock is moved to the step's instant, and the step's commands are sent, each under an
``Idempotency-Key`` derived from the season, the step and the command's place in it. It shows a
progress bar, waits (bounded) until the care finder lists exactly the contracts the season
expects, and returns a ``SeasonReport``; ``print_report`` prints it. ``self_started_service``
runs a whole service (embedded NATS, SQLite in a given folder) in a thread for the demo.

An unexpected refusal stops the season with a ``DemoError`` naming the step and the problem's
code and detail. Expiring an offer is the one expected refusal: the deadline watcher may have
expired it first, which the contract's state then shows.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import assert_never
from uuid import UUID

import httpx2
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from care_contracts.domain.application.guards import INTEGRITY_GROUND
from care_contracts.domain.application.states import Origin, Outcome
from care_contracts.domain.contract.status import TerminationInitiator
from care_contracts.domain.dates import local_date
from care_contracts.domain.policy.catalog import ResolvedPack
from care_contracts.domain.policy.model import PackRef, Route, RuleKind
from care_contracts.domain.policy.rules import ApplicationProfile, applies_to
from care_contracts.projections.care_finder.query import Listing
from care_contracts.services.api.tokens import TokenGrant, open_token_store
from care_contracts.services.commands import applications as app
from care_contracts.services.commands import ceilings as cei
from care_contracts.services.commands import contracts as con
from care_contracts.services.commands.base import Command
from care_contracts.services.demo import season as s
from care_contracts.services.demo.client import Accepted, ApiClient, ApiRefusal
from care_contracts.services.runtime import ServiceRuntime, Started
from care_contracts.services.settings import Settings
from care_contracts.services.store.metadata import Role

__all__ = [
    "DemoError",
    "RejectedApplication",
    "RunningService",
    "SeasonReport",
    "Tally",
    "play_season",
    "print_report",
    "self_started_service",
]


# How an expiry the deadline watcher recorded first (or at the same moment) is refused.
_LOST_TO_THE_WATCHER = frozenset({"offer_not_open", "concurrent_write_conflict"})


class DemoError(Exception):
    """The demo cannot go on; the message says why and what to do."""


class Tally(StrEnum):
    """What the summary counts, per insurer."""

    SUBMITTED = "applications submitted"
    APPROVED = "applications approved"
    REJECTED = "applications rejected"
    OFFERED = "contracts offered"
    SIGNED = "offers signed"
    DECLINED = "offers declined"
    EXPIRED = "offers expired"
    SUSPENDED = "contracts suspended"
    TERMINATED = "contracts terminated"
    FRAMES = "financial frames opened"
    CEILINGS = "revenue ceilings agreed"
    NOTICE_ON_TIME = "overrun notices on time"
    NOTICE_LATE = "overrun notices too late"
    REVISION_GRANTED = "ceiling revisions granted"
    REVISION_REFUSED = "ceiling revisions refused"


@dataclass(frozen=True)
class RejectedApplication:
    provider: str
    insurer: str
    care_type: str
    reasons: tuple[str, ...]  # "requirement_not_met ZZ-MSZ-ZBC-SPECIALIST-FTE"
    motivation: str


@dataclass
class SeasonReport:
    season: str
    counts: Counter[tuple[Tally, str]]  # (what, insurer)
    rejections: list[RejectedApplication]
    care_finder_day: date
    care_finder: list[Listing]

    def count(self, tally: Tally, insurer: str | None = None) -> int:
        return sum(n for (t, i), n in self.counts.items() if t is tally and insurer in (None, i))


@dataclass(frozen=True)
class RunningService:
    url: str
    settings: Settings


@dataclass
class _Case:
    """One provider's way through the season: the ids the API handed out, and where it stands."""

    provider: s.Provider
    route: Route = Route.APPLICATION
    application_id: UUID | None = None
    application_pack: PackRef | None = None
    contract_type: str | None = None
    contract_id: UUID | None = None
    contract_location: str = ""
    contract_pack: PackRef | None = None
    ceiling_id: UUID | None = None
    signed: bool = False
    suspended: bool = False
    terminated_from: date | None = None


@dataclass
class _Tokens:
    officers: dict[str, str] = field(default_factory=dict)  # by insurer
    providers: dict[str, str] = field(default_factory=dict)  # by AGB code
    operator: str = ""


def play_season(
    url: str,
    settings: Settings,
    console: Console,
    season: s.Season = s.SEASON_2027,
    *,
    ready_timeout_s: float = 30,
    finder_timeout_s: float = 30,
) -> SeasonReport:
    """Play ``season`` against the service at ``url`` whose data lives where ``settings`` say."""
    try:
        with ApiClient(url) as client:
            now = _season_clock(client, season)
            if not _until(client.ready, ready_timeout_s):
                raise DemoError(f"{url}/readyz did not say ready within {ready_timeout_s:g} s")
            player = _Player(client, _issue_tokens(settings, season), season, now)
            player.play(console)
            return player.report(finder_timeout_s)
    except httpx2.TransportError as error:
        raise DemoError(f"cannot reach the service at {url}: {error}") from error
    except ApiRefusal as refusal:
        raise DemoError(_explain(refusal)) from refusal


def _issue_tokens(settings: Settings, season: s.Season) -> _Tokens:
    """Tokens in the service's own store: created against its data, never over HTTP."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_token_store(settings)
    now = datetime.now(UTC)
    tokens = _Tokens()
    try:
        for insurer in season.insurers:
            grant = TokenGrant(
                role=Role.OFFICER, subject=f"demo-officer-{insurer}", insurer=insurer
            )
            tokens.officers[insurer] = store.create(grant, now).token
        for provider in season.providers:
            grant = TokenGrant(
                role=Role.PROVIDER, subject=provider.agb, agb=provider.agb, label=provider.name
            )
            tokens.providers[provider.agb] = store.create(grant, now).token
        operator = TokenGrant(role=Role.OPERATOR, subject="demo-operator", label="demo clock")
        tokens.operator = store.create(operator, now).token
    finally:
        store.close()
    return tokens


def _season_clock(client: ApiClient, season: s.Season) -> datetime:
    """The service's simulated time, which must not be past the season's first step."""
    reading = client.clock()
    if not reading.simulated:
        raise DemoError(
            "the service runs on the system clock; start it with"
            " `care-contracts serve --clock simulated --clock-start 2026-10-01`"
        )
    first = season.steps[0].at
    if reading.now > first:
        raise DemoError(
            f"the service's clock is at {reading.now.isoformat()}, after the season's first"
            f" step ({first.isoformat()}): play the demo against a fresh service"
        )
    return reading.now


class _Player:
    def __init__(self, client: ApiClient, tokens: _Tokens, season: s.Season, now: datetime) -> None:
        self.client = client
        self.tokens = tokens
        self.season = season
        self.now = now  # the service's clock, as last moved
        self.cases = {p.key: _Case(p) for p in season.providers}
        self.frames: dict[tuple[str, str], UUID] = {}
        self.packs: dict[PackRef, ResolvedPack] = {}
        self.counts: Counter[tuple[Tally, str]] = Counter()
        self.rejections: list[RejectedApplication] = []
        self._step = 0
        self._sent = 0

    def play(self, console: Console) -> None:
        description = Column(width=64, no_wrap=True, overflow="ellipsis")
        columns = (
            TextColumn("{task.description}", table_column=description),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(self.season.name, total=len(self.season.steps))
            for number, step in enumerate(self.season.steps, start=1):
                title = _title(step.action, self.season)
                progress.update(task, description=f"{local_date(step.at):%d %b %Y}  {title}")
                try:
                    self._play(number, step)
                except ApiRefusal as error:
                    where = f"step {number} ({title}, {step.at:%Y-%m-%d})"
                    raise DemoError(f"{where}: {_explain(error)}") from error
                progress.advance(task)
            progress.update(task, description=f"{self.season.name}: every step played")

    def report(self, finder_timeout_s: float) -> SeasonReport:
        day = self.season.care_finder_day
        expected = self._expected_listing(day)
        found: list[Listing] = []

        def caught_up() -> bool:
            found[:] = self.client.care_finder(day)
            return {listing.contract_id for listing in found} == expected

        if not _until(caught_up, finder_timeout_s):
            names = {c.contract_id: c.provider.name for c in self.cases.values()}
            listed = {listing.contract_id for listing in found}
            raise DemoError(
                f"after {finder_timeout_s:g} s the care finder of {day} still misses"
                f" {sorted(names[i] for i in expected - listed)} and lists"
                f" {sorted(names.get(i, str(i)) for i in listed - expected)} unexpectedly"
            )
        return SeasonReport(self.season.name, self.counts, self.rejections, day, found)

    # --- steps --------------------------------------------------------------------------------

    def _play(self, number: int, step: s.Step) -> None:
        self._step, self._sent = number, 0
        if step.at > self.now:
            self.now = self.client.move_clock(step.at, token=self.tokens.operator)
        match step.action:
            case s.Apply() as action:
                self._apply(action)
            case s.Assess() as action:
                self._assess(action)
            case s.Investigate() as action:
                self._investigate(action)
            case s.Approve() as action:
                self._approve(action)
            case s.Reject() as action:
                self._reject(action)
            case s.Offer() as action:
                self._offer(action)
            case s.Sign() as action:
                self._sign(action)
            case s.Decline() as action:
                self._decline(action)
            case s.LetExpire() as action:
                self._expire(action)
            case s.OpenFrame() as action:
                self._open_frame(action)
            case s.AgreeCeilingOn() as action:
                self._agree_ceiling(action)
            case s.Suspend() as action:
                self._suspend(action)
            case s.FindTerminationGround() as action:
                self._termination_ground(action)
            case s.Terminate() as action:
                self._terminate(action)
            case s.NoticeOverrun() as action:
                self._notice(action)
            case s.WeighGround() as action:
                self._weigh(action)
            case s.GrantRevision() as action:
                self._grant(action)
            case s.DenyRevision() as action:
                self._deny(action)
            case unknown:
                assert_never(unknown)

    def _apply(self, action: s.Apply) -> None:
        case = self.cases[action.provider]
        p = case.provider
        by_insurer = action.route is Route.ANNUAL_ROUND  # a renewal the insurer opens
        command = app.SubmitApplication(
            agb_enterprise=p.agb,
            kvk=p.kvk,
            name=p.name,
            city=p.city,
            postcode=p.postcode,
            role=p.role,
            insurer=p.insurer,
            year=self.season.year,
            care_type=p.care_type,
            sub_type=p.sub_type,
            route=action.route,
            origin=Origin.INSURER if by_insurer else Origin.PROVIDER,
            channel=action.channel,
            is_new_provider=p.is_new,
        )
        accepted = self._send(command, self._officer(case) if by_insurer else self._provider(case))
        case.route = action.route
        case.application_id = accepted.outcome.aggregate_id
        case.application_pack = _pack_ref(accepted.result["pack"])
        self._tally(Tally.SUBMITTED, case)

    def _assess(self, action: s.Assess) -> None:
        case = self.cases[action.provider]
        application_id, officer = self._application(case), self._officer(case)
        assert case.application_pack is not None
        pack = self._pack(case.application_pack)
        self._send(app.MarkApplicationComplete(application_id=application_id), officer)
        metrics = app.RecordApplicationMetrics(
            application_id=application_id,
            metrics=dict(action.metrics),
            evidence="registers checked and figures confirmed by the officer",
        )
        self._send(metrics, officer)
        p = case.provider
        profile = ApplicationProfile(
            sub_type=p.sub_type,
            is_new_provider=p.is_new,
            route=case.route,
            applicant_role=p.role,
            contract_type=action.contract_type,
        )
        for requirement in pack.requirements:
            if applies_to(requirement.applies, profile):
                hard = requirement.kind is RuleKind.HARD
                outcome = app.RecordRequirementOutcome(
                    application_id=application_id,
                    code=requirement.code,
                    evidence=requirement.evidence,
                    outcome=None if hard else Outcome.MET,
                    motivation=None if hard else "checked against the policy text and the file",
                )
                self._send(outcome, officer)
        for ground in pack.exclusion_grounds:
            if ground.code == INTEGRITY_GROUND or not applies_to(ground.applies, profile):
                continue  # the integrity ground follows only from a concluded investigation
            found = action.present.get(ground.code)
            finding = app.RecordExclusionFinding(
                application_id=application_id,
                code=ground.code,
                present=found is not None,
                subject=p.name,
                evidence=found or "registers and file checked: nothing found",
            )
            self._send(finding, officer)
        case.contract_type = action.contract_type

    def _investigate(self, action: s.Investigate) -> None:
        case = self.cases[action.provider]
        application_id, officer = self._application(case), self._officer(case)
        opened = app.OpenIntegrityInvestigation(application_id=application_id, reason=action.reason)
        self._send(opened, officer)
        concluded = app.ConcludeIntegrityInvestigation(
            application_id=application_id, advice=action.advice, motivation=action.motivation
        )
        self._send(concluded, officer)

    def _approve(self, action: s.Approve) -> None:
        case = self.cases[action.provider]
        assert case.contract_type is not None, "approve after the assessment"
        command = app.ApproveApplication(
            application_id=self._application(case), contract_type=case.contract_type
        )
        self._send(command, self._officer(case))
        self._tally(Tally.APPROVED, case)

    def _reject(self, action: s.Reject) -> None:
        case = self.cases[action.provider]
        command = app.RejectApplication(
            application_id=self._application(case),
            reasons=tuple(app.Rejection(kind=r.kind, rule=r.rule) for r in action.reasons),
            motivation=action.motivation,
        )
        self._send(command, self._officer(case))
        self._tally(Tally.REJECTED, case)
        p = case.provider
        reasons = tuple(f"{r.kind} {r.rule or ''}".strip() for r in action.reasons)
        self.rejections.append(
            RejectedApplication(p.name, p.insurer, p.care_type, reasons, action.motivation)
        )

    def _offer(self, action: s.Offer) -> None:
        case = self.cases[action.provider]
        command = con.OfferContract(application_id=self._application(case), ends_on=action.ends_on)
        accepted = self._send(command, self._officer(case))
        case.contract_id = accepted.outcome.aggregate_id
        case.contract_location = accepted.location
        case.contract_pack = _pack_ref(accepted.result["pack"])
        self._tally(Tally.OFFERED, case)

    def _sign(self, action: s.Sign) -> None:
        case = self.cases[action.provider]
        command = con.SignContract(contract_id=self._contract(case), vecozo_ref=action.vecozo_ref)
        self._send(command, self._provider(case))
        case.signed = True
        self._tally(Tally.SIGNED, case)

    def _decline(self, action: s.Decline) -> None:
        case = self.cases[action.provider]
        command = con.DeclineOffer(contract_id=self._contract(case), reason=action.reason)
        self._send(command, self._provider(case))
        self._tally(Tally.DECLINED, case)

    def _expire(self, action: s.LetExpire) -> None:
        """Record the lapse; accept that the deadline watcher recorded it first."""
        case = self.cases[action.provider]
        try:
            self._send(con.ExpireOffer(contract_id=self._contract(case)), self._officer(case))
        except ApiRefusal as refusal:
            if refusal.code not in _LOST_TO_THE_WATCHER or self._contract_status(case) != "expired":
                raise
        self._tally(Tally.EXPIRED, case)

    def _open_frame(self, action: s.OpenFrame) -> None:
        command = cei.OpenFinancialFrame(
            insurer=action.insurer,
            year=self.season.year,
            care_type=action.care_type,
            amount_cents=action.euros * 100,
        )
        accepted = self._send(command, self.tokens.officers[action.insurer])
        self.frames[(action.insurer, action.care_type)] = accepted.outcome.aggregate_id
        self.counts[(Tally.FRAMES, action.insurer)] += 1

    def _agree_ceiling(self, action: s.AgreeCeilingOn) -> None:
        case = self.cases[action.provider]
        command = cei.AgreeCeiling(
            contract_id=self._contract(case),
            year=self.season.year,
            amount_cents=action.euros * 100,
        )
        case.ceiling_id = self._send(command, self._officer(case)).outcome.aggregate_id
        self._tally(Tally.CEILINGS, case)

    def _suspend(self, action: s.Suspend) -> None:
        case = self.cases[action.provider]
        command = con.SuspendContract(contract_id=self._contract(case), grounds=action.grounds)
        self._send(command, self._officer(case))
        case.suspended = True
        self._tally(Tally.SUSPENDED, case)

    def _termination_ground(self, action: s.FindTerminationGround) -> None:
        case = self.cases[action.provider]
        command = con.EstablishTerminationGround(
            contract_id=self._contract(case),
            code=action.code,
            fact_date=action.fact_date,
            evidence=action.evidence,
        )
        self._send(command, self._officer(case))

    def _terminate(self, action: s.Terminate) -> None:
        case = self.cases[action.provider]
        command = con.TerminateContract(
            contract_id=self._contract(case),
            grounds=action.grounds,
            effective_on=action.effective_on,
            initiated_by=TerminationInitiator.INSURER,
        )
        self._send(command, self._officer(case))
        case.terminated_from = action.effective_on
        self._tally(Tally.TERMINATED, case)

    def _notice(self, action: s.NoticeOverrun) -> None:
        case = self.cases[action.provider]
        command = cei.ReportExpectedOverrun(
            ceiling_id=self._ceiling(case),
            channel=action.channel,
            expected_amount_cents=action.expected_euros * 100,
            grounds_claimed=action.grounds,
        )
        accepted = self._send(command, self._provider(case))
        late = accepted.result.get("notice") == "rejected_late"
        self._tally(Tally.NOTICE_LATE if late else Tally.NOTICE_ON_TIME, case)

    def _weigh(self, action: s.WeighGround) -> None:
        case = self.cases[action.provider]
        command = cei.RecordCeilingGroundEvidence(
            ceiling_id=self._ceiling(case),
            ground=action.ground,
            evidence=action.evidence,
            established=action.established,
        )
        self._send(command, self._officer(case))

    def _grant(self, action: s.GrantRevision) -> None:
        case = self.cases[action.provider]
        command = cei.ApproveCeilingRevision(
            ceiling_id=self._ceiling(case),
            frame_id=self._frame(case),
            new_amount_cents=action.new_euros * 100,
        )
        self._send(command, self._officer(case))
        self._tally(Tally.REVISION_GRANTED, case)

    def _deny(self, action: s.DenyRevision) -> None:
        case = self.cases[action.provider]
        command = cei.RefuseCeilingRevision(
            ceiling_id=self._ceiling(case),
            frame_id=self._frame(case),
            reasons=action.reasons,
            motivation=action.motivation,
        )
        self._send(command, self._officer(case))
        self._tally(Tally.REVISION_REFUSED, case)

    # --- helpers ------------------------------------------------------------------------------

    def _send(self, command: Command, token: str) -> Accepted:
        self._sent += 1
        key = f"demo:{self.season.name}:{self._step:03d}:{self._sent:03d}"
        return self.client.send(command, token=token, key=key)

    def _tally(self, tally: Tally, case: _Case) -> None:
        self.counts[(tally, case.provider.insurer)] += 1

    def _officer(self, case: _Case) -> str:
        return self.tokens.officers[case.provider.insurer]

    def _provider(self, case: _Case) -> str:
        return self.tokens.providers[case.provider.agb]

    def _pack(self, ref: PackRef) -> ResolvedPack:
        """The pack version as the service publishes it, with its general policy merged in
        (read for which rules apply and for the care-finder policy; the service evaluates)."""
        if ref not in self.packs:
            pack = self.client.policy_pack(ref)
            parent = None if pack.parent is None else self.client.policy_pack(pack.parent)
            self.packs[ref] = ResolvedPack(pack, parent)
        return self.packs[ref]

    def _contract_status(self, case: _Case) -> str:
        state = self.client.resource(case.contract_location, token=self._officer(case))
        return str(state["state"]["status"])

    def _expected_listing(self, day: date) -> set[UUID]:
        """The contracts the care finder should show on ``day``, by the season's own record."""
        expected: set[UUID] = set()
        for case in self.cases.values():
            if case.contract_id is None or case.contract_pack is None:
                continue
            policy = self._pack(case.contract_pack).pack.care_finder
            listed = policy is not None and policy.listed
            published = policy is not None and (policy.publish_from or day) <= day
            live = case.terminated_from is None or case.terminated_from > day
            if case.signed and not case.suspended and live and listed and published:
                expected.add(case.contract_id)
        return expected

    @staticmethod
    def _application(case: _Case) -> UUID:
        assert case.application_id is not None, f"{case.provider.key} has not applied"
        return case.application_id

    @staticmethod
    def _contract(case: _Case) -> UUID:
        assert case.contract_id is not None, f"{case.provider.key} has no contract offer"
        return case.contract_id

    @staticmethod
    def _ceiling(case: _Case) -> UUID:
        assert case.ceiling_id is not None, f"{case.provider.key} has no revenue ceiling"
        return case.ceiling_id

    def _frame(self, case: _Case) -> UUID:
        return self.frames[(case.provider.insurer, case.provider.care_type)]


def _pack_ref(text: object) -> PackRef:
    pack_id, _, version = str(text).partition("@")
    return PackRef(id=pack_id, version=version)


def _explain(refusal: ApiRefusal) -> str:
    if refusal.code == "unauthenticated":
        return (
            f"{refusal} (the service does not know the demo's tokens: with --url, --data-dir"
            " must be that service's data dir)"
        )
    return str(refusal)


def _until(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Whether ``condition`` came true within ``timeout_s`` (polled every 0.1 s)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _title(action: s.Action, season: s.Season) -> str:
    """The progress bar's line for a step."""
    if isinstance(action, s.OpenFrame):
        return f"{s.INSURER_NAMES[action.insurer]} opens its {action.care_type} ceiling frame"
    name = season.provider(action.provider).name
    match action:
        case s.Apply(route=Route.ANNUAL_ROUND):
            return f"{name}: renewal opened by the insurer"
        case s.Apply():
            return f"{name} applies"
        case s.Assess():
            return f"{name}: assessment"
        case s.Investigate():
            return f"{name}: integrity investigation"
        case s.Approve():
            return f"{name}: approved"
        case s.Reject():
            return f"{name}: rejected"
        case s.Offer():
            return f"{name}: contract offered"
        case s.Sign():
            return f"{name} signs"
        case s.Decline():
            return f"{name} declines the offer"
        case s.LetExpire():
            return f"{name}: offer expired"
        case s.AgreeCeilingOn():
            return f"{name}: revenue ceiling agreed"
        case s.Suspend():
            return f"{name}: contract suspended"
        case s.FindTerminationGround():
            return f"{name}: termination ground found"
        case s.Terminate():
            return f"{name}: contract terminated"
        case s.NoticeOverrun():
            return f"{name} notices a ceiling overrun"
        case s.WeighGround():
            return f"{name}: overrun ground weighed"
        case s.GrantRevision():
            return f"{name}: ceiling revision granted"
        case s.DenyRevision():
            return f"{name}: ceiling revision refused"


def print_report(report: SeasonReport, console: Console) -> None:
    """The summary (counts by outcome and insurer), the rejections and the care finder."""
    insurers = list(s.INSURER_NAMES)
    summary = Table(
        "outcome",
        *(s.INSURER_NAMES[i] for i in insurers),
        "total",
        title=f"Summary of {report.season}",
    )
    for tally in Tally:
        counts = [report.count(tally, insurer) for insurer in insurers]
        summary.add_row(tally.value, *(str(n) for n in counts), str(sum(counts)))
    console.print(summary)

    rejected = Table(
        "provider", "insurer", "care type", "reasons", "motivation", title="Rejected applications"
    )
    for r in report.rejections:
        rejected.add_row(
            r.provider, s.INSURER_NAMES[r.insurer], r.care_type, "\n".join(r.reasons), r.motivation
        )
    console.print(rejected)

    finder = Table(
        "provider",
        "AGB",
        "place",
        "insurer",
        "care type",
        "contract period",
        title=f"Care finder on {report.care_finder_day:%d %B %Y}",
    )
    for listing in report.care_finder:
        care = listing.care_type + (f" ({listing.sub_type})" if listing.sub_type else "")
        finder.add_row(
            listing.provider_name,
            listing.agb_code,
            f"{listing.postcode} {listing.city}",
            s.INSURER_NAMES.get(listing.insurer, listing.insurer),
            care,
            f"{listing.period.starts_on} to {listing.period.ends_on}",
        )
    console.print(finder)


@contextmanager
def self_started_service(data_dir: Path, start: datetime) -> Iterator[RunningService]:
    """The whole service in a thread on a free port: embedded NATS, SQLite under ``data_dir``,
    a simulated clock from ``start``; stopped (and its failure raised) on leaving."""
    settings = Settings(
        data_dir=data_dir,
        nats_url=None,  # the embedded nats-server, whatever the environment says
        postgres_dsn=None,  # never a shared database: the demo's data is its own
        read_store_dsn=None,
        relay_poll_interval_s=0.05,
    )
    runtime = ServiceRuntime(settings, port=0, simulated_start=start)
    started: list[Started] = []
    failures: list[BaseException] = []
    ready = threading.Event()

    def on_started(found: Started) -> None:
        started.append(found)
        ready.set()

    def run() -> None:
        try:
            asyncio.run(runtime.run(on_started=on_started))
        except BaseException as error:  # handed to the caller's thread below
            failures.append(error)
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="demo-service", daemon=True)
    thread.start()
    ready.wait(60)
    if not started:
        thread.join(30)
        cause = failures[0] if failures else None
        raise DemoError(f"the service did not start: {cause or 'no answer within 60 s'}") from cause
    try:
        yield RunningService(started[0].api_url, settings)
    finally:
        runtime.request_stop()
        thread.join(60)
    if thread.is_alive():
        raise DemoError("the service did not stop within 60 s")
    if failures:
        raise DemoError(f"the service failed: {failures[0]}") from failures[0]
