"""Who may call what over HTTP: every route × every kind of caller, allowed or refused.

The rules (issue "Roles"): a provider acts on and reads only its own AGB enterprise code's
applications, contracts and ceilings; an officer only its insurer's; an auditor reads everything
and changes nothing; the public sees the care finder, the policy packs and the problem pages; the
deadline watcher (system) sends only the date-driven commands; an operator moves the simulated
clock and changes nothing else. ``EXPECTED`` is written from those rules, not from
``commands/access.py``, and must name exactly the routes the app serves, so a new endpoint without
a matrix entry fails here.

Refused requests run against a world nobody may change (its event store position is compared
around every request); allowed requests run against a second world, where an allowed command may
succeed and change it. Both are built once per module and backend by the lifecycle over HTTP.
A gap between the rules and the service is listed in ``KNOWN_GAPS`` and its case xfails with the
reason, so the suite stays green and the gap stays visible; a gap that closes fails its case until
its entry is removed.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import SecretStr

from care_contracts.domain.application.states import IntegrityAdvice, ReasonKind
from care_contracts.domain.ceiling.outcomes import RefusalReason
from care_contracts.domain.contract.status import TerminationInitiator
from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.errors import NoPolicyInForce
from care_contracts.projections.database import open_read_database
from care_contracts.services.api.app import create_app
from care_contracts.services.api.commands import COMMAND_ROUTES, CommandRoute
from care_contracts.services.api.context import ApiContext, TokenCache
from care_contracts.services.api.problems import PROBLEM_JSON
from care_contracts.services.api.tokens import TokenGrant, TokenStore, open_token_store
from care_contracts.services.bootstrap import build
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands import applications as app
from care_contracts.services.commands import ceilings as cei
from care_contracts.services.commands import contracts as con
from care_contracts.services.commands.base import Command
from care_contracts.services.settings import Settings
from care_contracts.services.store.metadata import Role
from tests.integration.api.conftest import START
from tests.integration.api.http_steps import HttpSteps
from tests.integration.conftest import POSTGRES_DSN_VARIABLE
from tests.integration.event_lifecycle import GZSP_AGB, MSZ_AGB, run_lifecycle
from tests.integration.lifecycle_steps import GZSP, GZSP_MAATWERK, ZZ, submission

# --- callers -------------------------------------------------------------------------------------

OTHER_INSURER = "eucare"
# Each caller's token grant; the public sends no token. The other provider owns the MSZ
# application and contract of the lifecycle, never the GZSP ones the paths name.
OWNER = TokenGrant(role=Role.PROVIDER, subject=GZSP_AGB, agb=GZSP_AGB)
GRANTS: Mapping[str, TokenGrant | None] = {
    "public": None,
    "provider": OWNER,
    "other_provider": TokenGrant(role=Role.PROVIDER, subject=MSZ_AGB, agb=MSZ_AGB),
    "officer": TokenGrant(role=Role.OFFICER, subject="officer-zz", insurer=ZZ),
    "other_officer": TokenGrant(role=Role.OFFICER, subject="officer-cq", insurer=OTHER_INSURER),
    "auditor": TokenGrant(role=Role.AUDITOR, subject="auditor-1"),
    "operator": TokenGrant(role=Role.OPERATOR, subject="operator-1"),
    "system": TokenGrant(role=Role.SYSTEM, subject="deadline-watcher"),
}
CALLERS = tuple(GRANTS)

# --- the expectation table -----------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """Allowed, or refused with this status and problem code."""

    allowed: bool
    status: int = 0
    code: str = ""


ALLOWED = Expect(allowed=True)
UNAUTHENTICATED = Expect(allowed=False, status=401, code="unauthenticated")
FORBIDDEN = Expect(allowed=False, status=403, code="forbidden")
NOT_ALLOWED = Expect(allowed=False, status=403, code="action_not_allowed")
NOT_YOURS = Expect(allowed=False, status=403, code="not_yours")
REFUSAL_CODES = frozenset(e.code for e in (UNAUTHENTICATED, FORBIDDEN, NOT_ALLOWED, NOT_YOURS))

Rule = Mapping[str, Expect]


def everyone() -> Rule:
    return dict.fromkeys(CALLERS, ALLOWED)


def only(*callers: str) -> Rule:
    """A token is needed; the named callers get through, every other token is forbidden."""
    return {c: ALLOWED if c in callers else FORBIDDEN for c in CALLERS} | {
        "public": UNAUTHENTICATED
    }


def readers(*, provider_reads: bool) -> Rule:
    """An aggregate's reads: its provider (when it is a provider's), its insurer, the auditor."""
    return {
        "public": UNAUTHENTICATED,
        "provider": ALLOWED if provider_reads else NOT_YOURS,
        "other_provider": NOT_YOURS,
        "officer": ALLOWED,
        "other_officer": NOT_YOURS,
        "auditor": ALLOWED,
        "operator": FORBIDDEN,
        "system": FORBIDDEN,
    }


PRV, OFF, SYS = Role.PROVIDER, Role.OFFICER, Role.SYSTEM


def command(*roles: Role) -> Rule:
    """A command: the roles that may send it, each on its own provider's or insurer's only."""
    return {
        "public": UNAUTHENTICATED,
        "provider": ALLOWED if PRV in roles else NOT_ALLOWED,
        "other_provider": NOT_YOURS if PRV in roles else NOT_ALLOWED,
        "officer": ALLOWED if OFF in roles else NOT_ALLOWED,
        "other_officer": NOT_YOURS if OFF in roles else NOT_ALLOWED,
        "auditor": NOT_ALLOWED,
        "operator": NOT_ALLOWED,
        "system": ALLOWED if SYS in roles else NOT_ALLOWED,
    }


_A, _C, _R, _F = "/v1/applications", "/v1/contracts", "/v1/ceilings", "/v1/financial-frames"
# Who may send which command (access.py's docstring: a provider submits and withdraws its
# applications, supplies information, signs or declines an offer, reports an expected overrun and
# ends a contract from its side; the officer does the whole assessment, offers, suspensions,
# terminations, ceilings and frames; the deadline watcher only what a date decides).
COMMANDS: Mapping[str, tuple[Role, ...]] = {
    _A: (PRV, OFF),  # SubmitApplication (an officer opens a renewal)
    f"{_A}/{{id}}/information-requests": (OFF,),
    f"{_A}/{{id}}/information": (PRV, OFF),
    f"{_A}/{{id}}/completion": (OFF,),
    f"{_A}/{{id}}/metrics": (OFF,),
    f"{_A}/{{id}}/requirement-outcomes": (OFF,),
    f"{_A}/{{id}}/exclusion-findings": (OFF,),
    f"{_A}/{{id}}/integrity-investigation": (OFF,),
    f"{_A}/{{id}}/integrity-investigation/conclusion": (OFF,),
    f"{_A}/{{id}}/approval": (OFF,),
    f"{_A}/{{id}}/rejection": (OFF,),
    f"{_A}/{{id}}/withdrawal": (PRV, OFF),
    _C: (OFF,),  # OfferContract
    f"{_C}/running": (OFF,),
    f"{_C}/{{id}}/signature": (PRV,),
    f"{_C}/{{id}}/declination": (PRV,),
    f"{_C}/{{id}}/expiry": (OFF, SYS),
    f"{_C}/{{id}}/offer-withdrawal": (OFF,),
    f"{_C}/{{id}}/signing-deadline-extension": (OFF,),
    f"{_C}/{{id}}/amendments": (OFF,),
    f"{_C}/{{id}}/tariff-annexes": (OFF,),
    f"{_C}/{{id}}/termination-grounds": (OFF,),
    f"{_C}/{{id}}/suspension": (OFF,),
    f"{_C}/{{id}}/suspension-lifting": (OFF,),
    f"{_C}/{{id}}/termination": (PRV, OFF),  # after the others: an allowed one ends the contract
    f"{_C}/{{id}}/end": (OFF, SYS),
    _R: (OFF,),  # AgreeCeiling
    f"{_R}/{{id}}/overrun-reports": (PRV, OFF),
    f"{_R}/{{id}}/ground-evidence": (OFF,),
    f"{_R}/{{id}}/revision-approval": (OFF,),
    f"{_R}/{{id}}/revision-refusal": (OFF,),
    f"{_R}/{{id}}/decision-overdue": (OFF, SYS),
    _F: (OFF,),  # OpenFinancialFrame
    f"{_F}/{{id}}/amount": (OFF,),
}

_AGGREGATE_READS: dict[tuple[str, str], Rule] = {
    ("GET", f"{base}/{{aggregate_id}}{tail}"): readers(provider_reads=base != _F)
    for base in (_A, _C, _R, _F)
    for tail in ("", "/history", "/state")
}

EXPECTED: Mapping[tuple[str, str], Rule] = {
    # operations: probes and the simulated clock's reading are open, moving it is not
    ("GET", "/healthz"): everyone(),
    ("GET", "/readyz"): everyone(),
    ("GET", "/metrics"): everyone(),
    ("GET", "/v1/clock"): everyone(),
    ("POST", "/v1/clock"): only("officer", "other_officer", "operator"),
    # the problem pages every problem+json links to, the policy packs, the care finder
    ("GET", "/v1/problems"): everyone(),
    ("GET", "/v1/problems/{code}"): everyone(),
    ("GET", "/v1/policy-packs"): everyone(),
    ("GET", "/v1/policy-packs/{pack_id}"): everyone(),
    ("GET", "/v1/care-finder"): everyone(),
    # reads
    **_AGGREGATE_READS,
    ("GET", f"{_C}/{{contract_id}}/timeline"): readers(provider_reads=True),
    ("GET", "/v1/reports"): only("officer", "other_officer", "auditor"),
    # commands
    **{("POST", path): command(*roles) for path, roles in COMMANDS.items()},
}

# Routes that are not API routes: the OpenAPI document and its viewer, public by design.
DOCUMENTATION_PATHS = frozenset({"/v1/openapi.json", "/v1/docs", "/docs/oauth2-redirect"})

# --- gaps between the rules and the service (reported, not fixed here) --------------------------


@dataclass(frozen=True)
class Gap:
    """What the service answers instead of the rule's refusal, and why."""

    got: str  # the problem code it answers with
    why: str


