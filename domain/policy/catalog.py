"""The set of loaded policy packs: consistency checks, inheritance and selection by date.

A care-type pack inherits its general policy's requirements and exclusion grounds (brief §3):
care-type entries are added on top, and one that replaces a parent entry says why. Scalar rules
(signing, start date, ceiling, care finder) come from the care-type pack alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from care_contracts.domain.policy.errors import (
    ContractTypeNotInPack,
    NoPolicyInForce,
    PolicyPackNotFound,
    UnknownSubType,
)
from care_contracts.domain.policy.model import (
    AllOf,
    AnyOf,
    Comparison,
    ContractTypeSpec,
    ExclusionGround,
    Membership,
    MetricKind,
    MetricSpec,
    PackRef,
    PolicyPack,
    Predicate,
    Requirement,
    Route,
)

__all__ = ["PolicyCatalog", "PolicyCatalogError", "ResolvedPack"]


class PolicyCatalogError(ValueError):
    """The packs contradict each other (unknown parent, duplicate version, code clash)."""


@dataclass(frozen=True)
class ResolvedPack:
    """A care-type pack with its parent's inherited rules merged in: what the domain decides by."""

    pack: PolicyPack
    parent: PolicyPack | None = None
    requirements: tuple[Requirement, ...] = field(init=False)
    exclusion_grounds: tuple[ExclusionGround, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "requirements", _merge(self.parent, self.pack, "requirements"))
        object.__setattr__(
            self, "exclusion_grounds", _merge(self.parent, self.pack, "exclusion_grounds")
        )

    @property
    def ref(self) -> PackRef:
        return self.pack.ref

    @property
    def metrics(self) -> tuple[MetricSpec, ...]:
        """The metric vocabulary: the parent's metrics, then the pack's own."""
        inherited = self.parent.metrics if self.parent is not None else ()
        return (*inherited, *self.pack.metrics)

    def metric(self, name: str) -> MetricSpec | None:
        return next((m for m in self.metrics if m.name == name), None)

    def requirement(self, code: str) -> Requirement | None:
        return next((r for r in self.requirements if r.code == code), None)

    def exclusion_ground(self, code: str) -> ExclusionGround | None:
        return next((g for g in self.exclusion_grounds if g.code == code), None)

    def contract_type(self, code: str) -> ContractTypeSpec:
        spec = next((c for c in self.pack.contract_types if c.code == code), None)
        if spec is None or not spec.offerable:
            raise ContractTypeNotInPack(
                f"pack {self.ref} has no offerable contract type {code}",
                pack=str(self.ref),
                contract_type=code,
            )
        return spec

    def running_contract_type(self, code: str) -> ContractTypeSpec:
        """A type that continues as a running contract, offerable or not (brief §4.1, §9)."""
        spec = next((c for c in self.pack.contract_types if c.code == code), None)
        if spec is None or Route.RUNNING_CONTRACT not in spec.routes:
            raise ContractTypeNotInPack(
                f"pack {self.ref} has no contract type {code} on route running_contract",
                pack=str(self.ref),
                contract_type=code,
            )
        return spec

    def require_sub_type(self, sub_type: str | None) -> None:
        known = {s.code for s in self.pack.sub_types}
        if (sub_type is None and not known) or sub_type in known:
            return
        raise UnknownSubType(
            f"pack {self.ref} has no sub-type {sub_type!r}; it knows {sorted(known) or 'none'}",
            pack=str(self.ref),
            sub_type=sub_type,
        )


_Entry = TypeVar("_Entry", Requirement, ExclusionGround)


def _merge(parent: PolicyPack | None, child: PolicyPack, attribute: str) -> tuple[_Entry, ...]:
    own: tuple[_Entry, ...] = getattr(child, attribute)
    if parent is None:
        return own
    replaced = {entry.replaces for entry in own if entry.replaces is not None}
    inherited: tuple[_Entry, ...] = getattr(parent, attribute)
    return tuple(e for e in inherited if e.code not in replaced) + own


