"""The 2027 contracting season the demo plays: who takes part, and what happens to them when.

Data only; ``runner`` turns every step into API commands. The providers are fictional but shaped
like real ones: 8-digit AGB enterprise codes whose first two digits give the kind of provider
(01 general practice, 02 pharmacy, ...), 8-digit KvK numbers, real cities with a postcode in
their range. The dates follow the packs:

- applications in early October 2026 (Z&Z MSZ and GZSP accept them from 1 January 2026; Caresq
  from 1 July 2026), the multidisciplinary RO's in January 2027 (that pack takes 2027 only);
- Caresq renews its pharmacies on the annual round, signed by Saturday 7 November 2026
  (``CQ-FARM-SIGN-NON-NEGOTIATED``); one lets the date pass and its offer expires;
- applications sign within six weeks of receipt (Z&Z) or four weeks of the offer (Caresq);
- the care finder lists contracted providers from 12 November 2026, never the multidisciplinary
  O&I contracts (organisational funding) and never a suspended contract;
- ceiling overruns are noticed by 1 October 2027 (MSZ and GZSP); the GZSP decision is due by
  1 November 2027.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise

from care_contracts.domain.application.states import Channel, IntegrityAdvice, ReasonKind
from care_contracts.domain.ceiling.outcomes import RefusalReason
from care_contracts.domain.dates import AMSTERDAM
from care_contracts.domain.policy.model import Route

__all__ = [
    "EUCARE",
    "INSURER_NAMES",
    "SEASON_2027",
    "ZZ",
    "Action",
    "AgreeCeilingOn",
    "Apply",
    "Approve",
    "Assess",
    "Decline",
    "DenyRevision",
    "FindTerminationGround",
    "GrantRevision",
    "Investigate",
    "LetExpire",
    "Metric",
    "NoticeOverrun",
    "Offer",
    "OpenFrame",
    "Provider",
    "Reason",
    "Reject",
    "Season",
    "Sign",
    "Step",
    "Suspend",
    "Terminate",
    "WeighGround",
]

ZZ = "zorg-en-zekerheid"
EUCARE = "eucare"
INSURER_NAMES = {ZZ: "Zorg en Zekerheid", EUCARE: "Eucare (Caresq)"}

Metric = bool | str | Decimal


@dataclass(frozen=True)
class Provider:
    key: str  # how the story names it
    name: str
    agb: str
    kvk: str
    city: str
    postcode: str
    insurer: str
    care_type: str
    sub_type: str | None = None
    is_new: bool = False
    role: str | None = None  # an applicant role the pack asks for (the multidisciplinary RO)


# --- what happens: one business act each; the runner sends the commands it takes -------------


@dataclass(frozen=True)
class Apply:
    """The provider applies; on the annual round the insurer opens the renewal itself."""

    provider: str
    route: Route = Route.APPLICATION
    channel: Channel = Channel.WEB_FORM


@dataclass(frozen=True)
class Assess:
    """The officer completes the file, records the metrics and checks every requirement and
    exclusion ground the pack applies for ``contract_type`` (``present``: grounds found, with
    their evidence); hard requirements are evaluated by the service from the metrics."""

    provider: str
    contract_type: str
    metrics: Mapping[str, Metric]
    present: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Investigate:
    """An integrity investigation (RIZ signal) opened and concluded."""

    provider: str
    reason: str
    advice: IntegrityAdvice
    motivation: str


@dataclass(frozen=True)
class Approve:
    """Approve the assessed contract type."""

    provider: str


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    rule: str | None = None


@dataclass(frozen=True)
class Reject:
    provider: str
    reasons: tuple[Reason, ...]
    motivation: str


@dataclass(frozen=True)
class Offer:
    """Offer the approved contract; Caresq states no end date, so its offers name one."""

    provider: str
    ends_on: date | None = None


@dataclass(frozen=True)
class Sign:
    provider: str
    vecozo_ref: str


@dataclass(frozen=True)
class Decline:
    provider: str
    reason: str


@dataclass(frozen=True)
class LetExpire:
    """The signing deadline has passed unsigned: the officer records the expiry."""

    provider: str


@dataclass(frozen=True)
class OpenFrame:
    """The insurer's budget for ceiling revisions of one care type."""

    insurer: str
    care_type: str
    euros: int