# Reasons, short: pytest -ra prints one per xfailed case.
KNOWN_GAPS: Mapping[tuple[str, str, str], Gap] = {}  # none open

CASES = [(method, path, caller) for (method, path), rule in EXPECTED.items() for caller in rule]
REFUSED = [c for c in CASES if not EXPECTED[c[0], c[1]][c[2]].allowed]
ALLOWED_CASES = [c for c in CASES if EXPECTED[c[0], c[1]][c[2]].allowed]


def _case_id(case: tuple[str, str, str]) -> str:
    method, path, caller = case
    return f"{method}:{path}:{caller}"


# --- the worlds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ids:
    application: UUID
    contract: UUID
    ceiling: UUID
    frame: UUID

    def of(self, path: str) -> UUID:
        """The lifecycle's aggregate of the kind the path names."""
        kind = path.split("/")[2]
        return {
            "applications": self.application,
            "contracts": self.contract,
            "ceilings": self.ceiling,
            "financial-frames": self.frame,
        }[kind]


@dataclass(frozen=True)
class World:
    """One lifecycle run over HTTP, with a token per caller and a body per command route."""

    app: FastAPI
    client: TestClient
    context: ApiContext
    ids: Ids
    headers: Mapping[str, Mapping[str, str]]
    bodies: Mapping[str, dict[str, Any]]

    def position(self) -> int:
        return self.context.services.store.recorder.max_notification_id() or 0

    def send(self, method: str, path: str, caller: str) -> Response:
        url = self.url(path)
        params = {"version": "1"} if path.endswith("/state") else None
        headers = dict(self.headers[caller])
        if method == "GET":
            return self.client.get(url, params=params, headers=headers)
        return self.client.post(url, json=self._body(path, caller), headers=headers)

    def url(self, path: str) -> str:
        """The route's path with real values: the lifecycle's ids, a problem code, a pack."""
        values = {"code": NOT_YOURS.code, "pack_id": GZSP.id}
        return re.sub(
            r"\{(\w+)\}", lambda m: values.get(m.group(1)) or str(self.ids.of(path)), path
        )

    def _body(self, path: str, caller: str) -> dict[str, Any]:
        if path == "/v1/clock":
            return {"to": self.context.services.clock.now().isoformat()}
        if path.endswith("/termination") and "provider" in caller:
            # A provider terminates as the provider (access.py refuses it acting as the insurer).
            return self.bodies[path] | {"initiated_by": TerminationInitiator.PROVIDER.value}
        return self.bodies[path]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def make_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], Settings]]:
    """Fresh settings per world on this module's backend; PostgreSQL schemas dropped after."""
    dsn = None
    if request.param == "postgres":
        dsn = os.environ.get(POSTGRES_DSN_VARIABLE) or None
        if dsn is None:
            pytest.skip(f"PostgreSQL tests need {POSTGRES_DSN_VARIABLE} (.ci/run sets it)")
    schemas: list[str] = []

    def settings() -> Settings:
        data_dir = tmp_path_factory.mktemp("matrix") / "data"
        if dsn is None:
            return Settings(data_dir=data_dir, snapshot_interval=0)
        schema = f"cc_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        schemas.append(schema)
        return Settings(
            data_dir=data_dir,
            postgres_dsn=SecretStr(dsn),
            postgres_schema=schema,
            snapshot_interval=0,
        )

    yield settings
    if dsn is not None:
        with psycopg.connect(dsn, autocommit=True) as connection:
            for schema in schemas:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _world(settings: Settings, catalog: PolicyCatalog) -> Iterator[World]:
    clock = SimulatedClock(START)
    services = build(settings, clock=clock)
    read_db = open_read_database(settings)
    tokens = open_token_store(settings)
    context = ApiContext(services=services, read_db=read_db, tokens=tokens)
    api = create_app(context)
    try:
        with TestClient(api, raise_server_exceptions=False) as client:
            steps = HttpSteps(
                services.bus, services.store, clock, catalog, client=client, tokens=tokens
            )
            lifecycle = run_lifecycle(steps)
            application = next(
                o.aggregate_id
                for o in steps.outcomes
                if o.command == "SubmitApplication"
                and steps.application(o.aggregate_id).provider.agb_enterprise.value == GZSP_AGB
            )
            ids = Ids(application, lifecycle.gzsp_contract, lifecycle.ceiling, lifecycle.frame)
            yield World(
                app=api,
                client=client,
                context=context,
                ids=ids,
                headers={c: _authorization(tokens, g) for c, g in GRANTS.items()},
                bodies=_bodies(ids, catalog.get(GZSP)),
            )
    finally:
        tokens.close()
        read_db.close()
        services.close()


