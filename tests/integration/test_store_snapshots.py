"""Snapshots: taken every N events for every aggregate type, used on load, equal to a full replay.

A writing store snapshots every ``INTERVAL`` events; reading stores have no aggregate cache, so
every ``repository.get`` goes to the database. A store with snapshots disabled over the same
database is the reference: it replays every event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.application.approval import ProviderDetails
from care_contracts.domain.application.states import (
    ApplicationStatus,
    Channel,
    Origin,
    Outcome,
)
from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.ceiling.outcomes import CeilingStatus
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.contract.status import ContractStatus
from care_contracts.domain.dates import AMSTERDAM
from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.model import PackRef, Route, RuleKind
from care_contracts.domain.policy.rules import Fact, applies_to
from care_contracts.domain.values import AgbCode, KvkNumber, Money, Postcode
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.metadata import Actor, EventMetadata, Role, recording

INTERVAL = 3
MAATWERK = "ZZ-MSZ-CT-MAATWERK"
INTEGRITY = "ZZ-EXCL-NEGATIVE-INTEGRITY"
GROWTH = "ZZ-MSZ-CEILING-GROUND-GROWTH"
PASSING: dict[str, Fact] = {
    "vecozo_certificate_valid": True,
    "agb_valid_for_term": True,
    "kvk_registered": True,
    "wtza_compliant": True,
    "big_compliant": True,
    "medical_staff_big_registered": True,
    "specialists_rgs_registered": True,
    "nen8009_certified": True,
    "quality_certificate": "hkz",
    "specialist_fte": Decimal("1.5"),
    "institution_kind": "zbc",
}
META = EventMetadata(
    command_id="snapshot-test",
    command="SnapshotTest",
    correlation_id="snapshot-test",
    actor=Actor(role=Role.SYSTEM, subject="snapshot-test"),
)

OpenStore = Callable[[Settings], ContractingStore]


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2027, month, day, hour, tzinfo=AMSTERDAM)


@pytest.fixture
def open_with(settings: Settings) -> Iterator[OpenStore]:
    """Stores over the test's database with other snapshot and cache settings; closed after."""
    opened: list[ContractingStore] = []

    def factory(variant: Settings) -> ContractingStore:
        store = ContractingStore(variant)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def snapshotting(settings: Settings) -> Settings:
    return settings.model_copy(update={"snapshot_interval": INTERVAL, "aggregate_cache_size": 0})


@pytest.fixture
def writer(open_with: OpenStore, snapshotting: Settings) -> ContractingStore:
    return open_with(snapshotting)


@pytest.fixture
def reader(open_with: OpenStore, snapshotting: Settings) -> ContractingStore:
    return open_with(snapshotting)


@pytest.fixture
def replayer(open_with: OpenStore, settings: Settings) -> ContractingStore:
    """Snapshots off, no cache: every load replays every event."""
    return open_with(
        settings.model_copy(update={"snapshot_interval": 0, "aggregate_cache_size": 0})
    )


@pytest.fixture
def msz(catalog: PolicyCatalog) -> ResolvedPack:
    return catalog.get(PackRef(id="zz-2027-msz", version="1.1"))


def _save(store: ContractingStore, *aggregates: Aggregate) -> None:
    with recording(META):
        store.save(*aggregates)