@dataclass(frozen=True)
class AgreeCeilingOn:
    provider: str
    euros: int


@dataclass(frozen=True)
class Suspend:
    provider: str
    grounds: tuple[str, ...]


@dataclass(frozen=True)
class FindTerminationGround:
    provider: str
    code: str
    fact_date: date
    evidence: str


@dataclass(frozen=True)
class Terminate:
    provider: str
    grounds: tuple[str, ...]
    effective_on: date


@dataclass(frozen=True)
class NoticeOverrun:
    """The provider notices an expected ceiling overrun (on time or not: the service decides)."""

    provider: str
    channel: str
    expected_euros: int
    grounds: tuple[str, ...]


@dataclass(frozen=True)
class WeighGround:
    provider: str
    ground: str
    established: bool
    evidence: str


@dataclass(frozen=True)
class GrantRevision:
    provider: str
    new_euros: int


@dataclass(frozen=True)
class DenyRevision:
    provider: str
    reasons: tuple[RefusalReason, ...]
    motivation: str


Action = (
    Apply
    | Assess
    | Investigate
    | Approve
    | Reject
    | Offer
    | Sign
    | Decline
    | LetExpire
    | OpenFrame
    | AgreeCeilingOn
    | Suspend
    | FindTerminationGround
    | Terminate
    | NoticeOverrun
    | WeighGround
    | GrantRevision
    | DenyRevision
)


@dataclass(frozen=True)
class Step:
    at: datetime  # the simulated clock is moved here first
    action: Action


@dataclass(frozen=True)
class Season:
    """A scripted season, checked when it is built: a typo fails at import, not halfway."""

    name: str
    year: int  # the contract year applied for
    start: datetime  # where a self-started service's simulated clock begins
    providers: tuple[Provider, ...]
    steps: tuple[Step, ...]
    care_finder_day: date  # the day the closing care-finder table shows

    def __post_init__(self) -> None:
        keys = [p.key for p in self.providers]
        if len(set(keys)) != len(keys):
            raise ValueError("two providers share a key")
        actions = (step.action for step in self.steps)
        named = {a.provider for a in actions if not isinstance(a, OpenFrame)}
        if named - set(keys):
            raise ValueError(f"steps name unknown providers: {sorted(named - set(keys))}")
        times = [self.start, *(s.at for s in self.steps)]
        if any(later < earlier for earlier, later in pairwise(times)):
            raise ValueError("the steps must run forward in time: the clock never goes back")

    def provider(self, key: str) -> Provider:
        return next(p for p in self.providers if p.key == key)

    @property
    def insurers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.insurer for p in self.providers))


def _at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


# --- the providers ------------------------------------------------------------------------------

