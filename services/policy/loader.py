"""Read policy packs from TOML files into a checked PolicyCatalog.

One file per pack version, named ``<pack-id>@<version>.toml``. TOML dates are native dates and
numbers are read as Decimal (never float). Every failure is a PackFileError that names the file,
the pack id when readable and the field path, e.g.
``zz-2027-msz@1.1.toml: pack zz-2027-msz: signing_rules.0.deadline: invalid date``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from decimal import Decimal
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from care_contracts.domain.policy.catalog import PolicyCatalog, PolicyCatalogError
from care_contracts.domain.policy.model import PolicyPack

__all__ = ["PACKAGE", "PackFileError", "load_catalog", "load_pack_file", "parse_pack"]

PACKAGE = "care_contracts.services.policy.packs"
_FILE_NAME = re.compile(r"^(?P<id>[^@/]+)@(?P<version>[^@/]+)\.toml$")


class PackFileError(ValueError):
    """A pack file that cannot be read, does not fit the schema or contradicts other packs."""

    def __init__(
        self, message: str, *, file: str, pack_id: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.file = file
        self.pack_id = pack_id
        self.field = field


def load_pack_file(path: Path | Traversable) -> PolicyPack:
    """Read and validate one pack file; its id and version must match the file name."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackFileError(f"{path.name}: cannot read: {exc}", file=path.name) from exc
    return parse_pack(path.name, text)


def parse_pack(file_name: str, text: str) -> PolicyPack:
    """Validate the TOML text of the pack file ``file_name``."""
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise PackFileError(f"{file_name}: TOML syntax error: {exc}", file=file_name) from exc
    pack_id = data.get("id") if isinstance(data.get("id"), str) else None
    prefix = f"{file_name}: pack {pack_id}" if pack_id else file_name
    try:
        pack = PolicyPack.model_validate(data)
    except ValidationError as exc:
        first_field, lines = _describe(exc)
        raise PackFileError(
            "\n".join(f"{prefix}: {line}" for line in lines),
            file=file_name,
            pack_id=pack_id,
            field=first_field,
        ) from exc
    expected = _FILE_NAME.match(file_name)
    if expected is None or (expected["id"], expected["version"]) != (pack.id, pack.version):
        raise PackFileError(
            f"{prefix}: file name must be {pack.id}@{pack.version}.toml",
            file=file_name,
            pack_id=pack.id,
        )
    return pack


def _describe(exc: ValidationError) -> tuple[str | None, list[str]]:
    lines: list[str] = []
    first: str | None = None
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        message = _message(error)
        first = first if first is not None else (field or None)
        lines.append(f"{field}: {message}" if field else message)
    return first, lines


def _message(error: Any) -> str:
    kind = str(error["type"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind.startswith(("date_", "datetime_")):
        return f"invalid date ({message}; got {error.get('input')!r})"
    return message


def load_catalog(directory: Path | None = None) -> PolicyCatalog:
    """Every pack in ``directory`` (default: the packaged pack files) as one checked catalog."""
    root: Path | Traversable = directory if directory is not None else resources.files(PACKAGE)
    files = sorted(_pack_files(root, ""), key=lambda named: named[0])
    if not files:
        raise PackFileError(f"{root}: no pack files (*.toml)", file=str(root))
    packs = [(name, load_pack_file(file)) for name, file in files]
    return catalog_of(packs)


def catalog_of(packs: Iterable[tuple[str, PolicyPack]]) -> PolicyCatalog:
    """Build the catalog; a cross-pack contradiction names the files involved."""
    by_ref: dict[str, str] = {}
    loaded: list[PolicyPack] = []
    for file_name, pack in packs:
        ref = str(pack.ref)
        if ref in by_ref:
            raise PackFileError(
                f"{by_ref[ref]}, {file_name}: pack {ref} is defined twice",
                file=file_name,
                pack_id=pack.id,
            )
        by_ref[ref] = file_name
        loaded.append(pack)
    try:
        return PolicyCatalog(loaded)
    except PolicyCatalogError as exc:
        refs = [ref for ref in by_ref if f"pack {ref}" in str(exc)]
        named = [by_ref[ref] for ref in refs]
        pack_id = refs[0].split("@", 1)[0] if refs else None
        raise PackFileError(
            f"{', '.join(named) or 'pack files'}: {exc}",
            file=", ".join(named),
            pack_id=pack_id,
        ) from exc


def _pack_files(
    folder: Path | Traversable, prefix: str
) -> Iterator[tuple[str, Path | Traversable]]:
    """Every ``*.toml`` below ``folder``, with its path relative to the pack root."""
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _pack_files(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".toml"):
            yield f"{prefix}{entry.name}", entry