def _authorization(tokens: TokenStore, grant: TokenGrant | None) -> dict[str, str]:
    if grant is None:
        return {}
    return {"Authorization": f"Bearer {tokens.create(grant, START).token}"}


@pytest.fixture(scope="module")
def pristine(make_settings: Callable[[], Settings], catalog: PolicyCatalog) -> Iterator[World]:
    """The world refused requests run against: every test checks nothing changes it."""
    yield from _world(make_settings(), catalog)


@pytest.fixture(scope="module")
def scratch(make_settings: Callable[[], Settings], catalog: PolicyCatalog) -> Iterator[World]:
    """The world allowed requests run against: an allowed command may change it."""
    yield from _world(make_settings(), catalog)


# --- a syntactically valid body per command route ------------------------------------------------


def _commands(ids: Ids, pack: ResolvedPack) -> list[Command]:
    """One command per route, on the lifecycle's GZSP aggregates, with the pack's own codes."""
    a, c, r = ids.application, ids.contract, ids.ceiling
    requirement = pack.requirements[0].code
    ground = pack.exclusion_grounds[0].code
    assert pack.pack.ceiling is not None
    growth = pack.pack.ceiling.grounds[0].code
    day = date(2027, 12, 1)
    return [
        submission(GZSP_AGB, "msz"),  # a second care type: a new application
        app.RequestApplicationInformation(application_id=a, request="Send the KvK extract"),
        app.SupplyApplicationInformation(application_id=a, note="KvK extract attached"),
        app.MarkApplicationComplete(application_id=a),
        app.RecordApplicationMetrics(
            application_id=a, metrics={"kvk_registered": True}, evidence="register look-up"
        ),
        app.RecordRequirementOutcome(application_id=a, code=requirement, evidence="register"),
        app.RecordExclusionFinding(
            application_id=a, code=ground, present=False, subject="provider", evidence="file"
        ),
        app.OpenIntegrityInvestigation(application_id=a, reason="Bibob signal"),
        app.ConcludeIntegrityInvestigation(
            application_id=a, advice=IntegrityAdvice.POSITIVE, motivation="no findings"
        ),
        app.ApproveApplication(application_id=a, contract_type=GZSP_MAATWERK),
        app.RejectApplication(
            application_id=a,
            reasons=(app.Rejection(kind=ReasonKind.DISCRETIONARY),),
            motivation="capacity is contracted",
        ),
        app.WithdrawApplication(application_id=a, reason="no longer needed"),
        con.OfferContract(application_id=a),
        con.RegisterRunningContract(
            agb_enterprise=GZSP_AGB,
            kvk="12345678",
            name=f"Kliniek {GZSP_AGB}",
            city="Goes",
            postcode="4461 AB",
            insurer=ZZ,
            year=2027,
            care_type="gzsp",
            contract_type=GZSP_MAATWERK,
            starts_on=date(2027, 1, 1),
            signed_on=date(2026, 12, 1),
        ),
        con.SignContract(contract_id=c, vecozo_ref="VZ-matrix"),
        con.DeclineOffer(contract_id=c, reason="no capacity"),
        con.ExpireOffer(contract_id=c),
        con.WithdrawOffer(contract_id=c, reason="budget"),
        con.ExtendSigningDeadline(contract_id=c, until=day, motivation="illness"),
        con.SuspendContract(contract_id=c, grounds=("quality concerns",)),
        con.LiftSuspension(contract_id=c, motivation="resolved"),
        con.TerminateContract(
            contract_id=c,
            grounds=("quality concerns",),
            effective_on=day,
            initiated_by=TerminationInitiator.INSURER,
        ),
        con.EstablishTerminationGround(
            contract_id=c, code=ground, fact_date=date(2027, 10, 1), evidence="file"
        ),
        con.EndContract(contract_id=c),
        con.AmendContract(contract_id=c, description="new location", effective_on=day),
        con.IssueTariffAnnex(contract_id=c, annex_ref="TA-2027-2", year=2027),
        cei.AgreeCeiling(contract_id=c, year=2027, amount_cents=100_000_000),
        cei.ReportExpectedOverrun(
            ceiling_id=r,
            channel="zorginkoop@zorgenzekerheid.nl",
            expected_amount_cents=110_000_000,
            grounds_claimed=(growth,),
        ),
        cei.RecordCeilingGroundEvidence(
            ceiling_id=r, ground=growth, evidence="Vektis", established=True
        ),
        cei.ApproveCeilingRevision(ceiling_id=r, frame_id=ids.frame, new_amount_cents=105_000_000),
        cei.RefuseCeilingRevision(
            ceiling_id=r, frame_id=ids.frame, reasons=(RefusalReason.FRAME_EXHAUSTED,)
        ),
        cei.FlagCeilingDecisionOverdue(ceiling_id=r),
        cei.OpenFinancialFrame(
            insurer=ZZ, year=2028, care_type="gzsp", amount_cents=10_000_000_000
        ),
        cei.SetFinancialFrame(frame_id=ids.frame, amount_cents=12_000_000_000),
    ]


