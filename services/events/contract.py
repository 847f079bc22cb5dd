"""The published data contract: one frozen pydantic model per domain event type and version.

What leaves the service (STYLE principle 5) is derived from the domain events but separate from
their storage: each model holds the event's own fields, without the store's identity fields
(``originator_id``, ``originator_version``, ``originator_topic``) and without ``timestamp``, which
the envelope carries as the CloudEvents ``time``. Value objects are published plainly: an AGB
code, KvK number or postcode as its string, money as ``{"cents": int}``, a decimal as a JSON
number (so a numeric metric never reads as text), a nested record (the provider's details) as an
object. Models are strict for producing (``extra="forbid"``).

Names and identifiers come from the stable event topic ``contracting.<aggregate>.<event>`` and
the event class's ``class_version`` (1 unless the class declares more):

- model ``ContractSignedV1``,
- CloudEvents ``type`` ``nl.care-contracts.contract.signed.v1``,
- ``dataschema`` ``urn:care-contracts:schema:contract.signed.v1`` (the ``$id`` of its JSON Schema).

Only the newest version of each event is modelled: a stored event of an older class version is
upcast with the class's own ``upcast_vN_vN+1`` methods before it is published (decision 2).
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Annotated, Any, Union
from uuid import UUID

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import get_topic
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    create_model,
)

from care_contracts.domain.application.aggregate import ProviderApplication
from care_contracts.domain.ceiling.ceiling import RevenueCeiling
from care_contracts.domain.ceiling.frame import FinancialFrame
from care_contracts.domain.contract.aggregate import Contract
from care_contracts.domain.values import AgbCode, KvkNumber, Postcode
from care_contracts.services.store.codec import untag_decimals
from care_contracts.services.store.mapper import ContractingMapper

__all__ = [
    "AGGREGATES",
    "SCHEMA_PREFIX",
    "TYPE_PREFIX",
    "EventContract",
    "EventData",
    "UnknownEventType",
    "by_type",
    "contract_for",
    "contracts",
]

AGGREGATES: tuple[type[Aggregate], ...] = (
    ProviderApplication,
    Contract,
    RevenueCeiling,
    FinancialFrame,
)
TYPE_PREFIX = "nl.care-contracts."
SCHEMA_PREFIX = "urn:care-contracts:schema:"
_TOPIC_ROOT = "contracting."
_NOT_DATA = frozenset({"originator_id", "originator_version", "originator_topic", "timestamp"})
# eventsourcing's own base classes on every aggregate; ``Created`` is redeclared only to give it a
# topic and is never recorded (each aggregate is created by its own named event).
_NOT_EVENTS = frozenset({"Event", "Created"})


class UnknownEventType(LookupError):
    """A stored topic (or class version) with no published model: a programming error."""


class EventData(BaseModel):
    """Base of every published event's data."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class _Record(BaseModel):
    """Base of a value object or record nested in an event's data."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _unwrap(value: Any) -> Any:
    """A single-string value object, stored as ``{"value": ...}``, published as its string."""
    if isinstance(value, AgbCode | KvkNumber | Postcode):
        return value.value
    if isinstance(value, Mapping) and set(value) == {"value"}:
        return value["value"]
    return value


_TEXT_VALUES: dict[type[Any], Any] = {
    AgbCode: Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$"), BeforeValidator(_unwrap)],
    KvkNumber: Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$"), BeforeValidator(_unwrap)],
    Postcode: Annotated[
        str, StringConstraints(pattern=r"^[0-9]{4} [A-Z]{2}$"), BeforeValidator(_unwrap)
    ],
}


def _decimal_number(value: Decimal) -> int | float:
    """A decimal as a JSON number, exactly: a metric value must not read as text (``"1.5"``)."""
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"{value} has no exact JSON number form")
    return number


DecimalNumber = Annotated[
    Decimal,
    PlainSerializer(_decimal_number, when_used="json"),
    WithJsonSchema({"type": "number"}, mode="serialization"),
]


@dataclass(frozen=True)
class EventContract:
    """One event type and version as published: its domain class, model and identifiers."""

    topic: str  # the stable stored topic, e.g. "contracting.contract.signed"
    class_version: int
    aggregate: str  # "contract"
    event: str  # "signed"
    event_class: type[Any]
    model: type[EventData]

    @property
    def type(self) -> str:
        return f"{TYPE_PREFIX}{self.aggregate}.{self.event}.v{self.class_version}"

    @property
    def dataschema(self) -> str:
        return f"{SCHEMA_PREFIX}{self.aggregate}.{self.event}.v{self.class_version}"

    def data(self, stored_data: Mapping[str, Any], stored_version: int = 1) -> EventData:
        """The published model of a stored event body's ``data`` (upcast to this version)."""
        upcast: Mapping[str, Any] = stored_data
        if stored_version < self.class_version:  # upcasters change the body in place: a copy
            upcast = ContractingMapper.upcast(
                self.event_class, copy.deepcopy(dict(stored_data)), stored_version
            )
        fields = {k: untag_decimals(v) for k, v in upcast.items() if k not in _NOT_DATA}
        return self.model.model_validate(fields)


