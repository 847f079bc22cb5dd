"""Contract test builders: approvals made directly, offers through ``Contract.offer``, running
contracts through ``Contract.register_running_contract``.

The worked examples and running contracts run on the real pack files (the session ``catalog``
fixture). ``cqtest-*`` is a small Caresq-shaped pack built here (brief §5.5, §6.2-6.3, §9) for
what the real packs do not have: several versions of one pack, other care-finder settings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from care_contracts.domain.application.approval import ApprovedAssessment, ProviderDetails
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.dates import AMSTERDAM, local_date
from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.model import (
    ApplicationPolicy,
    CareFinderPolicy,
    ContractTypeSpec,
    PolicyPack,
    Route,
    SigningRule,
    StartRule,
    Term,
)
from care_contracts.domain.values import AgbCode, KvkNumber, Postcode

CARESQ = "cqtest-2027-pharmacy"
CQ_PHARMACY = "cq-2027-pharmacy"
RUNNING = "CQ-FARM-CT-RUNNING"
RUNNING_START = date(2025, 1, 1)
RUNNING_END = date(2028, 12, 31)
RUNNING_SIGNED = date(2024, 11, 20)
_TEST_NAMESPACE = UUID("0d7b0c8e-54c1-4d8e-9a55-2f0f1c3a9b10")


def caresq_pack(
    version: str = "1.0",
    valid_from: date = date(2026, 4, 1),
    care_finder: CareFinderPolicy | None = None,
) -> PolicyPack:
    """Caresq pharmacy as the brief reads it: explicit end dates, offer + 28 days outside the
    round, 7 November 2026 in the round, month after application and never retroactive."""
    term = Term(start=date(2027, 1, 1))
    return PolicyPack(
        id=CARESQ,
        version=version,
        valid_from=valid_from,
        title="Caresq pharmacy 2027 (test)",
        insurer="caresq",
        insurer_name="Eucare (Caresq)",
        year=2027,
        care_type="pharmacy",
        document="004",
        sub_types=(),
        contract_types=(
            ContractTypeSpec(
                code="CQ-FARM-CT-BASIS",
                title="Basis",
                negotiated=False,
                term=term,
                routes=(Route.ANNUAL_ROUND, Route.APPLICATION),
            ),
            ContractTypeSpec(
                code="CQ-FARM-CT-NEGOTIATED",
                title="Negotiated",
                negotiated=True,
                term=term,
                routes=(Route.NEGOTIATED,),
            ),
            ContractTypeSpec(
                code="CQ-FARM-CT-ADDITIONAL",
                title="Addendum, out of scope",
                negotiated=True,
                offerable=False,
            ),
        ),
        signing_rules=(
            SigningRule(
                code="CQ-FARM-SIGN-NON-NEGOTIATED",
                routes=(Route.ANNUAL_ROUND,),
                anchor="fixed_date",
                deadline=date(2026, 11, 7),
            ),
            SigningRule(
                code="CQ-FARM-SIGN-NEGOTIATED",
                routes=(Route.NEGOTIATED,),
                anchor="offer",
                days=28,
            ),
            SigningRule(
                code="CQ-FARM-SIGN-LATE-APPLICATION",
                routes=(Route.APPLICATION,),
                anchor="offer",
                days=28,
            ),
        ),
        start_rules=(
            StartRule(
                code="CQ-FARM-START",
                routes=(Route.ANNUAL_ROUND, Route.NEGOTIATED, Route.APPLICATION),
                kind="first_of_month_after_application",
                no_retroactive=True,
            ),
        ),
        application=ApplicationPolicy(
            channel="email",
            address="inkoop@caresq.example",
            received_from=date(2026, 4, 1),
            received_until=date(2027, 12, 31),
            window_rule="CQ-FARM-APPLICATION-WINDOW",
        ),
        care_finder=care_finder or CareFinderPolicy(listed=True, publish_from=date(2026, 11, 12)),
    )


def provider(agb: str = "12345678") -> ProviderDetails:
    return ProviderDetails(
        agb_enterprise=AgbCode(agb),
        kvk=KvkNumber("87654321"),
        name="Kliniek Zuid",
        city="Leiden",
        postcode=Postcode("2311 AB"),
        agb_establishments=(AgbCode("12345679"),),
    )


class ContractBuilder:
    """Approvals as the application aggregate would hand them over, offers as a service would
    make them: under the newest version of the approval's pack in force on the offer day."""

    def __init__(self, catalog: PolicyCatalog) -> None:
        self.catalog = catalog

    def pack(self, pack_id: str, on: date) -> ResolvedPack:
        return self.catalog.newest_in_force(pack_id, on)

    def approval(
        self,
        pack_id: str,
        *,
        route: Route,
        contract_type: str,
        application_date: date,
        sub_type: str | None = None,
        approved_under: date | None = None,
        key: str = "application-1",
    ) -> ApprovedAssessment:
        pack = self.pack(pack_id, approved_under or application_date)
        return ApprovedAssessment(
            application_id=uuid5(_TEST_NAMESPACE, key),
            provider=provider(),
            insurer=pack.pack.insurer,
            year=pack.pack.year,
            care_type=pack.pack.care_type,
            sub_type=sub_type,
            route=route,
            pack=pack.ref,
            contract_type=contract_type,
            application_date=application_date,
            decided_at=datetime.combine(application_date, datetime.min.time(), AMSTERDAM),
            provisional_start=application_date,
        )

    def offer(self, approval: ApprovedAssessment, *, at: datetime, **terms: Any) -> Contract:
        pack = self.pack(approval.pack.id, local_date(at))
        return Contract.offer(approval=approval, pack=pack, at=at, **terms)

    def msz_application(self, *, applied: date, at: datetime, **terms: Any) -> Contract:
        """An MSZ maatwerk contract for a general hospital, by the application route."""
        approval = self.approval(
            "zz-2027-msz",
            route=Route.APPLICATION,
            contract_type="ZZ-MSZ-CT-MAATWERK",
            sub_type="general_hospital",
            application_date=applied,
        )
        return self.offer(approval, at=at, **terms)

    def caresq_application(
        self,
        *,
        applied: date,
        at: datetime,
        ends_on: date = date(2029, 12, 31),
        pack_id: str = CQ_PHARMACY,
        **terms: Any,
    ) -> Contract:
        """A Caresq basis pharmacy contract by the application route, ending as the offer says."""
        approval = self.approval(
            pack_id,
            route=Route.APPLICATION,
            contract_type="CQ-FARM-CT-BASIS",
            application_date=applied,
        )
        return self.offer(approval, at=at, ends_on=ends_on, **terms)

    def caresq_running(
        self,
        *,
        at: datetime,
        agb: str = "12345678",
        contract_type: str = RUNNING,
        starts_on: date = RUNNING_START,
        ends_on: date | None = RUNNING_END,
        signed_on: date = RUNNING_SIGNED,
        sub_type: str | None = None,
        pack: ResolvedPack | None = None,
    ) -> Contract:
        """A Caresq running pharmacy contract (2025-2028, signed November 2024), registered
        under the pack version in force on ``at`` unless a pack is given."""
        return Contract.register_running_contract(
            provider=provider(agb),
            contract_type=contract_type,
            sub_type=sub_type,
            pack=pack or self.pack(CQ_PHARMACY, local_date(at)),
            starts_on=starts_on,
            ends_on=ends_on,
            signed_on=signed_on,
            at=at,
        )