def _bodies(ids: Ids, pack: ResolvedPack) -> dict[str, dict[str, Any]]:
    """Each command route's JSON body: the command's fields but the one the path carries."""
    routes: dict[type[Command], CommandRoute] = {r.command: r for r in COMMAND_ROUTES}
    bodies: dict[str, dict[str, Any]] = {}
    for sample in _commands(ids, pack):
        route = routes[type(sample)]
        path_field = {route.id_field} if route.id_field else set()
        bodies["/v1" + route.path] = sample.model_dump(mode="json", exclude=path_field)
    assert len(bodies) == len(COMMAND_ROUTES), "a command route has no sample body"
    return bodies


# --- helpers -------------------------------------------------------------------------------------


def _assert_problem(response: Response, path: str) -> dict[str, Any]:
    assert response.headers["content-type"] == PROBLEM_JSON, response.text
    problem: dict[str, Any] = response.json()
    for member in ("type", "title", "status", "detail", "instance", "code"):
        assert problem.get(member), f"problem without {member}: {problem}"
    assert problem["status"] == response.status_code
    assert problem["instance"] == path
    assert problem["type"].endswith(f"/v1/problems/{problem['code']}")
    return problem


# --- the matrix ----------------------------------------------------------------------------------


def test_every_route_the_app_serves_has_a_matrix_entry(pristine: World) -> None:
    # Since FastAPI 0.137 ``app.routes`` keeps included routers as nodes: expand them.
    routes = list(iter_route_contexts(pristine.app.routes))
    api_routes = {
        (method, str(route.path))
        for route in routes
        if isinstance(route.original_route, APIRoute)
        for method in route.methods or ()
    }
    others = {route.path for route in routes if not isinstance(route.original_route, APIRoute)}

    assert api_routes - set(EXPECTED) == set(), "routes without a matrix entry"
    assert set(EXPECTED) - api_routes == set(), "matrix entries without a route"
    assert others == DOCUMENTATION_PATHS
    assert all(set(rule) == set(CALLERS) for rule in EXPECTED.values())
    assert set(KNOWN_GAPS) <= set(REFUSED), "a known gap names no refused case"


