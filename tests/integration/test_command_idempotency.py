"""Command ids make retries safe: the first outcome is returned and nothing is appended twice."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from care_contracts.services.commands.applications import (
    ApplicationAlreadySubmitted,
    MarkApplicationComplete,
    SubmitApplication,
)
from care_contracts.services.commands.base import CommandContext
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.commands.errors import (
    AggregateNotFound,
    AggregateVersionMismatch,
    IdempotencyKeyReused,
)
from care_contracts.services.store.application import ContractingStore
from care_contracts.services.store.metadata import Actor


def _submit(**overrides: Any) -> SubmitApplication:
    fields: dict[str, Any] = {
        "agb_enterprise": "06123456",
        "kvk": "12345678",
        "name": "Kliniek Zeeland",
        "city": "Goes",
        "postcode": "4461 AB",
        "insurer": "zorg-en-zekerheid",
        "year": 2027,
        "care_type": "msz",
        "sub_type": "zbc",
        "is_new_provider": True,
    }
    return SubmitApplication(**(fields | overrides))


def test_a_repeated_command_id_returns_the_first_outcome_and_appends_nothing(
    bus: CommandBus, store: ContractingStore, provider: Actor
) -> None:
    context = CommandContext(actor=provider, command_id="key-1")
    first = bus.execute(_submit(), context)
    positions_after_first = store.recorder.max_notification_id()

    again = bus.execute(_submit(), context)

    assert again.replayed is True
    assert first.replayed is False
    assert again.model_dump(exclude={"replayed"}) == first.model_dump(exclude={"replayed"})
    assert store.recorder.max_notification_id() == positions_after_first
    assert first.events[0].position == positions_after_first


def test_the_same_command_id_with_another_payload_is_a_typed_conflict(
    bus: CommandBus, store: ContractingStore, provider: Actor
) -> None:
    bus.execute(_submit(), CommandContext(actor=provider, command_id="key-2"))
    before = store.recorder.max_notification_id()

    with pytest.raises(IdempotencyKeyReused) as refused:
        bus.execute(_submit(name="Other name"), CommandContext(actor=provider, command_id="key-2"))

    assert refused.value.code == "idempotency_key_reused"
    assert store.recorder.max_notification_id() == before


def test_a_duplicate_submission_cannot_create_a_second_application(
    bus: CommandBus, store: ContractingStore, provider: Actor
) -> None:
    first = bus.execute(_submit(), CommandContext(actor=provider))
    before = store.recorder.max_notification_id()

    with pytest.raises(ApplicationAlreadySubmitted) as refused:
        bus.execute(_submit(city="Middelburg"), CommandContext(actor=provider))

    assert refused.value.facts["application_id"] == str(first.aggregate_id)
    assert store.recorder.max_notification_id() == before


def test_a_stale_expected_version_is_refused_and_records_nothing(
    bus: CommandBus, store: ContractingStore, provider: Actor, officer: Actor
) -> None:
    submitted = bus.execute(_submit(), CommandContext(actor=provider))
    before = store.recorder.max_notification_id()

    with pytest.raises(AggregateVersionMismatch) as refused:
        bus.execute(
            MarkApplicationComplete(application_id=submitted.aggregate_id),
            CommandContext(actor=officer, expected_version=submitted.version + 1),
        )

    assert refused.value.facts == {
        "id": str(submitted.aggregate_id),
        "expected": submitted.version + 1,
        "actual": submitted.version,
    }
    assert store.recorder.max_notification_id() == before


def test_the_expected_version_when_current_lets_the_command_through(
    bus: CommandBus, provider: Actor, officer: Actor
) -> None:
    submitted = bus.execute(_submit(), CommandContext(actor=provider))

    completed = bus.execute(
        MarkApplicationComplete(application_id=submitted.aggregate_id),
        CommandContext(actor=officer, expected_version=submitted.version),
    )

    assert completed.version == submitted.version + 1
    assert [e.type for e in completed.events] == ["contracting.application.completed"]


def test_a_command_on_an_unknown_aggregate_is_not_found(bus: CommandBus, officer: Actor) -> None:
    with pytest.raises(AggregateNotFound):
        bus.execute(MarkApplicationComplete(application_id=uuid4()), CommandContext(actor=officer))


def test_every_stored_event_carries_its_command_metadata_and_deciding_pack(
    bus: CommandBus, store: ContractingStore, provider: Actor
) -> None:
    context = CommandContext(actor=provider, command_id="key-meta", correlation_id="corr-9")
    outcome = bus.execute(_submit(), context)

    (stored,) = store.recorder.select_events(outcome.aggregate_id)
    meta = store.contracting_mapper.read_body(stored)["meta"]

    assert meta == {
        "command_id": "key-meta",
        "command": "SubmitApplication",
        "correlation_id": "corr-9",
        "actor": {"role": "provider", "subject": "06123456", "insurer": None},
        "scope": {"insurer": "zorg-en-zekerheid", "care_type": "msz"},
        "pack": {"id": "zz-2027-msz", "version": "1.1"},
    }
