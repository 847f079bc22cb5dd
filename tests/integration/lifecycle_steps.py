"""Steps for the command-lifecycle tests: run commands through the real bus, build signed contracts.

Every step is a command on the ``CommandBus``; nothing here touches an aggregate directly except to
read which requirements apply (``rules.applies_to`` on the stored application's profile). The
pack's own requirement and ground lists drive the assessment, so no rule code is a literal here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.guards import INTEGRITY_GROUND
from care_contracts.domain.application.states import Outcome
from care_contracts.domain.dates import AMSTERDAM
from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.model import PackRef, RuleKind
from care_contracts.domain.policy.rules import applies_to
from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.applications import (
    ApproveApplication,
    MarkApplicationComplete,
    MetricValue,
    RecordApplicationMetrics,
    RecordExclusionFinding,
    RecordRequirementOutcome,
    SubmitApplication,
)
from care_contracts.services.commands.base import Command, CommandContext, CommandOutcome
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.contracts import OfferContract, SignContract
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.metadata import Actor, Role

ZZ = "zorg-en-zekerheid"
MSZ = PackRef(id="zz-2027-msz", version="1.1")
GZSP = PackRef(id="zz-2027-gzsp", version="1.0")
MSZ_MAATWERK = "ZZ-MSZ-CT-MAATWERK"
GZSP_MAATWERK = "ZZ-GZSP-CT-MAATWERK"

OFFICER = Actor(role=Role.OFFICER, subject="officer-7", insurer=ZZ)
TIMER = Actor(role=Role.SYSTEM, subject="deadline-watcher")

_GENERAL: dict[str, MetricValue] = {
    "vecozo_certificate_valid": True,
    "agb_valid_for_term": True,
    "kvk_registered": True,
    "wtza_compliant": True,
    "big_compliant": True,
}
# Every hard MSZ requirement holds for an existing ZBC, and maatwerk fits.
MSZ_ZBC_METRICS: dict[str, MetricValue] = _GENERAL | {
    "medical_staff_big_registered": True,
    "specialists_rgs_registered": True,
    "nen8009_certified": True,
    "quality_certificate": "hkz",
    "specialist_fte": Decimal("1.5"),
    "institution_kind": "zbc",
}
# More than EUR 100,000 expected claims: the GZSP maatwerk contract (it carries a ceiling).
GZSP_MAATWERK_METRICS: dict[str, MetricValue] = _GENERAL | {
    "expected_claims_cents": Decimal("25000000"),
    "custom_terms_needed": True,
    "tariffs_within_nza_maximum": True,
}


def local(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """A fixed instant in Amsterdam local time."""
    return datetime(year, month, day, hour, tzinfo=AMSTERDAM)


def provider_actor(agb: str) -> Actor:
    return Actor(role=Role.PROVIDER, subject=agb)


@dataclass
class Steps:
    """One bus, its store and clock; every command a test runs, with the ids it ran under."""

    bus: CommandBus
    store: ContractingStore
    clock: SimulatedClock
    catalog: PolicyCatalog
    correlation_id: str = "lifecycle"
    outcomes: list[CommandOutcome] = field(default_factory=list)

    def run(self, command: Command, actor: Actor = OFFICER, **context: Any) -> CommandOutcome:
        context.setdefault("correlation_id", self.correlation_id)
        outcome = self.bus.execute(command, CommandContext(actor=actor, **context))
        self.outcomes.append(outcome)
        return outcome

    def at(self, instant: datetime) -> None:
        """Move the clock to ``instant`` (never backwards)."""
        self.clock.set(instant)

    def position(self) -> int:
        return self.store.recorder.max_notification_id() or 0

    def application(self, application_id: UUID) -> ProviderApplication:
        found: ProviderApplication = self.store.repository.get(application_id)
        return found


def submission(agb: str, care_type: str, **overrides: Any) -> SubmitApplication:
    fields: dict[str, Any] = {
        "agb_enterprise": agb,
        "kvk": "12345678",
        "name": f"Kliniek {agb}",
        "city": "Goes",
        "postcode": "4461 AB",
        "insurer": ZZ,
        "year": 2027,
        "care_type": care_type,
        "sub_type": "zbc" if care_type == "msz" else None,
        "is_new_provider": False,
    }
    return SubmitApplication(**(fields | overrides))


def assess_everything(
    steps: Steps,
    application_id: UUID,
    pack: ResolvedPack,
    metrics: dict[str, MetricValue],
) -> None:
    """Metrics, every applicable requirement (soft ones met) and every applicable ground absent."""
    steps.run(
        RecordApplicationMetrics(
            application_id=application_id, metrics=metrics, evidence="officer check"
        )
    )
    profile = steps.application(application_id).profile()
    for requirement in pack.requirements:
        if not applies_to(requirement.applies, profile):
            continue
        if requirement.kind is RuleKind.HARD:
            command = RecordRequirementOutcome(
                application_id=application_id, code=requirement.code, evidence="register look-up"
            )
        else:
            command = RecordRequirementOutcome(
                application_id=application_id,
                code=requirement.code,
                outcome=Outcome.MET,
                evidence="declaration",
                motivation="declaration checked against the policy text",
            )
        steps.run(command)
    for ground in pack.exclusion_grounds:
        if ground.code == INTEGRITY_GROUND or not applies_to(ground.applies, profile):
            continue  # the integrity ground follows only from a concluded investigation
        steps.run(
            RecordExclusionFinding(
                application_id=application_id,
                code=ground.code,
                present=False,
                subject="provider",
                evidence="register and file check",
            )
        )


def approved_application(
    steps: Steps,
    *,
    agb: str,
    care_type: str,
    contract_type: str,
    metrics: dict[str, MetricValue],
    received_at: datetime | None = None,
) -> UUID:
    submitted = steps.run(submission(agb, care_type, received_at=received_at), provider_actor(agb))
    application_id = submitted.aggregate_id
    pack = steps.catalog.get(steps.application(application_id).pack_ref)
    steps.run(MarkApplicationComplete(application_id=application_id))
    assess_everything(steps, application_id, pack, metrics)
    steps.run(ApproveApplication(application_id=application_id, contract_type=contract_type))
    return application_id


def offered_contract(steps: Steps, application_id: UUID) -> UUID:
    return steps.run(OfferContract(application_id=application_id)).aggregate_id


def signed_gzsp_contract(steps: Steps, agb: str) -> UUID:
    """A GZSP maatwerk contract (its type carries a ceiling), offered and signed today."""
    application_id = approved_application(
        steps,
        agb=agb,
        care_type="gzsp",
        contract_type=GZSP_MAATWERK,
        metrics=GZSP_MAATWERK_METRICS,
    )
    contract_id = offered_contract(steps, application_id)
    steps.run(SignContract(contract_id=contract_id, vecozo_ref=f"VZ-{agb}"), provider_actor(agb))
    return contract_id