class _Story:
    """One provider's way from application to a revised ceiling, saved command by command."""

    def __init__(self, store: ContractingStore, pack: ResolvedPack) -> None:
        self.store = store
        self.pack = pack

    def application(self) -> ProviderApplication:
        pack, store = self.pack, self.store
        app = ProviderApplication.submit(
            pack=pack,
            provider=ProviderDetails(
                agb_enterprise=AgbCode("22221111"),
                kvk=KvkNumber("12345678"),
                name="Kliniek Aan Het IJ",
                city="Amsterdam",
                postcode=Postcode("1011 AB"),
                agb_establishments=(AgbCode("22221112"),),
            ),
            insurer="zorg-en-zekerheid",
            year=2027,
            care_type="msz",
            sub_type="zbc",
            route=Route.APPLICATION,
            origin=Origin.PROVIDER,
            channel=Channel.WEB_FORM,
            is_new_provider=False,
            at=at(3, 9),
        )
        _save(store, app)
        app.request_information(request="the NEN 8009 certificate", at=at(3, 9, 14))
        _save(store, app)
        app.supply_information(note="certificate attached", at=at(3, 10))
        _save(store, app)
        app.mark_complete(at=at(3, 11))
        app.record_metrics(pack=pack, metrics=PASSING, evidence="officer check", at=at(3, 20))
        _save(store, app)  # two events in one save: the snapshot at 6 is still taken
        profile = app.profile()
        for requirement in pack.requirements:
            if not applies_to(requirement.applies, profile):
                continue
            if requirement.kind is RuleKind.HARD:
                app.record_requirement_outcome(
                    pack=pack, code=requirement.code, evidence="register", at=at(3, 20)
                )
            else:
                app.record_requirement_outcome(
                    pack=pack,
                    code=requirement.code,
                    outcome=Outcome.MET,
                    evidence="declaration",
                    motivation="checked against the policy text",
                    at=at(3, 20),
                )
            _save(store, app)
        for ground in pack.exclusion_grounds:
            if ground.code != INTEGRITY and applies_to(ground.applies, profile):
                app.record_exclusion_finding(
                    pack=pack,
                    code=ground.code,
                    present=False,
                    subject="provider",
                    evidence="register and file check",
                    at=at(3, 21),
                )
                _save(store, app)
        app.approve(pack=pack, contract_type=MAATWERK, at=at(3, 25))
        _save(store, app)
        return app

    def contract(self, app: ProviderApplication, amendments: int) -> Contract:
        contract = Contract.offer(approval=app.approval, pack=self.pack, at=at(4, 1))
        _save(self.store, contract)
        contract.sign(at=at(4, 15), vecozo_ref="VZ-2027-0001")
        _save(self.store, contract)
        for n in range(amendments):
            contract.amend(
                at=at(5, 1), description=f"amendment {n + 1}", effective_on=at(6, 1).date()
            )
            _save(self.store, contract)
        return contract

    def ceiling_and_frame(self, contract: Contract) -> tuple[RevenueCeiling, FinancialFrame]:
        pack, store = self.pack, self.store
        facts = contract.facts(at(6, 1))
        ceiling = RevenueCeiling.agree(
            contract=facts, pack=pack, year=2027, amount=Money.euros(1_000_000), at=at(6, 1)
        )
        frame = FinancialFrame.open(
            insurer="zorg-en-zekerheid", year=2027, care_type="msz", amount=Money(0), at=at(6, 1)
        )
        _save(store, ceiling, frame)
        for n in range(1, 5):
            ceiling.report_expected_overrun(
                contract=facts,
                pack=pack,
                received_at=at(9, n),
                channel="email",
                expected_amount=Money.euros(1_100_000 + n * 10_000),
                grounds_claimed=(GROWTH,),
                at=at(9, n),
            )
            frame.set_frame(amount=Money.euros(100_000 * n), at=at(9, n))
            _save(store, ceiling, frame)
        ceiling.record_ground_evidence(
            pack=pack,
            ground=GROWTH,
            evidence="insured persons +8%",
            established=True,
            occurred_on=None,
            at=at(9, 20),
        )
        _save(store, ceiling)
        for n in range(1, 4):
            frame.reserve(
                amount=Money.euros(10_000),
                ceiling_id=UUID(int=n),
                ceiling_version=1,
                pack=pack,
                at=at(9, 21),
            )
            _save(store, frame)
        frame.release(
            amount=Money.euros(10_000), ceiling_id=UUID(int=2), reason="annulled", at=at(9, 22)
        )
        _save(store, frame)
        return ceiling, frame


@pytest.fixture
def story(writer: ContractingStore, msz: ResolvedPack) -> dict[str, Aggregate]:
    told = _Story(writer, msz)
    app = told.application()
    contract = told.contract(app, amendments=8)
    ceiling, frame = told.ceiling_and_frame(contract)
    return {"application": app, "contract": contract, "ceiling": ceiling, "frame": frame}


def _snapshot_versions(store: ContractingStore, aggregate_id: UUID) -> list[int]:
    assert store.snapshots is not None
    return [s.originator_version for s in store.snapshots.get(aggregate_id)]


def _decoded(store: ContractingStore, monkeypatch: pytest.MonkeyPatch) -> list[StoredEvent]:
    """Record every stored item (event or snapshot) the store's mapper decodes from now on."""
    seen: list[StoredEvent] = []
    mapper = store.mapper
    original = mapper.to_domain_event

    def spy(stored: StoredEvent) -> Any:
        seen.append(stored)
        return original(stored)

    monkeypatch.setattr(mapper, "to_domain_event", spy)
    return seen


def test_every_aggregate_type_is_snapshotted_every_n_events(
    story: dict[str, Aggregate], writer: ContractingStore
) -> None:
    for name, aggregate in story.items():
        expected = list(range(INTERVAL, aggregate.version + 1, INTERVAL))

        assert len(expected) >= 2, f"{name} needs at least two snapshots to prove the interval"
        assert _snapshot_versions(writer, aggregate.id) == expected, name


