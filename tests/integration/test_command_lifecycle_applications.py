"""An application from submission to signed contract through the real bus, and its stored history.

Runs on SQLite and PostgreSQL with the real ``zz-2027-msz`` pack; every assessment step iterates the
pack's own requirements and grounds. Refusals append nothing to the store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

import pytest

from care_contracts.domain.application.states import (
    ApplicationStatus,
    IntegrityAdvice,
    Outcome,
    ReasonKind,
)
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.contract.status import ContractStatus
from care_contracts.domain.errors import DomainError
from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.applications import (
    ApproveApplication,
    ConcludeIntegrityInvestigation,
    MarkApplicationComplete,
    OpenIntegrityInvestigation,
    RecordApplicationMetrics,
    RecordExclusionFinding,
    RecordRequirementOutcome,
    RejectApplication,
    Rejection,
    RequestApplicationInformation,
    SupplyApplicationInformation,
    WithdrawApplication,
)
from care_contracts.services.commands.base import Command
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.contracts import SignContract
from care_contracts.services.store.application import ContractingStore
from tests.integration.lifecycle_steps import (
    MSZ,
    MSZ_MAATWERK,
    MSZ_ZBC_METRICS,
    Steps,
    approved_application,
    local,
    offered_contract,
    provider_actor,
    submission,
)

AGB = "06123456"
RECEIVED_AT = local(2026, 10, 1, 9)
DECISION_TOPICS = {
    "contracting.application.submitted",
    "contracting.application.requirement_assessed",
    "contracting.application.exclusion_ground_assessed",
    "contracting.application.assessed",
    "contracting.contract.offered",
}


@pytest.fixture
def steps(
    bus: CommandBus, store: ContractingStore, clock: SimulatedClock, catalog: PolicyCatalog
) -> Steps:
    return Steps(bus, store, clock, catalog, correlation_id="msz-zbc-2027")


def _signed_msz_contract(steps: Steps) -> tuple[UUID, UUID]:
    application_id = approved_application(
        steps,
        agb=AGB,
        care_type="msz",
        contract_type=MSZ_MAATWERK,
        metrics=MSZ_ZBC_METRICS,
        received_at=RECEIVED_AT,
    )
    contract_id = offered_contract(steps, application_id)
    steps.at(local(2026, 10, 19))
    steps.run(SignContract(contract_id=contract_id, vecozo_ref="VZ-2026-0042"), provider_actor(AGB))
    return application_id, contract_id


def test_an_msz_application_runs_from_receipt_to_a_signed_contract_under_its_pack(
    steps: Steps,
) -> None:
    application_id, contract_id = _signed_msz_contract(steps)

    application = steps.application(application_id)
    assert application.status is ApplicationStatus.APPROVED
    assert application.pack_ref == MSZ
    assert application.received_at == RECEIVED_AT
    # Complete in October 2026: the application start is clamped to the term start.
    assert application.provisional_start == date(2027, 1, 1)
    contract: Contract = steps.store.repository.get(contract_id)
    assert contract.status is ContractStatus.SIGNED
    assert contract.application_id == application_id
    assert contract.pack == MSZ
    assert contract.contract_type == MSZ_MAATWERK
    assert contract.signed_on == date(2026, 10, 19)
    assert [o.command for o in steps.outcomes][-3:] == [
        "ApproveApplication",
        "OfferContract",
        "SignContract",
    ]
    assert steps.outcomes[-2].result is not None
    assert steps.outcomes[-2].result["contract_id"] == str(contract_id)


def test_every_stored_event_of_the_path_carries_its_command_correlation_and_actor(
    steps: Steps,
) -> None:
    application_id, contract_id = _signed_msz_contract(steps)
    by_position = {e.position: o for o in steps.outcomes for e in o.events}

    stored = [
        *steps.store.recorder.select_events(application_id),
        *steps.store.recorder.select_events(contract_id),
    ]

    assert len(stored) == len(by_position)
    for event in stored:
        meta = steps.store.contracting_mapper.read_body(event)["meta"]
        outcome = next(
            o
            for o in steps.outcomes
            for e in o.events
            if (e.aggregate_id, e.version) == (event.originator_id, event.originator_version)
        )
        assert meta["command_id"] == outcome.command_id
        assert meta["command"] == outcome.command
        assert meta["correlation_id"] == "msz-zbc-2027"
        expected_role = (
            "provider" if outcome.command in {"SubmitApplication", "SignContract"} else "officer"
        )
        assert meta["actor"]["role"] == expected_role


def test_decision_events_record_the_pack_version_and_the_rules_that_decided(
    steps: Steps,
) -> None:
    application_id, contract_id = _signed_msz_contract(steps)
    bodies = [
        (event.topic, steps.store.contracting_mapper.read_body(event))
        for aggregate_id in (application_id, contract_id)
        for event in steps.store.recorder.select_events(aggregate_id)
    ]

    decisions = [(topic, body) for topic, body in bodies if topic in DECISION_TOPICS]

    assert {topic for topic, _ in decisions} == DECISION_TOPICS
    for topic, body in decisions:
        data = body["data"]
        assert (data["pack_id"], data["pack_version"]) == (MSZ.id, MSZ.version), topic
        assert data["rules"], topic
        assert body["meta"]["pack"] == {"id": MSZ.id, "version": MSZ.version}, topic
    [assessed] = [body for topic, body in decisions if topic.endswith(".assessed")]
    assert MSZ_MAATWERK in assessed["data"]["rules"]


def test_an_investigation_with_negative_advice_blocks_approval_and_the_rejection_is_recorded(
    steps: Steps,
) -> None:
    submitted = steps.run(submission(AGB, "msz"), provider_actor(AGB))
    application_id = submitted.aggregate_id
    steps.run(MarkApplicationComplete(application_id=application_id))
    steps.run(OpenIntegrityInvestigation(application_id=application_id, reason="press report"))
    steps.run(
        ConcludeIntegrityInvestigation(
            application_id=application_id,
            advice=IntegrityAdvice.NEGATIVE,
            motivation="Bibob advice: serious risk",
        )
    )
    before = steps.position()

    with pytest.raises(DomainError):
        steps.run(ApproveApplication(application_id=application_id, contract_type=MSZ_MAATWERK))
    assert steps.position() == before

    steps.run(
        RejectApplication(
            application_id=application_id,
            reasons=(
                Rejection(kind=ReasonKind.EXCLUSION_GROUND, rule="ZZ-EXCL-NEGATIVE-INTEGRITY"),
            ),
            motivation="negative integrity advice",
        )
    )
    application = steps.application(application_id)
    assert application.status is ApplicationStatus.REJECTED
    assert application.integrity_ground_established is True


def test_a_provider_withdraws_an_application_after_supplying_requested_information(
    steps: Steps,
) -> None:
    application_id = steps.run(submission(AGB, "msz"), provider_actor(AGB)).aggregate_id
    steps.run(RequestApplicationInformation(application_id=application_id, request="org chart"))
    steps.run(
        SupplyApplicationInformation(application_id=application_id, note="attached"),
        provider_actor(AGB),
    )

    outcome = steps.run(
        WithdrawApplication(application_id=application_id, reason="merger"), provider_actor(AGB)
    )

    assert [e.type for e in outcome.events] == ["contracting.application.withdrawn"]
    assert steps.application(application_id).status is ApplicationStatus.WITHDRAWN


# --- refusals append nothing ------------------------------------------------------------------

Refusal = Callable[[UUID], Command]

_UNDER_ASSESSMENT_REFUSALS: dict[str, Refusal] = {
    "request information when under assessment": lambda a: RequestApplicationInformation(
        application_id=a, request="more"
    ),
    "supply information nobody asked for": lambda a: SupplyApplicationInformation(
        application_id=a, note="here"
    ),
    "complete twice": lambda a: MarkApplicationComplete(application_id=a),
    "a metric the pack never reads": lambda a: RecordApplicationMetrics(
        application_id=a, metrics={"shoe_size": True}, evidence="tape measure"
    ),
    "a requirement not in the pack": lambda a: RecordRequirementOutcome(
        application_id=a, code="ZZ-NOT-A-RULE", outcome=Outcome.MET, evidence="x", motivation="x"
    ),
    "an exclusion finding on the integrity ground": lambda a: RecordExclusionFinding(
        application_id=a,
        code="ZZ-EXCL-NEGATIVE-INTEGRITY",
        present=True,
        subject="provider",
        evidence="rumour",
    ),
    "concluding an investigation never opened": lambda a: ConcludeIntegrityInvestigation(
        application_id=a, advice=IntegrityAdvice.POSITIVE, motivation="fine"
    ),
    "approving before anything is assessed": lambda a: ApproveApplication(
        application_id=a, contract_type=MSZ_MAATWERK
    ),
    "rejecting for a requirement never assessed": lambda a: RejectApplication(
        application_id=a,
        reasons=(Rejection(kind=ReasonKind.REQUIREMENT_NOT_MET, rule="ZZ-MIN-KVK"),),
        motivation="not met",
    ),
    "resubmitting for the same pack and sub-type": lambda a: submission(AGB, "msz"),
}


@pytest.mark.parametrize(
    "refusal", _UNDER_ASSESSMENT_REFUSALS.values(), ids=list(_UNDER_ASSESSMENT_REFUSALS)
)
def test_a_refused_application_command_appends_nothing(steps: Steps, refusal: Refusal) -> None:
    application_id = steps.run(submission(AGB, "msz"), provider_actor(AGB)).aggregate_id
    steps.run(MarkApplicationComplete(application_id=application_id))
    before = steps.position()
    version = steps.application(application_id).version

    with pytest.raises(DomainError):
        steps.run(refusal(application_id))

    assert steps.position() == before
    assert steps.application(application_id).version == version


def test_an_investigation_or_a_withdrawal_after_approval_is_refused(steps: Steps) -> None:
    application_id = approved_application(
        steps, agb=AGB, care_type="msz", contract_type=MSZ_MAATWERK, metrics=MSZ_ZBC_METRICS
    )
    before = steps.position()

    for command in (
        OpenIntegrityInvestigation(application_id=application_id, reason="late tip"),
        WithdrawApplication(application_id=application_id),
    ):
        with pytest.raises(DomainError):
            steps.run(command)

    assert steps.position() == before