PROVIDERS = (
    # Z&Z medical specialist care (MSZ): independent treatment centres and a dialysis centre
    Provider("oogkliniek", "Oogkliniek Rijnland", "22010457", "27318462", "Leiden", "2333 CK",
             ZZ, "msz", "zbc"),
    Provider("ortho", "Orthopedisch Centrum Bollenstreek", "22010981", "28104773", "Lisse",
             "2161 EK", ZZ, "msz", "zbc"),
    Provider("huidcentrum", "Huidcentrum Katwijk", "22011736", "71594028", "Katwijk", "2225 HE",
             ZZ, "msz", "zbc", is_new=True),
    Provider("dialyse", "Dialysecentrum Alphen", "22012048", "29047513", "Alphen aan den Rijn",
             "2405 BJ", ZZ, "msz", "dialysis"),
    # Z&Z care for specific patient groups (GZSP)
    Provider("ouderen", "Praktijk Ouderengeneeskunde Leiden", "47002518", "62849107", "Leiden",
             "2316 XB", ZZ, "gzsp"),
    Provider("avg", "AVG-Praktijk Duin en Bollen", "47003094", "65120349", "Noordwijk",
             "2202 NK", ZZ, "gzsp"),
    Provider("gedrag", "Gedragsdeskundig Advies Oegstgeest", "47004417", "68310592",
             "Oegstgeest", "2341 BA", ZZ, "gzsp"),
    Provider("thuis", "Thuisbehandeling Rijnstreek", "47005283", "74402918",
             "Alphen aan den Rijn", "2406 LM", ZZ, "gzsp", is_new=True),
    # Z&Z multidisciplinary primary care (O&I, a regional organisation)
    Provider("ro", "Eerstelijn Duin- en Bollenstreek", "53008842", "80133471", "Noordwijkerhout",
             "2211 AB", ZZ, "multidisciplinary", is_new=True, role="ro"),
    # Eucare pharmaceutical care, bought by Caresq
    Provider("vaart", "Apotheek De Vaart", "02061893", "24287530", "Rotterdam", "3031 EA",
             EUCARE, "pharmacy"),
    Provider("kruispunt", "Apotheek Het Kruispunt", "02067719", "30194825", "Utrecht",
             "3521 AZ", EUCARE, "pharmacy"),
    Provider("dienst", "Dienstapotheek Haaglanden", "02064127", "27260518", "Den Haag",
             "2545 CH", EUCARE, "pharmacy", is_new=True),
    Provider("zuidplein", "Apotheek Zuidplein", "02069032", "24410382", "Rotterdam", "3083 BA",
             EUCARE, "pharmacy", is_new=True),
    # Eucare DISV consumables and dietary preparations
    Provider("sluis", "Apotheekhoudende Huisartsenpraktijk Sluis", "01034518", "22047316",
             "Sluis", "4524 CD", EUCARE, "disv-dietary", is_new=True),
    Provider("medisupply", "MediSupply Nederland", "88011209", "59328017", "Nieuwegein",
             "3439 MN", EUCARE, "disv-dietary", is_new=True),
)  # fmt: skip

# --- the officers' findings ---------------------------------------------------------------------

_ZZ_REGISTERS: dict[str, Metric] = {
    "vecozo_certificate_valid": True,
    "agb_valid_for_term": True,
    "kvk_registered": True,
    "wtza_compliant": True,
    "big_compliant": True,
}
_MSZ_STAFF: dict[str, Metric] = _ZZ_REGISTERS | {
    "medical_staff_big_registered": True,
    "specialists_rgs_registered": True,
    "nen8009_certified": True,
}


def _zbc(fte: str, certificate: str, **more: Metric) -> dict[str, Metric]:
    return _MSZ_STAFF | {
        "institution_kind": "zbc",
        "specialist_fte": Decimal(fte),
        "quality_certificate": certificate,
        **more,
    }


def _gzsp(expected_euros: int, custom_terms: bool) -> dict[str, Metric]:
    return _ZZ_REGISTERS | {
        "expected_claims_cents": Decimal(expected_euros * 100),
        "custom_terms_needed": custom_terms,
        "tariffs_within_nza_maximum": True,
    }


_CQ_REGISTERS: dict[str, Metric] = {"vektis_registered": True, "vecozo_certificate_valid": True}


def _pharmacy(kind: str) -> dict[str, Metric]:
    return _CQ_REGISTERS | {"pharmacy_kind": kind, "claims_via_vecozo_vektis": True}


def _disv(certificate: str, dispensing: bool) -> dict[str, Metric]:
    return _CQ_REGISTERS | {
        "disv_certificate": certificate,
        "claims_via_vecozo_vektis": True,
        "dispensing_provider": dispensing,
    }


_RO: dict[str, Metric] = _ZZ_REGISTERS | {
    "applicant_role": "ro",
    "other_ro_contracted_in_region": False,
    "members_linked_in_vektis": True,
    "region_in_zz_concession": True,
}

_CARESQ_TERM_END = date(2028, 12, 31)  # Caresq prefers multi-year contracts and states no end
_GZSP_MAILBOX = "zorginkoop.wijkverpleging@zorgenzekerheid.nl"  # as the GZSP policy prints it
_MSZ_MAILBOX = "zorginkoop.msz@zorgenzekerheid.nl"
_GROWTH = "ZZ-GZSP-CEILING-GROUND-GROWTH"
_TAX = "ZZ-EXCL-TAX"