class PolicyCatalog:
    """Every loaded pack version, checked for consistency as a whole."""

    def __init__(self, packs: Iterable[PolicyPack]) -> None:
        self._packs: dict[tuple[str, str], PolicyPack] = {}
        for pack in packs:
            key = (pack.id, pack.version)
            if key in self._packs:
                raise PolicyCatalogError(f"pack {pack.ref} is defined twice")
            self._packs[key] = pack
        self._resolved = {key: self._resolve(pack) for key, pack in self._packs.items()}

    def _resolve(self, pack: PolicyPack) -> ResolvedPack:
        resolved = self._resolve_parent(pack)
        _check_metrics(resolved)
        return resolved

    def _resolve_parent(self, pack: PolicyPack) -> ResolvedPack:
        if pack.parent is None:
            return ResolvedPack(pack)
        parent = self._packs.get((pack.parent.id, pack.parent.version))
        if parent is None:
            raise PolicyCatalogError(f"pack {pack.ref}: unknown parent {pack.parent}")
        if not parent.general:
            raise PolicyCatalogError(
                f"pack {pack.ref}: parent {parent.ref} is not a general policy"
            )
        if parent.insurer != pack.insurer:
            raise PolicyCatalogError(f"pack {pack.ref}: parent {parent.ref} is another insurer's")
        resolved = ResolvedPack(pack, parent)
        parent_codes = {r.code for r in parent.requirements} | {
            g.code for g in parent.exclusion_grounds
        }
        entries: tuple[Requirement | ExclusionGround, ...] = (
            *pack.requirements,
            *pack.exclusion_grounds,
        )
        for entry in entries:
            if entry.code in parent_codes and entry.replaces != entry.code:
                raise PolicyCatalogError(
                    f"pack {pack.ref}: {entry.code} repeats a parent code without replacing it"
                )
            if entry.replaces is not None and entry.replaces not in parent_codes:
                raise PolicyCatalogError(
                    f"pack {pack.ref}: {entry.code} replaces unknown parent entry {entry.replaces}"
                )
        return resolved

    def __len__(self) -> int:
        return len(self._packs)

    def __iter__(self) -> Iterator[PolicyPack]:
        return iter(sorted(self._packs.values(), key=lambda p: (p.id, p.valid_from)))

    @property
    def packs(self) -> Mapping[tuple[str, str], PolicyPack]:
        return dict(self._packs)

    def get(self, ref: PackRef) -> ResolvedPack:
        resolved = self._resolved.get((ref.id, ref.version))
        if resolved is None:
            raise PolicyPackNotFound(f"no policy pack {ref}", pack=str(ref))
        return resolved

    def in_force(self, insurer: str, year: int, care_type: str, on: date) -> ResolvedPack:
        """The newest version in force on ``on`` for this insurer × year × care type."""
        candidates = [
            p
            for p in self._packs.values()
            if (p.insurer, p.year, p.care_type) == (insurer, year, care_type)
            and not p.general
            and p.valid_from <= on
        ]
        if not candidates:
            raise NoPolicyInForce(
                f"no {insurer} {care_type} policy for {year} is in force on {on.isoformat()}",
                insurer=insurer,
                year=year,
                care_type=care_type,
                on=on,
            )
        newest = max(candidates, key=lambda p: (p.valid_from, _version_key(p.version)))
        return self._resolved[(newest.id, newest.version)]

    def newest_in_force(self, pack_id: str, on: date) -> ResolvedPack:
        """The newest version of one pack id in force on ``on`` (an offer pins the version then)."""
        versions = [p for p in self._packs.values() if p.id == pack_id and p.valid_from <= on]
        if not versions:
            raise NoPolicyInForce(
                f"no version of pack {pack_id} is in force on {on.isoformat()}",
                pack=pack_id,
                on=on,
            )
        newest = max(versions, key=lambda p: (p.valid_from, _version_key(p.version)))
        return self._resolved[(newest.id, newest.version)]


def _check_metrics(resolved: ResolvedPack) -> None:
    """Every metric a predicate reads is declared (pack or parent) and compared by its kind."""
    declared: dict[str, MetricSpec] = {}
    for declaration in resolved.metrics:
        if declaration.name in declared:
            raise PolicyCatalogError(
                f"pack {resolved.ref}: metric {declaration.name} declared twice"
            )
        declared[declaration.name] = declaration
    readers: list[tuple[str, Predicate]] = [
        (r.code, r.predicate) for r in resolved.requirements if r.predicate is not None
    ]
    readers += [
        (c.code, c.eligibility) for c in resolved.pack.contract_types if c.eligibility is not None
    ]
    for code, predicate in readers:
        for leaf in _leaves(predicate):
            spec = declared.get(leaf.metric)
            if spec is None:
                raise PolicyCatalogError(
                    f"pack {resolved.ref}: {code} reads undeclared metric {leaf.metric}"
                )
            problem = _kind_problem(spec, leaf)
            if problem:
                raise PolicyCatalogError(f"pack {resolved.ref}: {code}: {problem}")


def _leaves(predicate: Predicate) -> list[Comparison | Membership]:
    if isinstance(predicate, AllOf):
        return [leaf for part in predicate.all for leaf in _leaves(part)]
    if isinstance(predicate, AnyOf):
        return [leaf for part in predicate.any for leaf in _leaves(part)]
    return [predicate]


def _kind_problem(spec: MetricSpec, leaf: Comparison | Membership) -> str | None:
    if isinstance(leaf, Membership):
        unknown = set(leaf.one_of) - set(spec.choices)
        if spec.kind is not MetricKind.CHOICE or unknown:
            return f"{spec.name} is {spec.kind.value}; cannot be one of {sorted(unknown)}"
        return None
    value = leaf.value
    if spec.kind is MetricKind.BOOL:
        ok = isinstance(value, bool) and leaf.op in ("==", "!=")
    elif spec.kind is MetricKind.CHOICE:
        ok = isinstance(value, str) and value in spec.choices and leaf.op in ("==", "!=")
    elif isinstance(value, Decimal):
        whole = spec.kind in (MetricKind.MONEY_CENTS, MetricKind.COUNT)
        ok = not whole or value == value.to_integral_value()
    else:
        ok = False
    return None if ok else f"{spec.name} ({spec.kind.value}) cannot be compared {leaf.op} {value!r}"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
