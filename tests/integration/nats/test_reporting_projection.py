"""The reporting model fed from a real stream: commands → relay → JetStream → projection → query.

One procurement year through the real bus (Z&Z GZSP and MSZ packs): three offers, two signed two
and ten days after the offer, one left to lapse and expired by the timer four days late; two
applications rejected with reasons; two ceilings with notices on time and late, one revision
granted and one flagged overdue and then refused late. The reports are asked as of now and as of
instants in the past, and must answer what the model knew then. On SQLite and PostgreSQL, against
the session's nats-server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

import pytest

from care_contracts.domain.application.states import IntegrityAdvice, ReasonKind
from care_contracts.domain.ceiling.outcomes import RefusalReason
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.values import Money
from care_contracts.projections.care_finder.projection import CareFinderProjection
from care_contracts.projections.database import ReadDatabase
from care_contracts.projections.events import from_store
from care_contracts.projections.reporting.projection import ReportingProjection
from care_contracts.projections.reporting.query import (
    CeilingNoticeCounts,
    ExpiringOffer,
    OfferOutcomeCounts,
    RejectionReasonCount,
    RevisionDecisionCounts,
    SignatureTime,
    ceiling_notices,
    offer_outcomes,
    offers_expiring_within,
    pipeline,
    rejection_reasons,
    report,
    revision_decisions,
    time_to_signature,
)
from care_contracts.projections.state import active_state, ensure_projection
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.applications import (
    ConcludeIntegrityInvestigation,
    MarkApplicationComplete,
    OpenIntegrityInvestigation,
    RejectApplication,
    Rejection,
)
from care_contracts.services.commands.ceilings import (
    AgreeCeiling,
    ApproveCeilingRevision,
    FlagCeilingDecisionOverdue,
    OpenFinancialFrame,
    RecordCeilingGroundEvidence,
    RefuseCeilingRevision,
    ReportExpectedOverrun,
)
from care_contracts.services.commands.contracts import ExpireOffer, SignContract
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from tests.integration.lifecycle_steps import (
    GZSP,
    GZSP_MAATWERK,
    GZSP_MAATWERK_METRICS,
    MSZ_MAATWERK,
    MSZ_ZBC_METRICS,
    TIMER,
    ZZ,
    Steps,
    approved_application,
    local,
    offered_contract,
    provider_actor,
    submission,
)
from tests.integration.nats.jetstream_session import own_stream
from tests.integration.nats.projection_session import (
    project_all,
    publish_all,
    runner_for,
)

pytestmark = pytest.mark.nats

GZSP_AGBS = ("06111111", "06222222")
MSZ_AGB = "06333333"
REJECTED_MSZ_AGB = "06444444"
REJECTED_GZSP_AGB = "06555555"
INTEGRITY = "ZZ-EXCL-NEGATIVE-INTEGRITY"

OFFERED = local(2026, 10, 5)  # every offer (the clock fixture's start)
DEADLINE = date(2026, 11, 16)  # the application route: six weeks after receipt
FIRST_DAY = local(2026, 10, 5, 12)  # offers out, applications under way, nothing decided
AFTER_LAPSE = local(2026, 11, 18, 12)  # the MSZ offer lapsed; the timer runs on the 20th
NOW = local(2027, 11, 5, 12)


@dataclass(frozen=True)
class Year:
    signed: tuple[UUID, UUID]  # GZSP, signed 2 and 10 days after the offer
    lapsed: UUID  # MSZ, expired by the timer on 20 November
    ceilings: tuple[UUID, UUID]  # of the signed ones: granted; overdue then refused late


@pytest.fixture
def settings(settings: Settings, nats_url: str) -> Iterator[Settings]:
    """The store's settings (SQLite or PostgreSQL) with a stream of this test's own."""
    with own_stream(settings, nats_url, "RP") as own:
        yield own


@pytest.fixture
def year(steps: Steps, store: ContractingStore, db: ReadDatabase, settings: Settings) -> Year:
    """The year through the bus, then published and projected once."""
    lived = _procurement_year(steps)
    _sync(store, db, settings, steps.clock)
    return lived


def _sync(
    store: ContractingStore, db: ReadDatabase, settings: Settings, clock: SimulatedClock
) -> int:
    async def go() -> int:
        await publish_all(store, settings)
        runner = runner_for(ReportingProjection(), db, settings, clock)
        try:
            return await project_all(runner)
        finally:
            await runner.close()

    return asyncio.run(go())


def _procurement_year(steps: Steps) -> Year:
    steps.at(OFFERED)
    signed = (_offer_gzsp(steps, GZSP_AGBS[0]), _offer_gzsp(steps, GZSP_AGBS[1]))
    msz_application = approved_application(
        steps, agb=MSZ_AGB, care_type="msz", contract_type=MSZ_MAATWERK, metrics=MSZ_ZBC_METRICS
    )
    lapsed = offered_contract(steps, msz_application)
    integrity_case = _under_investigation(steps)
    unsolicited = steps.run(
        submission(REJECTED_GZSP_AGB, "gzsp"), provider_actor(REJECTED_GZSP_AGB)
    ).aggregate_id

    steps.at(local(2026, 10, 6))
    _reject(steps, integrity_case, Rejection(kind=ReasonKind.EXCLUSION_GROUND, rule=INTEGRITY))
    _reject(steps, unsolicited)
    _sign(steps, signed[0], GZSP_AGBS[0], local(2026, 10, 7))
    _sign(steps, signed[1], GZSP_AGBS[1], local(2026, 10, 15))

    steps.at(local(2026, 11, 2))
    ceilings = tuple(
        steps.run(
            AgreeCeiling(contract_id=c, year=2027, amount_cents=Money.euros(1_000_000).cents)
        ).aggregate_id
        for c in signed
    )
    frame = steps.run(
        OpenFinancialFrame(
            insurer=ZZ, year=2027, care_type="gzsp", amount_cents=Money.euros(100_000).cents
        )
    ).aggregate_id
    steps.at(local(2026, 11, 20, 0))
    steps.run(ExpireOffer(contract_id=lapsed), TIMER)

    growth = _growth(steps.catalog)
    steps.at(local(2027, 9, 15))
    for ceiling_id, agb in zip(ceilings, GZSP_AGBS, strict=True):
        _report_overrun(steps, ceiling_id, agb, growth)
    steps.at(local(2027, 10, 2, 9))
    _report_overrun(steps, ceilings[0], GZSP_AGBS[0], growth)  # late: recorded as rejected
    steps.at(local(2027, 10, 6))
    steps.run(
        RecordCeilingGroundEvidence(
            ceiling_id=ceilings[0], ground=growth, evidence="Vektis +6 %", established=True
        )
    )
    steps.at(local(2027, 10, 10))
    steps.run(
        ApproveCeilingRevision(
            ceiling_id=ceilings[0], frame_id=frame, new_amount_cents=Money.euros(1_040_000).cents
        )
    )
    steps.at(local(2027, 11, 2))
    steps.run(FlagCeilingDecisionOverdue(ceiling_id=ceilings[1]), TIMER)
    steps.at(local(2027, 11, 5))
    steps.run(
        RefuseCeilingRevision(
            ceiling_id=ceilings[1],
            frame_id=frame,
            reasons=(RefusalReason.NO_GROUND_DEMONSTRATED,),
            late_reason="staff shortage",
        )
    )
    return Year(signed, lapsed, (ceilings[0], ceilings[1]))


def _offer_gzsp(steps: Steps, agb: str) -> UUID:
    application_id = approved_application(
        steps,
        agb=agb,
        care_type="gzsp",
        contract_type=GZSP_MAATWERK,
        metrics=GZSP_MAATWERK_METRICS,
    )
    return offered_contract(steps, application_id)


def _under_investigation(steps: Steps) -> UUID:
    """An MSZ application, complete, with a negative integrity advice (brief §4.2)."""
    application_id = steps.run(
        submission(REJECTED_MSZ_AGB, "msz"), provider_actor(REJECTED_MSZ_AGB)
    ).aggregate_id
    steps.run(MarkApplicationComplete(application_id=application_id))
    steps.run(OpenIntegrityInvestigation(application_id=application_id, reason="press report"))
    steps.run(
        ConcludeIntegrityInvestigation(
            application_id=application_id,
            advice=IntegrityAdvice.NEGATIVE,
            motivation="Bibob advice: serious risk",
        )
    )
    return application_id


def _reject(steps: Steps, application_id: UUID, *reasons: Rejection) -> None:
    steps.run(
        RejectApplication(
            application_id=application_id,
            reasons=(*reasons, Rejection(kind=ReasonKind.SUPPLY_ASSESSMENT)),
            motivation="the region is well supplied",
        )
    )


def _sign(steps: Steps, contract_id: UUID, agb: str, at: datetime) -> None:
    steps.at(at)
    steps.run(SignContract(contract_id=contract_id, vecozo_ref=f"VZ-{agb}"), provider_actor(agb))


def _growth(catalog: PolicyCatalog) -> str:
    policy = catalog.get(GZSP).pack.ceiling
    assert policy is not None
    return next(g.code for g in policy.grounds if not g.occurred_after_signing)


def _report_overrun(steps: Steps, ceiling_id: UUID, agb: str, ground: str) -> None:
    steps.run(
        ReportExpectedOverrun(
            ceiling_id=ceiling_id,
            channel="zorginkoop.wijkverpleging@zorgenzekerheid.nl",
            expected_amount_cents=Money.euros(1_150_000).cents,
            grounds_claimed=(ground,),
        ),
        provider_actor(agb),
    )


def _contract(steps: Steps, contract_id: UUID) -> Contract:
    found: Contract = steps.store.repository.get(contract_id)
    return found


# --- the tests --------------------------------------------------------------------------------


def test_the_pipeline_now_and_as_of_the_first_day(
    year: Year, steps: Steps, store: ContractingStore, db: ReadDatabase
) -> None:
    first_day = pipeline(db, FIRST_DAY)
    now = pipeline(db, NOW)

    assert {(c.kind, c.care_type, c.state): c.count for c in first_day.counts} == {
        ("application", "gzsp", "approved"): 2,
        ("application", "gzsp", "received"): 1,
        ("application", "msz", "approved"): 1,
        ("application", "msz", "under_assessment"): 1,
        ("contract", "gzsp", "offered"): 2,
        ("contract", "msz", "offered"): 1,
    }
    assert {(c.kind, c.care_type, c.state): c.count for c in now.counts} == {
        ("application", "gzsp", "approved"): 2,
        ("application", "gzsp", "rejected"): 1,
        ("application", "msz", "approved"): 1,
        ("application", "msz", "rejected"): 1,
        ("contract", "gzsp", "active"): 2,  # signed, and their term began on 1 January
        ("contract", "msz", "expired"): 1,
    }
    assert {c.insurer for c in now.counts} == {ZZ}
    assert now.count("contract", "active", insurer=ZZ, care_type="gzsp") == 2
    assert pipeline(db, local(2026, 10, 10)).count("contract", "signed") == 1  # not started yet


def test_a_lapsed_offer_counts_as_expired_before_the_timer_records_it(
    year: Year, steps: Steps, db: ReadDatabase
) -> None:
    assert _contract(steps, year.lapsed).signing_deadline == DEADLINE

    on_deadline = pipeline(db, local(2026, 11, 16, 23))
    after_lapse = pipeline(db, AFTER_LAPSE)

    assert on_deadline.count("contract", "offered", care_type="msz") == 1
    assert after_lapse.count("contract", "expired", care_type="msz") == 1
    assert [o.expired for o in offer_outcomes(db, AFTER_LAPSE) if o.care_type == "msz"] == []
    assert offer_outcomes(db, NOW) == (
        OfferOutcomeCounts(
            insurer=ZZ,
            care_type="gzsp",
            signed_within_deadline=2,
            signed_after_extension=0,
            expired=0,
            declined=0,
            withdrawn=0,
        ),
        OfferOutcomeCounts(
            insurer=ZZ,
            care_type="msz",
            signed_within_deadline=0,
            signed_after_extension=0,
            expired=1,
            declined=0,
            withdrawn=0,
        ),
    )


def test_time_from_offer_to_signature_median_and_p90(year: Year, db: ReadDatabase) -> None:
    now = time_to_signature(db, NOW)
    early = time_to_signature(db, local(2026, 10, 10))

    expected = SignatureTime(
        insurer=ZZ,
        care_type="gzsp",
        signed=2,
        median=timedelta(days=6),  # halfway between 2 and 10 days
        p90=timedelta(days=9, hours=4, minutes=48),  # 2 + 0.9 × 8 days
    )
    assert now.by_scope == (expected,)
    assert now.overall == expected.model_copy(update={"insurer": None, "care_type": None})
    assert early.overall is not None
    assert (early.overall.signed, early.overall.median, early.overall.p90) == (
        1,
        timedelta(days=2),
        timedelta(days=2),
    )
    assert time_to_signature(db, FIRST_DAY).overall is None


def test_offers_expiring_within_n_days_of_an_instant(
    year: Year, steps: Steps, db: ReadDatabase
) -> None:
    within_a_week = offers_expiring_within(db, local(2026, 11, 10), 7)
    early = offers_expiring_within(db, local(2026, 10, 10), 7)
    early_wide = offers_expiring_within(db, local(2026, 10, 10), 40)

    assert within_a_week == (
        ExpiringOffer(
            contract_id=year.lapsed,
            insurer=ZZ,
            care_type="msz",
            provider_name=f"Kliniek {MSZ_AGB}",
            agb_enterprise=MSZ_AGB,
            offered_at=OFFERED,
            signing_deadline=DEADLINE,
            days_left=6,
        ),
    )
    assert early == ()
    assert {o.contract_id for o in early_wide} == {year.signed[1], year.lapsed}
    assert offers_expiring_within(db, local(2026, 11, 16, 9), 0)[0].days_left == 0
    assert offers_expiring_within(db, AFTER_LAPSE, 30) == ()


def test_ceiling_notices_and_revision_decisions_as_of_then_and_now(
    year: Year, db: ReadDatabase
) -> None:
    before_deadline = local(2027, 10, 1, 12)
    flagged = local(2027, 11, 3)

    assert ceiling_notices(db, before_deadline) == (
        CeilingNoticeCounts(insurer=ZZ, care_type="gzsp", on_time=2, amending=0, late=0),
    )
    assert ceiling_notices(db, NOW) == (
        CeilingNoticeCounts(insurer=ZZ, care_type="gzsp", on_time=2, amending=0, late=1),
    )
    assert revision_decisions(db, flagged) == (
        RevisionDecisionCounts(
            insurer=ZZ,
            care_type="gzsp",
            granted=1,
            granted_late=0,
            refused=0,
            refused_late=0,
            overdue=1,
        ),
    )
    assert revision_decisions(db, NOW) == (
        RevisionDecisionCounts(
            insurer=ZZ,
            care_type="gzsp",
            granted=1,
            granted_late=0,
            refused=1,
            refused_late=1,
            overdue=0,
        ),
    )
    assert revision_decisions(db, before_deadline) == ()


def test_rejection_reasons_by_rule_code(year: Year, db: ReadDatabase) -> None:
    assert rejection_reasons(db, FIRST_DAY) == ()
    assert rejection_reasons(db, NOW) == (
        RejectionReasonCount(
            insurer=ZZ, care_type="gzsp", kind="supply_assessment", rule=None, count=1
        ),
        RejectionReasonCount(
            insurer=ZZ, care_type="msz", kind="exclusion_ground", rule=INTEGRITY, count=1
        ),
        RejectionReasonCount(
            insurer=ZZ, care_type="msz", kind="supply_assessment", rule=None, count=1
        ),
    )


def test_the_bundled_report_agrees_with_each_report(year: Year, db: ReadDatabase) -> None:
    bundled = report(db, AFTER_LAPSE, expiring_within_days=30)

    assert bundled.pipeline == pipeline(db, AFTER_LAPSE)
    assert bundled.offer_outcomes == offer_outcomes(db, AFTER_LAPSE)
    assert bundled.time_to_signature == time_to_signature(db, AFTER_LAPSE)
    assert bundled.expiring_offers == offers_expiring_within(db, AFTER_LAPSE, 30)
    assert bundled.ceiling_notices == ceiling_notices(db, AFTER_LAPSE)
    assert bundled.revision_decisions == revision_decisions(db, AFTER_LAPSE)
    assert bundled.rejection_reasons == rejection_reasons(db, AFTER_LAPSE)
    assert bundled.pipeline.count("contract", "expired") == 1


def test_events_applied_again_change_no_report(
    year: Year, store: ContractingStore, db: ReadDatabase
) -> None:
    """A rebuild may meet an event twice where its store pass meets the stream."""
    before = report(db, NOW)
    projection = ReportingProjection()
    notifications = store.recorder.select_notifications(start=1, limit=10_000)
    events = [from_store(store, n) for n in notifications]

    with db.transaction() as cur:
        state = active_state(cur, projection.name)
        assert state is not None
        projection.apply(cur, state.tables, events)

    assert report(db, NOW) == before
    assert before.pipeline.counts


def test_a_reporting_model_not_built_yet_reports_nothing(db: ReadDatabase) -> None:
    ensure_projection(db, CareFinderProjection(), NOW)  # another read model runs; this one not
    never_ran = report(db, NOW)
    ensure_projection(db, ReportingProjection(), NOW)
    empty = report(db, NOW)

    assert never_ran == empty
    assert empty.pipeline.counts == ()
    assert empty.time_to_signature.overall is None
    assert (empty.offer_outcomes, empty.expiring_offers, empty.rejection_reasons) == ((), (), ())
    assert (empty.ceiling_notices, empty.revision_decisions) == ((), ())
