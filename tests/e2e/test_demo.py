"""``care-contracts demo``: the 2027 season played through the HTTP API of a self-started service.

The season's own bookkeeping is checked against what the story scripts (every count comes from a
command the service accepted, the late notice from the service's verdict), and the care finder
must list exactly the providers that are contracted on 20 October 2027: not the declined, expired,
rejected, suspended or terminated ones, and not the multidisciplinary RO, which is never listed.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx2
import pytest
import structlog
from rich.console import Console
from typer.testing import CliRunner

from care_contracts.domain.dates import AMSTERDAM
from care_contracts.services.cli import app
from care_contracts.services.demo.client import ApiClient
from care_contracts.services.demo.runner import (
    DemoError,
    Tally,
    _Player,
    _Tokens,
    play_season,
    self_started_service,
)
from care_contracts.services.demo.season import (
    EUCARE,
    SEASON_2027,
    ZZ,
    LetExpire,
    Provider,
    Season,
    Step,
)

pytestmark = pytest.mark.nats

LISTED_ON_20_OCTOBER_2027 = {
    "22010457": "Oogkliniek Rijnland",
    "47002518": "Praktijk Ouderengeneeskunde Leiden",
    "47003094": "AVG-Praktijk Duin en Bollen",
    "02061893": "Apotheek De Vaart",
    "02064127": "Dienstapotheek Haaglanden",
    "01034518": "Apotheekhoudende Huisartsenpraktijk Sluis",
}
TOTALS = {
    Tally.SUBMITTED: 15,
    Tally.APPROVED: 11,
    Tally.REJECTED: 4,
    Tally.OFFERED: 11,
    Tally.SIGNED: 9,
    Tally.DECLINED: 1,
    Tally.EXPIRED: 1,
    Tally.SUSPENDED: 1,
    Tally.TERMINATED: 1,
    Tally.FRAMES: 2,
    Tally.CEILINGS: 3,
    Tally.NOTICE_ON_TIME: 2,
    Tally.NOTICE_LATE: 1,
    Tally.REVISION_GRANTED: 1,
    Tally.REVISION_REFUSED: 1,
}


@pytest.fixture
def own_logging() -> Iterator[None]:
    """The demo command quiets structlog; the rest of the session keeps its own set-up."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def test_the_season_is_played_and_the_care_finder_lists_exactly_the_contracted_providers(
    tmp_path: Path,
) -> None:
    shown = io.StringIO()
    with self_started_service(tmp_path / "data", SEASON_2027.start) as service:
        report = play_season(service.url, service.settings, Console(file=shown, width=160))

    assert {tally: report.count(tally) for tally in Tally} == TOTALS
    assert (report.count(Tally.SUBMITTED, ZZ), report.count(Tally.SUBMITTED, EUCARE)) == (9, 6)
    assert report.count(Tally.EXPIRED, EUCARE) == 1
    assert report.count(Tally.DECLINED, ZZ) == 1
    assert report.count(Tally.NOTICE_LATE, ZZ) == 1
    assert {r.provider: r.reasons for r in report.rejections} == {
        "Huidcentrum Katwijk": (
            "requirement_not_met ZZ-MSZ-ZBC-SPECIALIST-FTE",
            "requirement_not_met ZZ-MSZ-ZBC-NEW-MIN-VOLUME",
        ),
        "Thuisbehandeling Rijnstreek": ("exclusion_ground ZZ-EXCL-NEGATIVE-INTEGRITY",),
        "Apotheek Zuidplein": ("data_benchmark CQ-EXCL-DATA-BENCHMARK",),
        "MediSupply Nederland": ("requirement_not_met CQ-DISV-DISPENSING-ONLY",),
    }
    assert all(r.motivation for r in report.rejections)
    assert report.care_finder_day == date(2027, 10, 20)
    listed = {listing.agb_code: listing.provider_name for listing in report.care_finder}
    assert listed == LISTED_ON_20_OCTOBER_2027
    assert len(report.care_finder) == len(LISTED_ON_20_OCTOBER_2027)
    assert f"{len(SEASON_2027.steps)}/{len(SEASON_2027.steps)}" in shown.getvalue()


def test_care_contracts_demo_starts_its_own_service_and_prints_the_summary_and_care_finder(
    own_logging: None,
) -> None:
    result = CliRunner().invoke(app, ["demo"])

    assert result.exit_code == 0, result.output
    assert "Summary of season-2027" in result.stdout
    assert "offers expired" in result.stdout
    assert "ceiling revisions refused" in result.stdout
    assert "Rejected applications" in result.stdout
    assert "Care finder on 20 October 2027" in result.stdout
    for name in LISTED_ON_20_OCTOBER_2027.values():
        assert name in result.stdout
    assert "Eerstelijn Duin- en Bollenstreek" not in result.stdout  # never listed


# --- the deadline watcher may expire an offer before the officer records it ---------------------

_PHARMACY = Provider(
    "kruispunt", "Apotheek Het Kruispunt", "02067719", "30194825", "Utrecht", "3521 AZ",
    EUCARE, "pharmacy",
)  # fmt: skip
_LAPSED = datetime(2026, 11, 9, 9, tzinfo=AMSTERDAM)


def _player_facing(status_after_refusal: str) -> tuple[_Player, ApiClient]:
    """A player whose officer's ExpireOffer is refused because the offer is no longer open."""
    contract_id = uuid4()
    location = f"/v1/contracts/{contract_id}"

    def answer(request: httpx2.Request) -> httpx2.Response:
        body: dict[str, Any]
        if request.url.path == "/v1/clock":
            return httpx2.Response(200, json={"now": _LAPSED.isoformat()})
        if request.url.path == f"{location}/expiry":
            body = {"code": "offer_not_open", "detail": "the contract is expired", "status": 422}
            return httpx2.Response(422, json=body)
        assert request.url.path == location, request.url.path
        return httpx2.Response(200, json={"state": {"status": status_after_refusal}})

    client = ApiClient("http://demo.invalid", transport=httpx2.MockTransport(answer))
    season = Season(
        name="watcher-race",
        year=2027,
        start=datetime(2026, 11, 3, 9, tzinfo=AMSTERDAM),
        providers=(_PHARMACY,),
        steps=(Step(_LAPSED, LetExpire("kruispunt")),),
        care_finder_day=date(2027, 10, 20),
    )
    tokens = _Tokens(officers={EUCARE: "cc_officer"}, operator="cc_operator")
    player = _Player(client, tokens, season, season.start)
    player.cases["kruispunt"].contract_id = contract_id
    player.cases["kruispunt"].contract_location = location
    return player, client


def test_an_offer_the_deadline_watcher_expired_first_counts_as_expired() -> None:
    player, client = _player_facing("expired")
    with client:
        player.play(Console(file=io.StringIO()))

    assert player.counts[(Tally.EXPIRED, EUCARE)] == 1


def test_an_expiry_refused_for_an_offer_that_did_not_expire_stops_the_demo() -> None:
    player, client = _player_facing("signed")
    with client, pytest.raises(DemoError, match="offer_not_open"):
        player.play(Console(file=io.StringIO()))

    assert player.counts[(Tally.EXPIRED, EUCARE)] == 0
