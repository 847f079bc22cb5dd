"""``care-contracts schemas export``: the JSON Schemas of every published event's data.

Prints the document to stdout, or writes it to ``--output``. The repository keeps a copy in
``services/events/events.schema.json``; a test fails when it is out of date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from care_contracts.services.events.schemas import render

__all__ = ["register_schema_commands"]

schemas_app = typer.Typer(help="Published event schemas (CloudEvents data, JSON Schema 2020-12).")


def register_schema_commands(app: typer.Typer) -> None:
    app.add_typer(schemas_app, name="schemas")


@schemas_app.command("export")
def export_schemas(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of stdout."),
    ] = None,
) -> None:
    """Every event type's data schema, keyed by CloudEvents type, as stable JSON."""
    text = render()
    if output is None:
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}", err=True)
