"""``care-contracts schemas export``: the JSON Schemas of every published event's data.

Prints the document to stdout, or writes it to ``--output``. The repository keeps a copy in
``services/events/events.schema.json``; a test fails when it is out of date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from care_contracts.services.cli_options import write_or_print
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
    write_or_print(render(), output)