@pytest.mark.parametrize(("method", "path", "caller"), REFUSED, ids=map(_case_id, REFUSED))
def test_a_refused_caller_gets_a_problem_and_changes_nothing(
    pristine: World, method: str, path: str, caller: str
) -> None:
    expected = EXPECTED[method, path][caller]
    before = pristine.position()

    response = pristine.send(method, path, caller)

    assert pristine.position() == before
    problem = _assert_problem(response, pristine.url(path))
    got = (response.status_code, problem["code"])
    gap = KNOWN_GAPS.get((method, path, caller))
    if gap is not None:
        assert got != (expected.status, expected.code), "the gap is closed: drop it from KNOWN_GAPS"
        assert problem["code"] == gap.got, problem
        pytest.xfail(
            f"got {got[0]} {got[1]}, expected {expected.status} {expected.code}: {gap.why}"
        )
    assert got == (expected.status, expected.code), problem["detail"]


@pytest.mark.parametrize(
    ("method", "path", "caller"), ALLOWED_CASES, ids=map(_case_id, ALLOWED_CASES)
)
def test_an_allowed_caller_gets_through(
    scratch: World, method: str, path: str, caller: str
) -> None:
    before = scratch.position()

    response = scratch.send(method, path, caller)

    if response.status_code < 400:
        return
    problem = _assert_problem(response, scratch.url(path))
    assert scratch.position() == before  # a refused command records nothing
    assert response.status_code < 500, problem["detail"]
    assert problem["code"] not in REFUSAL_CODES, problem["detail"]
    assert problem["code"] != "invalid_request", problem  # the sample body is valid