def test_loading_starts_from_the_newest_snapshot_and_equals_a_full_replay(
    story: dict[str, Aggregate],
    reader: ContractingStore,
    replayer: ContractingStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoded = _decoded(reader, monkeypatch)
    for name, aggregate in story.items():
        newest = max(_snapshot_versions(reader, aggregate.id))
        decoded.clear()

        loaded = reader.repository.get(aggregate.id)

        assert [s.originator_version for s in decoded] == list(
            range(newest, aggregate.version + 1)
        ), name
        assert "snapshot" in reader.contracting_mapper.read_body(decoded[0]), name
        replayed = replayer.repository.get(aggregate.id)
        assert type(loaded) is type(replayed) is type(aggregate)
        assert loaded.version == replayed.version == aggregate.version
        assert vars(loaded) == vars(replayed), name


@pytest.mark.parametrize("name", ["application", "contract", "ceiling", "frame"])
def test_a_loaded_aggregate_equals_the_one_that_was_saved(
    story: dict[str, Aggregate], reader: ContractingStore, name: str
) -> None:
    assert vars(reader.repository.get(story[name].id)) == vars(story[name])


def test_state_from_a_snapshot_keeps_its_types(
    story: dict[str, Aggregate], reader: ContractingStore
) -> None:
    app = reader.repository.get(story["application"].id)
    contract = reader.repository.get(story["contract"].id)
    ceiling = reader.repository.get(story["ceiling"].id)
    frame = reader.repository.get(story["frame"].id)

    assert app.status is ApplicationStatus.APPROVED
    assert all(r.kind in RuleKind for r in app.requirement_outcomes.values())
    assert contract.status is ContractStatus.SIGNED
    assert type(contract.agb_enterprise) is AgbCode
    assert ceiling.status is CeilingStatus.OVERRUN_REPORTED
    assert ceiling.assessments == {GROWTH: True}
    assert frame.reserved_by_ceiling == {
        UUID(int=1): Money.euros(10_000),
        UUID(int=3): Money.euros(10_000),
    }
    assert frame.remaining == Money.euros(400_000 - 20_000)


def test_a_snapshot_alone_rebuilds_the_aggregate_once_its_events_are_gone(
    story: dict[str, Aggregate],
    settings: Settings,
    reader: ContractingStore,
    replayer: ContractingStore,
) -> None:
    contract = story["contract"]
    newest = max(_snapshot_versions(reader, contract.id))
    expected = vars(replayer.repository.get(contract.id))

    _delete_events_up_to(reader, settings, contract.id, newest)

    remaining = [e.originator_version for e in reader.recorder.select_events(contract.id)]
    assert remaining == list(range(newest + 1, contract.version + 1))
    assert vars(reader.repository.get(contract.id)) == expected


def test_an_older_version_below_the_newest_snapshot_replays_correctly(
    story: dict[str, Aggregate],
    reader: ContractingStore,
    replayer: ContractingStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoded = _decoded(reader, monkeypatch)
    for name, aggregate in story.items():
        newest = max(_snapshot_versions(reader, aggregate.id))
        for version in range(1, newest):
            decoded.clear()

            loaded = reader.repository.get(aggregate.id, version=version)

            replayed = replayer.repository.get(aggregate.id, version=version)
            assert loaded.version == version, name
            assert vars(loaded) == vars(replayed), (name, version)
            below = version - version % INTERVAL
            first = below if below else 1
            assert [s.originator_version for s in decoded] == list(range(first, version + 1))


def _delete_events_up_to(
    store: ContractingStore, settings: Settings, aggregate_id: UUID, version: int
) -> None:
    if settings.uses_postgres:
        statement = (
            f'DELETE FROM "{settings.postgres_schema}".contracting_events'
            " WHERE originator_id = %s AND originator_version <= %s"
        )
        with store.recorder.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            curs.execute(statement, (aggregate_id, version))
        return
    with store.recorder.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
        cursor.execute(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version <= ?",
            (aggregate_id.hex, version),
        )


def test_a_cache_size_of_zero_means_every_load_reads_the_database(
    story: dict[str, Aggregate],
    open_with: OpenStore,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uncached = open_with(settings.model_copy(update={"aggregate_cache_size": 0}))
    cached = open_with(settings.model_copy(update={"aggregate_cache_size": 5}))
    contract_id = story["contract"].id
    decoded = _decoded(uncached, monkeypatch)

    uncached.repository.get(contract_id)
    first = len(decoded)
    uncached.repository.get(contract_id)

    assert uncached.repository.cache is None
    assert first > 0
    assert len(decoded) == 2 * first
    assert cached.repository.cache is not None
