"""The ``care-contracts`` command line: operators' and auditors' entry point.

It lists, shows and validates policy packs, and (``cli_audit``) reads an existing store's history,
verifies its hash chain and exports it, and (``cli_schemas``) exports the published events' data
schemas, and (``cli_stream``) checks the JetStream stream against the store and tails it; the
service commands join as they are built.
Exit codes: 0 ok, 1 a check failed (an invalid pack, a damaged chain, an unknown aggregate),
2 bad usage or no readable store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from care_contracts.domain.policy.catalog import PolicyCatalog, ResolvedPack
from care_contracts.domain.policy.model import PackRef
from care_contracts.services.cli_asyncapi import register_asyncapi_command
from care_contracts.services.cli_audit import register_audit_commands
from care_contracts.services.cli_demo import register_demo_commands
from care_contracts.services.cli_projections import register_projection_commands
from care_contracts.services.cli_schemas import register_schema_commands
from care_contracts.services.cli_serve import register_serve_commands
from care_contracts.services.cli_stream import register_stream_commands
from care_contracts.services.policy.loader import PackFileError, load_catalog

__all__ = ["app", "main"]

app = typer.Typer(
    name="care-contracts",
    help="Event-sourced contract lifecycle for Dutch care procurement (zorginkoop).",
    no_args_is_help=True,
    add_completion=False,
)
packs_app = typer.Typer(help="Policy packs: versioned insurer × year × care-type rules.")
app.add_typer(packs_app, name="packs")
register_asyncapi_command(app)
register_audit_commands(app)
register_demo_commands(app)
register_projection_commands(app)
register_schema_commands(app)
register_serve_commands(app)
register_stream_commands(app)

_out = Console(width=200)
_err = Console(stderr=True)

PacksDir = Annotated[
    Path | None,
    typer.Option("--dir", help="Read pack files from this folder instead of the shipped packs."),
]


def _catalog(directory: Path | None) -> PolicyCatalog:
    try:
        return load_catalog(directory)
    except PackFileError as error:
        _err.print(f"[red]invalid policy pack:[/red] {error}")
        raise typer.Exit(1) from error


@packs_app.command("list")
def list_packs(directory: PacksDir = None) -> None:
    """List every pack version with its insurer, year, care type and validity."""
    catalog = _catalog(directory)
    table = Table("pack", "version", "valid from", "insurer", "year", "care type", "parent")
    for column in table.columns:
        column.no_wrap = True
    for pack in catalog:
        parent = (
            str(pack.parent) if pack.parent else ("unavailable" if pack.parent_unavailable else "")
        )
        table.add_row(
            pack.id,
            pack.version,
            pack.valid_from.isoformat(),
            pack.insurer,
            str(pack.year),
            pack.care_type,
            parent,
        )
    _out.print(table)


@packs_app.command("show")
def show_pack(
    pack_id: Annotated[str, typer.Argument(help="Pack id, e.g. zz-2027-msz")],
    version: Annotated[str | None, typer.Option(help="Version; default: the newest")] = None,
    directory: PacksDir = None,
) -> None:
    """Print one pack as JSON, with the requirements and grounds it inherits from its parent."""
    catalog = _catalog(directory)
    versions = sorted(
        (p for p in catalog if p.id == pack_id), key=lambda p: (p.valid_from, p.version)
    )
    if version is not None:
        versions = [p for p in versions if p.version == version]
    if not versions:
        known = ", ".join(sorted({p.id for p in catalog}))
        _err.print(
            f"[red]no pack {pack_id}{'@' + version if version else ''}[/red]; known: {known}"
        )
        raise typer.Exit(1)
    resolved = catalog.get(PackRef(id=versions[-1].id, version=versions[-1].version))
    typer.echo(json.dumps(_resolved_json(resolved), indent=2, ensure_ascii=False))


def _resolved_json(resolved: ResolvedPack) -> dict[str, object]:
    document: dict[str, object] = resolved.pack.model_dump(mode="json")
    document["effective_requirements"] = [r.code for r in resolved.requirements]
    document["effective_exclusion_grounds"] = [g.code for g in resolved.exclusion_grounds]
    return document


@packs_app.command("validate")
def validate_packs(directory: PacksDir = None) -> None:
    """Load and cross-check every pack file; exit 1 naming the file, pack and field on error."""
    catalog = _catalog(directory)
    _out.print(f"[green]{len(catalog)} policy pack versions are valid[/green]")


def main() -> None:
    app()