# --- error paths: each answers problem+json and records nothing ---------------------------------


def _submit(world: World, **changes: Any) -> Response:
    """The owner's SubmitApplication (a new care type) with ``changes`` to its body."""
    body = submission(GZSP_AGB, "msz").model_dump(mode="json") | changes
    return world.client.post(_A, json=body, headers=world.headers["provider"])


def test_malformed_json_is_a_400_problem_and_records_nothing(pristine: World) -> None:
    before = pristine.position()
    headers = dict(pristine.headers["provider"]) | {"Content-Type": "application/json"}

    response = pristine.client.post(_A, content=b'{"agb_enterprise": ', headers=headers)

    assert response.status_code == 400
    assert _assert_problem(response, _A)["code"] == "malformed_json"
    assert pristine.position() == before


def test_an_unknown_field_is_named_and_records_nothing(pristine: World) -> None:
    before = pristine.position()

    response = _submit(pristine, colour="blue")

    assert response.status_code == 422
    problem = _assert_problem(response, _A)
    assert problem["code"] == "invalid_request"
    assert [e["field"] for e in problem["errors"]] == ["colour"]
    assert "colour" in problem["detail"]
    assert pristine.position() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("agb_enterprise", "0611111"), ("kvk", "1234567X"), ("postcode", "0461 AB")],
)
def test_an_invalid_identifier_is_named_and_records_nothing(
    pristine: World, field: str, value: str
) -> None:
    before = pristine.position()

    response = _submit(pristine, **{field: value})

    assert response.status_code == 422
    problem = _assert_problem(response, _A)
    assert problem["code"] == "invalid_request"
    assert [e["field"] for e in problem["errors"]] == [field]
    assert pristine.position() == before


