"""Exact, readable serialisation of domain events and snapshots.

Events: one pydantic ``TypeAdapter`` per event class dumps its dataclass fields to plain JSON and
validates them back to the same types (tuples stay tuples, ``Money`` stays ``Money``), so a stored
v1 body is an ordinary JSON object an upcaster can edit. Snapshots hold an aggregate's free-form
``__dict__``: they use a small type-tagged encoding that round-trips every value type the domain
uses without per-class registration.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel, TypeAdapter

__all__ = ["decode_event", "decode_value", "encode_event", "encode_value", "untag_decimals"]

_IDENTITY = ("originator_id", "originator_version")


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def encode_event(event: object) -> dict[str, Any]:
    """The event's own fields as JSON-ready data, without its aggregate id and version.

    A Decimal is stored tagged (``{"$decimal": "1.5"}``), as in snapshots: pydantic writes it as
    a JSON string, which a ``Decimal | bool | str`` field (a metric or fact) would read back as
    the string "1.5", so a replayed threshold would compare a string.
    """
    adapter = _adapter(type(event))
    native = adapter.dump_python(event)
    data: dict[str, Any] = adapter.dump_python(event, mode="json")
    if _holds_decimal(native):  # most events hold none: skip rebuilding the dump to tag nothing
        data = _tag_decimals(native, data)
    for key in _IDENTITY:
        data.pop(key, None)
    return data


def decode_event(cls: type[Any], data: dict[str, Any], originator_id: UUID, version: int) -> Any:
    return _adapter(cls).validate_python(
        {**untag_decimals(data), "originator_id": originator_id, "originator_version": version}
    )


def _holds_decimal(native: Any) -> bool:
    """Whether ``_tag_decimals`` would find a Decimal: it looks inside dicts, lists and tuples."""
    if isinstance(native, Decimal):
        return True
    if isinstance(native, dict):
        native = native.values()
    elif not isinstance(native, list | tuple):
        return False
    for item in native:
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if _holds_decimal(item):
            return True
    return False


def _tag_decimals(native: Any, plain: Any) -> Any:
    """``plain`` (the JSON dump) with every value that is a Decimal in ``native`` tagged."""
    if isinstance(native, Decimal):
        return {"$decimal": str(native)}
    if isinstance(native, dict) and isinstance(plain, dict):
        return {
            key: _tag_decimals(value, item)
            for (_, value), (key, item) in zip(native.items(), plain.items(), strict=True)
        }
    if isinstance(native, list | tuple) and isinstance(plain, list):
        return [_tag_decimals(value, item) for value, item in zip(native, plain, strict=True)]
    return plain


def untag_decimals(value: Any) -> Any:
    """Read tagged decimals (``{"$decimal": "1.5"}``) in stored event data back as Decimal."""
    if isinstance(value, dict):
        if len(value) == 1 and "$decimal" in value:
            return Decimal(value["$decimal"])
        return {key: untag_decimals(item) for key, item in value.items()}
    if isinstance(value, list):
        return [untag_decimals(item) for item in value]
    return value


def encode_value(value: Any) -> Any:
    """Type-tagged JSON for arbitrary aggregate state (snapshots)."""
    # Enums first: a StrEnum member is also a str and would come back as a bare string.
    if isinstance(value, Enum):
        return {"$enum": get_topic(type(value)), "v": encode_value(value.value)}
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise TypeError("floats are never stored: use Decimal or integer cents")
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, UUID):
        return {"$uuid": str(value)}
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, frozenset | set):
        tag = "$frozenset" if isinstance(value, frozenset) else "$set"
        return {tag: [encode_value(v) for v in sorted(value, key=repr)]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    if isinstance(value, BaseModel):
        return {"$model": get_topic(type(value)), "v": value.model_dump(mode="json")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$dataclass": get_topic(type(value)), "v": fields}
    raise TypeError(f"cannot store a {type(value).__qualname__} in a snapshot")


def decode_value(value: Any) -> Any:
    if not isinstance(value, dict | list):
        return value
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    tag: str = ""
    body: Any = None
    if len(value) == 1:
        tag, body = next(iter(value.items()))
    if tag == "$datetime":
        return datetime.fromisoformat(body)
    if tag == "$date":
        return date.fromisoformat(body)
    if tag == "$decimal":
        return Decimal(body)
    if tag == "$uuid":
        return UUID(body)
    if tag == "$tuple":
        return tuple(decode_value(v) for v in body)
    if tag in ("$frozenset", "$set"):
        items = (decode_value(v) for v in body)
        return frozenset(items) if tag == "$frozenset" else set(items)
    if tag == "$dict":
        return {decode_value(k): decode_value(v) for k, v in body}
    if "$enum" in value:
        return resolve_topic(value["$enum"])(decode_value(value["v"]))
    if "$model" in value:
        return resolve_topic(value["$model"]).model_validate(value["v"])
    if "$dataclass" in value:
        cls = resolve_topic(value["$dataclass"])
        return cls(**{k: decode_value(v) for k, v in value["v"].items()})
    raise TypeError(f"unknown tagged value {sorted(value)}")