@cache
def contracts() -> Mapping[tuple[str, int], EventContract]:
    """Every recorded domain event of the four aggregates, by (topic, class version)."""
    found: dict[tuple[str, int], EventContract] = {}
    for aggregate in AGGREGATES:
        aggregate_topic = str(vars(aggregate)["TOPIC"])  # each declares its own stable topic
        aggregate_name = _tail(aggregate_topic)
        for name, member in vars(aggregate).items():
            if name in _NOT_EVENTS or not _is_event(member):
                continue
            topic = get_topic(member)
            prefix = f"{aggregate_topic}."
            if not topic.startswith(prefix):
                raise ValueError(f"{member.__qualname__} topic {topic} is not under {prefix}")
            event_name = topic[len(prefix) :]
            version = int(getattr(member, "class_version", 1))
            model = _model(member, aggregate_name, event_name, version)
            found[(topic, version)] = EventContract(
                topic, version, aggregate_name, event_name, member, model
            )
    return found


@cache
def by_type() -> Mapping[str, EventContract]:
    """The same registry keyed by CloudEvents type."""
    return {c.type: c for c in contracts().values()}


def contract_for(topic: str, class_version: int | None = None) -> EventContract:
    """The published contract of a stored topic; its newest version when none is given."""
    if class_version is not None:
        found = contracts().get((topic, class_version))
    else:
        versions = [c for (t, _), c in contracts().items() if t == topic]
        found = max(versions, key=lambda c: c.class_version) if versions else None
    if found is None:
        raise UnknownEventType(f"no published model for {topic} v{class_version or 'newest'}")
    return found


def _is_event(member: object) -> bool:
    return isinstance(member, type) and issubclass(member, CanMutateAggregate)


def _tail(topic: str) -> str:
    if not topic.startswith(_TOPIC_ROOT):
        raise ValueError(f"aggregate topic {topic} is not under {_TOPIC_ROOT}")
    return topic[len(_TOPIC_ROOT) :]


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def _model(event_class: type[Any], aggregate: str, event: str, version: int) -> type[EventData]:
    hints = typing.get_type_hints(event_class)
    fields: dict[str, Any] = {
        f.name: (_public(hints[f.name]), ...)
        for f in dataclasses.fields(event_class)
        if f.name not in _NOT_DATA
    }
    name = f"{_camel(aggregate)}{_camel(event)}V{version}"
    doc = f"Data of ``{_TOPIC_ROOT}{aggregate}.{event}`` v{version}."
    model: type[EventData] = create_model(name, __base__=EventData, __doc__=doc, **fields)
    return model


def _public(annotation: Any) -> Any:
    """The published type of an event field's type."""
    if annotation in _TEXT_VALUES:
        return _TEXT_VALUES[annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple[_public(args[0]), ...]  # type: ignore[misc]
        return tuple.__class_getitem__(tuple(_public(a) for a in args))
    if origin is Union or origin is types.UnionType:
        return Union[tuple(_public(a) for a in args)]  # noqa: UP007 - built at run time
    if origin is not None:
        raise TypeError(f"no published form for {annotation!r}")
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return _record(annotation)
    if annotation is Decimal:
        return DecimalNumber
    if annotation in (str, int, bool, type(None)) or _is_plain(annotation):
        return annotation
    raise TypeError(f"no published form for {annotation!r}")


def _is_plain(annotation: Any) -> bool:
    return annotation in (date, datetime, UUID) or (
        isinstance(annotation, type) and issubclass(annotation, Enum)
    )


@cache
def _record(cls: type[Any]) -> type[_Record]:
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {
        f.name: (_public(hints[f.name]), ...) for f in dataclasses.fields(cls)
    }
    model: type[_Record] = create_model(
        cls.__name__, __base__=_Record, __doc__=cls.__doc__, **fields
    )
    return model