@pytest.mark.parametrize(
    ("field", "value"), [("insurer", "no-such-insurer"), ("care_type", "reiki")]
)
def test_an_unknown_insurer_or_care_type_is_a_domain_problem_and_records_nothing(
    pristine: World, field: str, value: str
) -> None:
    before = pristine.position()

    response = _submit(pristine, **{field: value})

    assert response.status_code == 422
    problem = _assert_problem(response, _A)
    assert problem["code"] == NoPolicyInForce.code
    assert problem["facts"][field] == value
    assert pristine.position() == before


def test_a_revoked_token_is_unauthenticated_and_records_nothing(pristine: World) -> None:
    tokens = pristine.context.tokens
    pristine.context.token_cache = TokenCache(tokens, ttl_s=0)  # revocation at once, not in 5 s
    issued = tokens.create(OWNER, START)
    headers = {"Authorization": f"Bearer {issued.token}"}
    contract = pristine.url(f"{_C}/{{aggregate_id}}")
    assert pristine.client.get(contract, headers=headers).status_code == 200
    assert tokens.revoke(issued.record.id, START)
    before = pristine.position()

    read = pristine.client.get(contract, headers=headers)
    signature = pristine.client.post(
        f"{contract}/signature", json={"vecozo_ref": "VZ-revoked"}, headers=headers
    )

    for response, path in ((read, contract), (signature, f"{contract}/signature")):
        assert response.status_code == 401
        assert _assert_problem(response, path)["code"] == UNAUTHENTICATED.code
    assert pristine.position() == before
