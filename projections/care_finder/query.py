"""Searching the care finder: filters, a day, and keyset pages in a stable order.

Results sort by the provider's name (case- and accent-insensitive), then contract id, and a page
ends with an opaque ``next_cursor`` holding the last (name key, id): the next page starts after
it, so pages neither skip nor repeat entries while the model changes underneath. Every filter is
served by an index of ``projection.create_tables``. The listing holds only public facts.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from care_contracts.domain.policy.catalog import PolicyCatalog
from care_contracts.domain.policy.errors import NoPolicyInForce
from care_contracts.projections.care_finder.entry import name_key, postcode_area
from care_contracts.projections.care_finder.projection import (
    AGB_CODES,
    ENTRIES,
    CareFinderProjection,
)
from care_contracts.projections.database import ReadDatabase
from care_contracts.projections.state import active_state

__all__ = [
    "CareFinderPage",
    "CareFinderQuery",
    "ContractPeriod",
    "InvalidCursor",
    "Listing",
    "search",
    "with_pack_facts",
]

_POSTCODE = re.compile(r"^[0-9]{4}( ?[A-Za-z]{2})?$")
_NAME = CareFinderProjection.name
_MAX_KEY = "\U0010ffff"


class InvalidCursor(ValueError):
    """A ``cursor`` that no page of this query handed out."""

    code = "invalid_cursor"


class CareFinderQuery(BaseModel):
    """What a member of the public asks; every field optional but ``on`` (the day shown)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    on: date
    insurer: str | None = None
    care_type: str | None = None
    sub_type: str | None = None
    year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    agb: Annotated[str, Field(pattern=r"^[0-9]{8}$")] | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    postcode: str | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: str | None = None

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        if value is not None and not _POSTCODE.match(value.strip()):
            raise ValueError("a postcode (1234 AB) or its 4-digit area (1234)")
        return value


class ContractPeriod(BaseModel):
    model_config = ConfigDict(frozen=True)

    starts_on: date
    ends_on: date


class Listing(BaseModel):
    """One contracted provider for one insurer, care type and year."""

    model_config = ConfigDict(frozen=True)

    contract_id: UUID
    provider_name: str
    agb_code: str
    agb_establishments: tuple[str, ...]
    city: str
    postcode: str
    insurer: str
    care_type: str
    sub_type: str | None
    contract_year: int
    period: ContractPeriod
    partially_contracted: bool
    excluded_services: tuple[str, ...]
    labels: tuple[str, ...] = ()  # the insurer's labels, where its pack names them
    policy_types: tuple[str, ...] = ()  # natura, natura select, combinatie…, likewise


class CareFinderPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: tuple[Listing, ...]
    next_cursor: str | None


def with_pack_facts(page: CareFinderPage, catalog: PolicyCatalog, on: date) -> CareFinderPage:
    """Each listing with its insurer's labels and policy types from the pack (brief §11).

    They are published policy, per insurer, year and care type, not facts of one contract, so
    they come from the pack in force on ``on`` (or its general parent) when the page is read,
    not from the stream: a new pack version shows at once, without a rebuild. A listing whose
    pack names none, or that no pack covers on that day, keeps them empty.
    """
    facts: dict[tuple[str, int, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}
    items = []
    for item in page.items:
        key = (item.insurer, item.contract_year, item.care_type)
        if key not in facts:
            facts[key] = _pack_facts(catalog, *key, on)
        labels, policy_types = facts[key]
        items.append(item.model_copy(update={"labels": labels, "policy_types": policy_types}))
    return page.model_copy(update={"items": tuple(items)})


def _pack_facts(
    catalog: PolicyCatalog, insurer: str, year: int, care_type: str, on: date
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        resolved = catalog.in_force(insurer, year, care_type, on)
    except NoPolicyInForce:
        return (), ()
    parent = resolved.parent
    labels = resolved.pack.labels or (parent.labels if parent else ())
    policy_types = resolved.pack.policy_types or (parent.policy_types if parent else ())
    return tuple(labels), tuple(policy_types)


def search(db: ReadDatabase, query: CareFinderQuery) -> CareFinderPage:
    """One page of the providers listed on ``query.on`` that match every given filter."""
    where, params = _filters(query)
    with db.reading() as cur:
        state = active_state(cur, _NAME)
        if state is None:
            return CareFinderPage(items=(), next_cursor=None)
        entries, agb = state.tables[ENTRIES], state.tables[AGB_CODES]
        if query.agb is not None:
            where.append(f"contract_id IN (SELECT contract_id FROM {agb} WHERE agb = ?)")
            params.append(query.agb)
        rows = cur.execute(
            "SELECT contract_id, provider_name, agb_enterprise, agb_establishments, city,"
            " postcode, insurer, care_type, sub_type, year, starts_on, ends_on,"
            f" excluded_services, name_key FROM {entries} WHERE {' AND '.join(where)}"
            " ORDER BY name_key, contract_id LIMIT ?",
            [*params, query.limit + 1],
        ).fetchall()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    items = tuple(_listing(row) for row in rows)
    next_cursor = _cursor(rows[-1][13], rows[-1][0]) if more else None
    return CareFinderPage(items=items, next_cursor=next_cursor)


def _filters(query: CareFinderQuery) -> tuple[list[str], list[Any]]:
    day = query.on.isoformat()
    where = ["visible_from IS NOT NULL", "visible_from <= ?", "hidden_from > ?"]
    params: list[Any] = [day, day]
    for column, value in (
        ("insurer", query.insurer),
        ("care_type", query.care_type),
        ("sub_type", query.sub_type),
        ("year", query.year),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if query.name is not None:
        prefix = name_key(query.name)
        where.append("name_key >= ? AND name_key < ?")
        params += [prefix, prefix + _MAX_KEY]
    if query.city is not None:
        where.append("city_key = ?")
        params.append(name_key(query.city))
    if query.postcode is not None:
        code = query.postcode.strip().upper()
        if len(code.replace(" ", "")) == 4:
            where.append("postcode_area = ?")
            params.append(code)
        else:
            where.append("postcode = ?")
            params.append(f"{code.replace(' ', '')[:4]} {code.replace(' ', '')[4:]}")
            where.append("postcode_area = ?")
            params.append(postcode_area(code))
    if query.cursor is not None:
        after_key, after_id = _decode_cursor(query.cursor)
        where.append("(name_key > ? OR (name_key = ? AND contract_id > ?))")
        params += [after_key, after_key, after_id]
    return where, params


def _listing(row: tuple[Any, ...]) -> Listing:
    return Listing(
        contract_id=UUID(row[0]),
        provider_name=row[1],
        agb_code=row[2],
        agb_establishments=tuple(json.loads(row[3])),
        city=row[4],
        postcode=row[5],
        insurer=row[6],
        care_type=row[7],
        sub_type=row[8],
        contract_year=int(row[9]),
        period=ContractPeriod(
            starts_on=date.fromisoformat(row[10]), ends_on=date.fromisoformat(row[11])
        ),
        partially_contracted=bool(json.loads(row[12])),
        excluded_services=tuple(json.loads(row[12])),
    )


def _cursor(key: str, contract_id: str) -> str:
    raw = json.dumps([key, contract_id], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, contract_id = json.loads(raw)
        return str(key), str(UUID(str(contract_id)))
    except (binascii.Error, ValueError, TypeError) as error:
        raise InvalidCursor(f"not a cursor of this search: {cursor!r}") from error