# --- the story ----------------------------------------------------------------------------------

STEPS = (
    # October 2026: applications for 2027 (the MSZ policy 1.1 of 1 June 2026 is in force)
    Step(_at(2026, 10, 1, 9), Apply("oogkliniek")),
    Step(_at(2026, 10, 1, 9, 30), Apply("ortho")),
    Step(_at(2026, 10, 1, 11), Apply("huidcentrum")),
    Step(_at(2026, 10, 1, 14), Apply("dialyse")),
    Step(_at(2026, 10, 2, 9), Apply("ouderen")),
    Step(_at(2026, 10, 2, 10), Apply("avg")),
    Step(_at(2026, 10, 2, 11), Apply("gedrag")),
    Step(_at(2026, 10, 2, 15), Apply("thuis")),
    Step(_at(2026, 10, 5, 8), Apply("vaart", Route.ANNUAL_ROUND, Channel.INSURER_INITIATED)),
    Step(_at(2026, 10, 5, 8, 5), Apply("kruispunt", Route.ANNUAL_ROUND, Channel.INSURER_INITIATED)),
    Step(_at(2026, 10, 5, 10), Apply("dienst")),
    Step(_at(2026, 10, 5, 13), Apply("zuidplein")),
    Step(_at(2026, 10, 5, 14), Apply("sluis")),
    Step(_at(2026, 10, 5, 16), Apply("medisupply")),
    # the assessments
    Step(_at(2026, 10, 6, 9), Assess("oogkliniek", "ZZ-MSZ-CT-MAATWERK", _zbc("3.2", "zkn"))),
    Step(_at(2026, 10, 6, 11), Assess("ortho", "ZZ-MSZ-CT-MAATWERK", _zbc("2.0", "hkz"))),
    Step(
        _at(2026, 10, 6, 14),
        Assess(
            "huidcentrum",
            "ZZ-MSZ-CT-MAATWERK",
            _zbc(
                "0.8",
                "zkn",
                zz_revenue_cents=Decimal(6_000_000),
                zz_market_share_pct=Decimal(12),
            ),
        ),
    ),
    Step(
        _at(2026, 10, 6, 16),
        Assess(
            "dialyse",
            "ZZ-MSZ-CT-MAATWERK",
            _MSZ_STAFF | {"institution_kind": "dialysis", "hkz_certified": True},
        ),
    ),
    Step(_at(2026, 10, 7, 9), Assess("ouderen", "ZZ-GZSP-CT-MAATWERK", _gzsp(1_150_000, True))),
    Step(_at(2026, 10, 7, 11), Assess("avg", "ZZ-GZSP-CT-MAATWERK", _gzsp(420_000, True))),
    Step(_at(2026, 10, 7, 14), Assess("gedrag", "ZZ-GZSP-CT-BASIS", _gzsp(80_000, False))),
    Step(_at(2026, 10, 7, 16), Assess("thuis", "ZZ-GZSP-CT-MAATWERK", _gzsp(310_000, True))),
    Step(
        _at(2026, 10, 8, 9),
        Investigate(
            "thuis",
            reason="RIZ signal: claims for care not delivered, reported by another insurer",
            advice=IntegrityAdvice.NEGATIVE,
            motivation="Bibob-style inquiry: serious risk of improper claims by the director",
        ),
    ),
    Step(
        _at(2026, 10, 8, 11), Assess("vaart", "CQ-FARM-CT-BASIS", _pharmacy("community_pharmacy"))
    ),
    Step(
        _at(2026, 10, 8, 12),
        Assess("kruispunt", "CQ-FARM-CT-BASIS", _pharmacy("community_pharmacy")),
    ),
    Step(
        _at(2026, 10, 8, 14),
        Assess("dienst", "CQ-FARM-CT-DIENSTAPOTHEEK", _pharmacy("emergency_pharmacy")),
    ),
    Step(
        _at(2026, 10, 8, 15),
        Assess(
            "zuidplein",
            "CQ-FARM-CT-BASIS",
            _pharmacy("community_pharmacy"),
            present={
                "CQ-EXCL-DATA-BENCHMARK": "claims benchmark 2025: preference rate 61 % against "
                "a peer median of 92 %"
            },
        ),
    ),
    Step(_at(2026, 10, 8, 16), Assess("sluis", "CQ-DISV-CT-DIGITAL", _disv("hkz", True))),
    Step(_at(2026, 10, 9, 9), Assess("medisupply", "CQ-DISV-CT-DIGITAL", _disv("iso", False))),
    # the decisions
    Step(_at(2026, 10, 9, 11), Approve("oogkliniek")),
    Step(_at(2026, 10, 9, 11, 5), Approve("ortho")),
    Step(
        _at(2026, 10, 9, 11, 10),
        Reject(
            "huidcentrum",
            (
                Reason(ReasonKind.REQUIREMENT_NOT_MET, "ZZ-MSZ-ZBC-SPECIALIST-FTE"),
                Reason(ReasonKind.REQUIREMENT_NOT_MET, "ZZ-MSZ-ZBC-NEW-MIN-VOLUME"),
            ),
            "0.8 FTE of medical specialists (at least 1.2 required) and an expected Z&Z revenue"
            " of EUR 60,000 at a 12 % market share (EUR 100,000 or 25 % required)",
        ),
    ),
    Step(_at(2026, 10, 9, 11, 15), Approve("dialyse")),
    Step(_at(2026, 10, 9, 13), Approve("ouderen")),
    Step(_at(2026, 10, 9, 13, 5), Approve("avg")),
    Step(_at(2026, 10, 9, 13, 10), Approve("gedrag")),
    Step(
        _at(2026, 10, 9, 13, 15),
        Reject(
            "thuis",
            (Reason(ReasonKind.EXCLUSION_GROUND, "ZZ-EXCL-NEGATIVE-INTEGRITY"),),
            "negative advice of the integrity investigation of 8 October 2026",
        ),
    ),
    Step(_at(2026, 10, 9, 15), Approve("vaart")),
    Step(_at(2026, 10, 9, 15, 5), Approve("kruispunt")),
    Step(_at(2026, 10, 9, 15, 10), Approve("dienst")),
    Step(
        _at(2026, 10, 9, 15, 15),
        Reject(
            "zuidplein",
            (Reason(ReasonKind.DATA_BENCHMARK, "CQ-EXCL-DATA-BENCHMARK"),),
            "the claims benchmark places the pharmacy far below its peers on preferred products",
        ),
    ),
    Step(_at(2026, 10, 9, 15, 20), Approve("sluis")),
    Step(
        _at(2026, 10, 9, 15, 25),
        Reject(
            "medisupply",
            (Reason(ReasonKind.REQUIREMENT_NOT_MET, "CQ-DISV-DISPENSING-ONLY"),),
            "not a dispensing provider: suppliers fall under Caresq's Hulpmiddelen policy",
        ),
    ),
    # offers in the VECOZO purchasing portal
    Step(_at(2026, 10, 12, 9), Offer("oogkliniek")),
    Step(_at(2026, 10, 12, 9, 5), Offer("ortho")),
    Step(_at(2026, 10, 12, 9, 10), Offer("dialyse")),
    Step(_at(2026, 10, 12, 9, 15), Offer("ouderen")),
    Step(_at(2026, 10, 12, 9, 20), Offer("avg")),
    Step(_at(2026, 10, 12, 9, 25), Offer("gedrag")),
    Step(_at(2026, 10, 13, 9), Offer("vaart", _CARESQ_TERM_END)),
    Step(_at(2026, 10, 13, 9, 5), Offer("kruispunt", _CARESQ_TERM_END)),
    Step(_at(2026, 10, 13, 9, 10), Offer("dienst", _CARESQ_TERM_END)),
    Step(_at(2026, 10, 13, 9, 15), Offer("sluis", _CARESQ_TERM_END)),
    # the answers, before the deadlines
    Step(_at(2026, 10, 20, 16), Sign("oogkliniek", "VZ-2026-104417")),
    Step(_at(2026, 10, 22, 10), Sign("ouderen", "VZ-2026-104862")),
    Step(_at(2026, 10, 22, 15), Sign("vaart", "VZ-2026-105031")),
    Step(_at(2026, 10, 27, 11), Sign("ortho", "VZ-2026-105590")),
    Step(_at(2026, 10, 27, 14), Sign("gedrag", "VZ-2026-105644")),
    Step(_at(2026, 10, 27, 16), Sign("sluis", "VZ-2026-105702")),
    Step(
        _at(2026, 10, 28, 10),
        Decline("dialyse", "the maatwerk tariffs do not cover the cost of night dialysis"),
    ),
    Step(_at(2026, 11, 3, 9), Sign("avg", "VZ-2026-106318")),
    Step(_at(2026, 11, 3, 11), Sign("dienst", "VZ-2026-106355")),
    # Het Kruispunt never signs: its round offer closed on Saturday 7 November
    Step(_at(2026, 11, 9, 9), LetExpire("kruispunt")),
    # revenue ceilings for the maatwerk contracts, within the frames of the insurer
    Step(_at(2026, 11, 16, 9), OpenFrame(ZZ, "msz", 750_000)),
    Step(_at(2026, 11, 16, 9, 5), OpenFrame(ZZ, "gzsp", 150_000)),
    Step(_at(2026, 11, 16, 10), AgreeCeilingOn("oogkliniek", 2_500_000)),
    Step(_at(2026, 11, 16, 10, 5), AgreeCeilingOn("ouderen", 1_200_000)),
    Step(_at(2026, 11, 16, 10, 10), AgreeCeilingOn("avg", 400_000)),
    # 2027: the regional organisation applies by e-mail in the running contract year
    Step(_at(2027, 1, 11, 9), Apply("ro", channel=Channel.EMAIL)),
    Step(_at(2027, 1, 14, 10), Assess("ro", "ZZ-MDZ-CT-OI-REGIOMANAGEMENT", _RO)),
    Step(_at(2027, 1, 15, 10), Approve("ro")),
    Step(_at(2027, 1, 18, 9), Offer("ro")),
    Step(_at(2027, 2, 1, 14), Sign("ro", "VZ-2027-000731")),
    # integrity findings during the year
    Step(
        _at(2027, 3, 15, 9),
        Suspend("gedrag", ("RIZ signal: integrity inquiry into 2026 claims",)),
    ),
    Step(
        _at(2027, 5, 3, 9),
        FindTerminationGround(
            "ortho", _TAX, date(2027, 4, 20), "tax authority: no compliance statement issued"
        ),
    ),
    Step(_at(2027, 5, 3, 11), Terminate("ortho", (_TAX,), date(2027, 6, 1))),
    # ceiling overruns around the notice deadline of 1 October 2027
    Step(_at(2027, 9, 21, 10), NoticeOverrun("ouderen", _GZSP_MAILBOX, 1_290_000, (_GROWTH,))),
    Step(_at(2027, 9, 28, 10), NoticeOverrun("avg", _GZSP_MAILBOX, 455_000, (_GROWTH,))),
    Step(
        _at(2027, 10, 4, 9),
        NoticeOverrun("oogkliniek", _MSZ_MAILBOX, 2_750_000, ("ZZ-MSZ-CEILING-GROUND-GROWTH",)),
    ),
    Step(
        _at(2027, 10, 6, 10),
        WeighGround(
            "ouderen", _GROWTH, True, "Vektis: insured persons over 75 in the region +6.4 %"
        ),
    ),
    Step(
        _at(2027, 10, 7, 10),
        WeighGround("avg", _GROWTH, False, "Vektis: the client group is stable (+0.3 %)"),
    ),
    Step(_at(2027, 10, 12, 10), GrantRevision("ouderen", 1_260_000)),
    Step(
        _at(2027, 10, 19, 10),
        DenyRevision(
            "avg",
            (RefusalReason.NO_GROUND_DEMONSTRATED,),
            "no growth of the client group; the overrun follows from a longer treatment mix",
        ),
    ),
)

SEASON_2027 = Season(
    name="season-2027",
    year=2027,
    start=_at(2026, 10, 1, 8),
    providers=PROVIDERS,
    steps=STEPS,
    care_finder_day=date(2027, 10, 20),
)
